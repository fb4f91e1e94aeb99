"""What makes the timeline tamper-evident (docs/rules.md, "Assessment (考核) and audit trust").

Each incident's timeline events form a chain in id order. An event's hash is the SHA-256 (lowercase hex) of its
canonical content: a JSON text with sorted keys and no spaces of its incident, kind, time (UTC, ISO 8601 with
microseconds), actor, obligation and detail, and the id and hash of the event before it in the chain. Every
Beijing day the chain heads are sealed into one digest (``AuditSeal``), kept, and printed in the 日报, so that an
edit made later, even by someone with database access, no longer matches what was sealed and sent out.

These functions are the definition of both: the writers, the verification and the migration that chained the
events already recorded all use them, so their output must never change for the same content.
"""

import hashlib
import json
from datetime import UTC
from functools import lru_cache
from json.encoder import encode_basestring

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import AppendOnlyQuerySet

GENESIS = ""  # the prev_hash of an incident's first event: nothing came before it

# Sorted keys, no spaces; values that are not JSON (times, lazy texts, decimals) become what the detail column
# stores for them, so the hash taken when an event is written is the hash of the detail as it reads back.
_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=DjangoJSONEncoder().default
)


def canonical_json(value) -> str:
    """``value`` as stable JSON text."""
    return _encoder.encode(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


@lru_cache(maxsize=256)  # the events of a pass's batch share one time
def _utc(at) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_event(*, incident, kind, at, actor, obligation, detail_json, prev_id, prev_hash) -> str:
    """An event's canonical content: ``canonical_json`` of ``{"actor", "at", "detail", "incident", "kind",
    "obligation", "prev", "prev_hash"}``, written out around the detail's own canonical text (``detail_json``) so
    that a writer encodes a detail once, for its hash and for its column."""
    return (
        f'{{"actor":{_number(actor)},"at":"{_utc(at)}",'
        f'"detail":{detail_json},"incident":{_number(incident)},"kind":{encode_basestring(kind)},'
        f'"obligation":{_number(obligation)},"prev":{_number(prev_id)},"prev_hash":{encode_basestring(prev_hash)}}}'
    )


def content_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_hash(*, incident, kind, at, actor, obligation, detail, prev_id, prev_hash) -> str:
    """The hash of one event (ids for the incident, the actor and the obligation; ``None`` where there is none)."""
    canonical = canonical_event(
        incident=incident,
        kind=kind,
        at=at,
        actor=actor,
        obligation=obligation,
        detail_json=canonical_json(detail),
        prev_id=prev_id,
        prev_hash=prev_hash,
    )
    return content_hash(canonical)


def seal_digest(*, day, prev_digest, last_event, chains, heads) -> str:
    """The digest of one day's seal: the day, the previous seal's digest, the last event it covers, how many
    chains there are, and ``[incident, event, hash]`` of every chain whose head moved since the previous seal."""
    content = {
        "day": day.isoformat(),
        "prev_digest": prev_digest,
        "last_event": last_event,
        "chains": chains,
        "heads": heads,
    }
    return content_hash(canonical_json(content))


class SealQuerySet(AppendOnlyQuerySet):
    message = "Seals are append-only."


class AuditSeal(models.Model):
    """The heads of every incident's chain at the end of one Beijing day, sealed into one digest.

    A seal covers every event up to ``last_event`` and commits to all chain heads: it lists the heads that moved
    since the previous seal and includes that seal's digest, so the heads that did not move are sealed through
    it. One row per day (``day`` is unique): two schedulers never seal a day twice.
    """

    day = models.DateField(_("day"), unique=True)
    sealed_at = models.DateTimeField(_("sealed at"))
    last_event = models.BigIntegerField(_("last event covered"))
    chains = models.PositiveIntegerField(_("chains"))
    heads = models.JSONField(_("heads that moved"), default=list)
    prev_digest = models.CharField(_("previous seal's digest"), max_length=64, blank=True)
    digest = models.CharField(_("digest"), max_length=64)

    objects = SealQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.digest}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(SealQuerySet.message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(SealQuerySet.message)
