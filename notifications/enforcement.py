"""The enforcement pass: one function, ``enforce(now)``, whichever scheduler calls it.

Every deadline and every next step lives on its obligation row, so a pass only has to look at the
rows that are due: a missed, late or repeated pass is harmless, and the next one catches up. A pass
records the escalation steps whose time has come (marking the obligations it holds overdue when their
deadline has passed), marks overdue any other obligation past its deadline, then hands the
notifications to delivery after those records are committed.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from incidents.models import Obligation
from incidents.services.obligations import mark_due_obligations_overdue

from .batches import deliver_due_inline
from .escalation import escalate_due
from .limits import forget_old_sends
from .models import EnforcementRun, Notification

PASS_NAME = "enforcement"


@dataclass
class PassSummary:
    marked_overdue: int = 0
    steps_recorded: int = 0
    deliveries: int = 0


def enforce(now, deliver: Callable = deliver_due_inline) -> PassSummary:
    """Run one pass as of ``now``.

    ``deliver(now)`` hands over what is ready to send and returns how many it handed over: inline
    by default (the embedded scheduler, ``enforce_deadlines --once``), to Celery workers in production.
    A pass with nothing due (most of them) reads one row of three indexes and writes its heartbeat.
    """
    summary = PassSummary()
    if anything_due(now):
        steps_recorded, marked_with_steps = escalate_due(now)
        summary.marked_overdue = marked_with_steps + mark_due_obligations_overdue(now)
        summary.steps_recorded = steps_recorded
        summary.deliveries = deliver(now)
        forget_old_sends(now)  # sends accumulate only in passes with something to send
    beat(now, summary)
    return summary


# Everything a pass does starts from a row of one of these three partial indexes (open obligations by next step,
# pending ones by deadline, pending notifications by when they can be claimed): the same conditions as the pass's
# own queries (``escalate_due``, ``mark_due_obligations_overdue``, ``delivery.claimable``), written out once so that
# an idle pass does not spend a millisecond having the ORM compile three querysets.
ANYTHING_DUE = """
SELECT EXISTS (SELECT 1 FROM {obligations} WHERE state IN (%s, %s) AND next_step_at <= %s)
    OR EXISTS (SELECT 1 FROM {obligations} WHERE state = %s AND due_at <= %s)
    OR EXISTS (SELECT 1 FROM {notifications} WHERE status = %s AND available_at <= %s)
"""


def anything_due(now) -> bool:
    """Whether a step, a deadline or a delivery is due by ``now``: one query, an index probe on each."""
    quote, at = connection.ops.quote_name, connection.ops.adapt_datetimefield_value(now)
    sql = ANYTHING_DUE.format(
        obligations=quote(Obligation._meta.db_table), notifications=quote(Notification._meta.db_table)
    )
    pending = Obligation.State.PENDING
    with connection.cursor() as cursor:
        cursor.execute(sql, [*Obligation.OPEN_STATES, at, pending, at, Notification.Status.PENDING, at])
        return bool(cursor.fetchone()[0])


def beat(now, summary: PassSummary) -> None:
    """The heartbeat /healthz and /metrics read: one UPDATE, without a transaction (the row is made once)."""
    fields = {"last_started_at": now, "last_finished_at": timezone.now(), "last_summary": asdict(summary)}
    if not EnforcementRun.objects.filter(name=PASS_NAME).update(**fields):
        EnforcementRun.objects.update_or_create(name=PASS_NAME, defaults=fields)


def last_run() -> EnforcementRun | None:
    return EnforcementRun.objects.filter(name=PASS_NAME).first()


def is_recent(run: EnforcementRun | None, now) -> bool:
    """Whether the last pass finished within three intervals; after that the scheduler looks stopped."""
    limit = timedelta(seconds=3 * settings.ENFORCEMENT_INTERVAL_SECONDS)
    return run is not None and now - run.last_finished_at <= limit
