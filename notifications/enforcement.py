"""The enforcement pass: one function, ``enforce(now)``, whichever scheduler calls it.

Every deadline lives on its obligation row, so a pass only has to look at the rows that are due:
a missed or repeated pass is harmless, and the next one catches up.
"""

from dataclasses import asdict, dataclass

from django.utils import timezone

from incidents.services.obligations import mark_due_obligations_overdue

from .models import EnforcementRun

PASS_NAME = "enforcement"


@dataclass
class PassSummary:
    marked_overdue: int = 0


def enforce(now) -> PassSummary:
    """Run one pass as of ``now``: mark obligations past their deadline overdue, then record the run."""
    summary = PassSummary(marked_overdue=mark_due_obligations_overdue(now))
    EnforcementRun.objects.update_or_create(
        name=PASS_NAME,
        defaults={"last_started_at": now, "last_finished_at": timezone.now(), "last_summary": asdict(summary)},
    )
    return summary


def last_run() -> EnforcementRun | None:
    return EnforcementRun.objects.filter(name=PASS_NAME).first()
