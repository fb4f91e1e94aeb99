"""Which incidents a report covers: a period of Beijing dates, a department (and its subtree), a severity."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Coalesce, Least

from incidents.models import Incident
from incidents.services.calendar import BEIJING

# The event clock of RULES.md, in SQL: the earlier of occurrence (when known) and discovery.
CLOCK_STARTED_AT = Least(Coalesce("occurred_at", "discovered_at"), "discovered_at")


@dataclass(frozen=True)
class ReportScope:
    start: date
    end: date
    department_ids: frozenset[int] | None = None  # None: every department the caller may see
    severity: str | None = None

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=BEIJING)

    @property
    def ends_before(self) -> datetime:
        """The end date is inclusive: everything discovered before the next Beijing midnight."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BEIJING)

    def incidents(self, visible=None):
        """The incidents in scope; ``visible`` is the caller's own restriction (a Q), if any."""
        incidents = Incident.objects.filter(discovered_at__gte=self.starts_at, discovered_at__lt=self.ends_before)
        if visible is not None:
            incidents = incidents.filter(visible)
        if self.department_ids is not None:
            incidents = incidents.filter(department__in=self.department_ids)
        if self.severity:
            incidents = incidents.filter(severity=self.severity)
        return incidents


def with_clock_start(incidents):
    """Each incident with its event clock's start, from which the first public response is timed.

    The first response's own time is kept on the incident (``first_public_response_at``), so a
    year's figures read the year's incidents alone, never all their actions.
    """
    return incidents.annotate(clock_start=ExpressionWrapper(CLOCK_STARTED_AT, output_field=DateTimeField()))
