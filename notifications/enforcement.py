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
from django.utils import timezone

from incidents.services.obligations import mark_due_obligations_overdue

from .delivery import deliver_due_inline
from .escalation import escalate_due
from .limits import forget_old_sends
from .models import EnforcementRun

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
    """
    steps_recorded, marked_with_steps = escalate_due(now)
    summary = PassSummary(
        marked_overdue=marked_with_steps + mark_due_obligations_overdue(now), steps_recorded=steps_recorded
    )
    summary.deliveries = deliver(now)
    forget_old_sends(now)
    EnforcementRun.objects.update_or_create(
        name=PASS_NAME,
        defaults={"last_started_at": now, "last_finished_at": timezone.now(), "last_summary": asdict(summary)},
    )
    return summary


def last_run() -> EnforcementRun | None:
    return EnforcementRun.objects.filter(name=PASS_NAME).first()


def is_recent(run: EnforcementRun | None, now) -> bool:
    """Whether the last pass finished within three intervals; after that the scheduler looks stopped."""
    limit = timedelta(seconds=3 * settings.ENFORCEMENT_INTERVAL_SECONDS)
    return run is not None and now - run.last_finished_at <= limit
