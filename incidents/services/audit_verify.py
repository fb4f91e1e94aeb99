"""Verifying the timeline's chains and the daily seals (docs/api.md, "Assessment and audit").

Every chain is read again in (incident, id) order, and every event checked twice: its hash against its content,
and the event it says it follows against the one before it in the chain. Each seal is checked against itself
(its digest, and the seal before it) and against the chains: every head it sealed must still be there, with the
hash it had. The first mismatch is named: the events in chain order first, then the seals by day.

What this cannot see: a change to the last events of a chain made before they were sealed, and a whole chain
rewritten together with every seal since (the digests printed in the 日报 are the copy kept outside).
"""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from incidents.models import AuditSeal, TimelineEvent
from incidents.models.audit import event_hash, seal_digest

from .audit_chain import EMPTY, Head

EVENT_COLUMNS = [
    "pk",
    "incident_id",
    "kind",
    "at",
    "actor_id",
    "obligation_id",
    "detail",
    "prev_id",
    "prev_hash",
    "hash",
]


@dataclass(frozen=True)
class Mismatch:
    event: int | None  # None: a seal itself does not match
    incident: int | None
    reason: str


@dataclass
class Verification:
    events_checked: int = 0
    seals_checked: int = 0
    first_mismatch: Mismatch | None = None

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None

    def found(self, mismatch: Mismatch) -> None:
        if self.first_mismatch is None:
            self.first_mismatch = mismatch

    def as_dict(self) -> dict:
        mismatch = None if self.first_mismatch is None else asdict(self.first_mismatch)
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "seals_checked": self.seals_checked,
            "first_mismatch": mismatch,
        }


@dataclass
class SealedHeads:
    """What the seals say about the chains: incident → event → (day, hash)."""

    by_incident: dict[int, dict[int, tuple]] = field(default_factory=dict)

    def add(self, day, incident: int, event: int, digest: str) -> None:
        self.by_incident.setdefault(incident, {}).setdefault(event, (day, digest))


def verify(incident: int | None = None) -> Verification:
    """Check every chain (or only ``incident``'s) and every seal; the first mismatch is named."""
    result = Verification()
    sealed, seal_mismatches = check_seals(result)
    events = TimelineEvent.objects.order_by("incident_id", "pk")
    if incident is not None:
        events = events.filter(incident_id=incident)
        sealed.by_incident = {incident: sealed.by_incident.get(incident, {})}
    chain: list = []
    for row in events.values_list(*EVENT_COLUMNS).iterator(chunk_size=2000):
        if chain and chain[0][1] != row[1]:
            check_chain(chain, sealed, result)
            chain = []
        chain.append(row)
    if chain:
        check_chain(chain, sealed, result)
    for chain_incident, events_sealed in sorted(sealed.by_incident.items()):  # chains with no event left at all
        for pk, (day, _digest) in sorted(events_sealed.items()):
            result.found(Mismatch(pk, chain_incident, missing_sealed(day)))
    for mismatch in seal_mismatches:
        result.found(mismatch)
    return result


def check_seals(result: Verification) -> tuple[SealedHeads, list[Mismatch]]:
    """Each seal against itself and the seal before it; returns the heads they sealed and what did not match."""
    sealed, mismatches, previous = SealedHeads(), [], None
    for seal in AuditSeal.objects.order_by("day"):
        result.seals_checked += 1
        day = seal.day.isoformat()
        if seal.prev_digest != (previous.digest if previous else ""):
            mismatches.append(
                Mismatch(None, None, _("The seal of %(day)s does not follow the seal before it.") % {"day": day})
            )
        fields = {name: getattr(seal, name) for name in ("day", "prev_digest", "last_event", "chains", "heads")}
        if seal.digest != seal_digest(**fields):
            mismatches.append(
                Mismatch(None, None, _("The seal of %(day)s was changed after it was made.") % {"day": day})
            )
        for head in seal.heads:
            if isinstance(head, list) and len(head) == 3:  # anything else fails the digest above
                sealed.add(day, *head)
        previous = seal
    return sealed, mismatches


def check_chain(rows: list, sealed: SealedHeads, result: Verification) -> None:
    """One incident's events, in id order: each against its hash, the one before it, and the seals."""
    incident = rows[0][1]
    events_sealed = sealed.by_incident.pop(incident, {})
    before: Head = EMPTY
    for pk, _incident, kind, at, actor, obligation, detail, prev_id, prev_hash, stored in rows:
        result.events_checked += 1
        expected = event_hash(
            incident=incident,
            kind=kind,
            at=at,
            actor=actor,
            obligation=obligation,
            detail=detail,
            prev_id=prev_id,
            prev_hash=prev_hash,
        )
        if not stored:
            result.found(Mismatch(pk, incident, _("It has no hash: it was written around the chain.")))
        elif stored != expected:
            reason = _("Its content does not match its hash: it was changed after it was written.")
            result.found(Mismatch(pk, incident, reason))
        elif (prev_id, prev_hash) != before and result.ok:  # the reason takes a query: only for the first
            result.found(broken_link(incident, pk, prev_id, before))
        if pk in events_sealed:
            day, digest = events_sealed.pop(pk)
            if stored != digest:
                reason = _("Its hash is not the one sealed on %(day)s: the chain was rewritten.") % {"day": day}
                result.found(Mismatch(pk, incident, reason))
        before = (pk, stored)
    for pk, (day, _digest) in sorted(events_sealed.items()):
        result.found(Mismatch(pk, incident, missing_sealed(day)))


def missing_sealed(day: str) -> str:
    return _("It was sealed on %(day)s as the head of its chain, and is missing.") % {"day": day}


def broken_link(incident: int, pk: int, claimed: int | None, before: Head) -> Mismatch:
    """An event whose content matches its hash but which does not follow the event before it in the chain:
    that event was changed after it, or one was deleted, moved or put out of order."""
    actual = before[0]
    if claimed is not None and claimed == actual:
        reason = _("It was changed after event %(next)s was written: its hash is not the one that event follows.")
        return Mismatch(actual, incident, reason % {"next": pk})
    if claimed is None:
        reason = _("It begins a chain, yet comes after event %(actual)s.")
        return Mismatch(pk, incident, reason % {"actual": actual})
    claimed_incident = TimelineEvent.objects.filter(pk=claimed).values_list("incident_id", flat=True).first()
    if claimed_incident is None:
        reason = _("It is missing: event %(next)s follows it in the chain.")
        return Mismatch(claimed, incident, reason % {"next": pk})
    if claimed_incident != incident:
        reason = _("It follows event %(claimed)s, which is not in its incident's chain.")
        return Mismatch(pk, incident, reason % {"claimed": claimed})
    if actual is None:
        reason = _("Out of order: it follows event %(claimed)s, yet comes first in its chain.")
        return Mismatch(pk, incident, reason % {"claimed": claimed})
    reason = _("Out of order: it follows event %(claimed)s, yet comes after event %(actual)s.")
    return Mismatch(pk, incident, reason % {"claimed": claimed, "actual": actual})
