"""Publishing a signed-off version, and checking a text against what was approved.

Publishing records the public action through the incidents' services, exactly as recording it by hand
would (the obligations it meets, the follow-up clock), with the version's text and its SHA-256 on the
action; the draft is locked first and the incident after, the order every statement service keeps.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import ActionKind
from incidents.services.actions import record_action
from incidents.services.obligations import NON_FIELD
from opinion_tracker.lib.hashing import text_sha256
from opinion_tracker.lib.validation import Errors

from .deciders import may_publish
from .drafting import check_seen, current_version, lock_draft
from .models import Draft, Publication


def publish(draft, *, channel, published_at, evidence_url="", evidence_file=None, seen=None, actor, now):
    """Record the current version (``seen``: the number the duty officer read, when known), which must be
    signed off, as published on ``channel``: once per channel, and never before it was signed off."""
    with transaction.atomic():
        draft = lock_draft(draft)
        if not may_publish(Caller.of(actor), draft.incident):
            raise PermissionDenied(_("Only the lead department's duty officers publish its statements."))
        version = current_version(draft)
        check_seen(version, seen)
        errors = Errors()
        if version.signed_off_at is None:
            errors.add(NON_FIELD, _("Only a signed-off version is published; this one is not signed off."))
        elif published_at is not None and published_at < version.signed_off_at:
            errors.add("published_at", _("A statement is published after its sign-off, not before."))
        if not isinstance(channel, str) or channel not in draft.channels:
            channels = "、".join(draft.channels)
            errors.add("channel", _("Publish on one of the draft's channels: %(channels)s.") % {"channels": channels})
        elif version.publications.filter(action__channel=channel).exists():
            errors.add("channel", _("This version is already published on this channel."))
        errors.raise_if_any()
        action = record_action(
            draft.incident,
            kind=ActionKind.STATEMENT,
            published_at=published_at,
            now=now,
            actor=actor,
            channel=channel,
            evidence_url=evidence_url,
            evidence_file=evidence_file,
            text=version.text,
        )
        Publication.objects.create(action=action, draft=draft, version=version)
        draft.state = Draft.State.PUBLISHED
        draft.save(update_fields=["state"])
    return action


def approved_version(draft):
    """The version that was last signed off (what may go out), or None."""
    return draft.versions.exclude(signed_off_at=None).order_by("-number").first()


def check_published_text(draft, text: str) -> dict:
    """Whether ``text`` is, to the byte, what went out: the hash of a version that was published, or, before
    any was, of the version signed off to go out. ``version`` is the one matched, else the latest of those."""
    published = list(draft.versions.filter(publications__isnull=False).distinct().order_by("-number"))
    candidates = published or [version for version in [approved_version(draft)] if version is not None]
    digest = text_sha256(text)
    matched = next((version for version in candidates if version.sha256 == digest), None)
    shown = matched or (candidates[0] if candidates else None)
    return {
        "matches": matched is not None,
        "sha256": digest,
        "approved_sha256": shown.sha256 if shown else None,
        "version": shown.number if shown else None,
    }
