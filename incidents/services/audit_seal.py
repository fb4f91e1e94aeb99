"""The daily seal of every timeline chain's head (docs/rules.md, "Assessment (考核) and audit trust").

A seal covers a prefix of the timeline by id, up to ``last_event``: from the event after the previous seal's
last one up to, not including, the first event stamped after the end of its Beijing day. It lists the head of
every chain that moved in that stretch, counts the chains, and takes the previous seal's digest into its own,
so one digest a day commits to every chain's head. Only the day's events are read, never the whole timeline.

Both schedulers (Celery beat, the embedded one) run ``seal_due`` every hour; ``day`` is unique, so a day is
sealed once however many run it, and the first run after the scheduler was down seals each day it missed.
A day is sealed once ``SEAL_AFTER`` has passed since its end, so that what was written before midnight has
committed.
"""

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import AuditSeal, TimelineEvent
from incidents.models.audit import seal_digest
from opinion_tracker.lib.beijing import BEIJING

SEAL_AFTER = timedelta(minutes=5)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), BEIJING)


def last_ended_day(now: datetime) -> date:
    """The latest Beijing day that may be sealed at ``now``."""
    return (now - SEAL_AFTER).astimezone(BEIJING).date() - timedelta(days=1)


def seal_due(now: datetime | None = None) -> list[AuditSeal]:
    """Seal every ended day not sealed yet, oldest first, and return the seals made here. Without any seal
    yet, the first is the last ended day's, covering everything recorded until then."""
    now = now or timezone.now()
    last_day, made = last_ended_day(now), list[AuditSeal]()
    while True:
        previous = AuditSeal.objects.order_by("-day").first()
        day = last_day if previous is None else previous.day + timedelta(days=1)
        if day > last_day:
            return made
        seal = make_seal(day, previous, now)
        if seal is not None:  # None: another scheduler sealed it first, and the loop reads its seal
            made.append(seal)


def seal_for(day: date, now: datetime | None = None) -> AuditSeal | None:
    """The seal of ``day`` (for the 日报): made now, with any day missed before it, if the day has ended and
    was not sealed yet; ``None`` for a day not over yet, or one before the first seal."""
    seal = AuditSeal.objects.filter(day=day).first()
    if seal is None and day <= last_ended_day(now or timezone.now()):
        seal_due(now)
        seal = AuditSeal.objects.filter(day=day).first()
    return seal


def make_seal(day: date, previous: AuditSeal | None, now: datetime) -> AuditSeal | None:
    """Seal ``day``, the day after ``previous``; ``None`` if another scheduler sealed it meanwhile."""
    after = previous.last_event if previous else 0
    covered = TimelineEvent.objects.filter(pk__gt=after)
    later = covered.filter(at__gte=end_of(day)).order_by("pk").values_list("pk", flat=True).first()
    if later is not None:
        covered = covered.filter(pk__lt=later)
    moved, new_chains = {}, 0
    rows = covered.order_by("pk").values_list("incident_id", "pk", "hash", "prev_id")
    for incident, pk, digest, prev_id in rows.iterator(chunk_size=5000):
        moved[incident] = (pk, digest)
        new_chains += prev_id is None
    heads = [[incident, pk, digest] for incident, (pk, digest) in sorted(moved.items())]
    fields = {
        "day": day,
        "prev_digest": previous.digest if previous else "",
        "last_event": max((pk for pk, _digest in moved.values()), default=after),
        "chains": (previous.chains if previous else 0) + new_chains,
        "heads": heads,
    }
    try:
        with transaction.atomic():
            return AuditSeal.objects.create(sealed_at=now, digest=seal_digest(**fields), **fields)
    except IntegrityError:
        return None
