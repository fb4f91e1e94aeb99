"""Which incidents a report covers: a period of Beijing dates, a department (and its subtree), a severity."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import DateTimeField, ExpressionWrapper, Q

from incidents.models import Incident, Obligation
from incidents.models.incident import EVENT_CLOCK_START
from opinion_tracker.lib.beijing import BEIJING


@dataclass(frozen=True)
class ReportScope:
    start: date
    end: date
    department_ids: frozenset[int] | None = None  # None: every department
    severity: str | None = None
    visible: Q = field(default_factory=Q)  # the caller's own restriction; empty for who sees everything

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=BEIJING)

    @property
    def ends_before(self) -> datetime:
        """The end date is inclusive: everything discovered before the next Beijing midnight."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BEIJING)

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the period chooses the incidents."""
        return self.department_ids is not None or bool(self.severity) or bool(self.visible)

    def incidents(self):
        incidents = Incident.objects.filter(discovered_at__gte=self.starts_at, discovered_at__lt=self.ends_before)
        incidents = incidents.filter(self.visible)
        if self.department_ids is not None:
            incidents = incidents.filter(department__in=self.department_ids)
        if self.severity:
            incidents = incidents.filter(severity=self.severity)
        return incidents

    def obligations(self):
        """The obligations of the incidents in scope.

        Each obligation keeps its incident's discovery time, so the period alone is matched on the
        obligations' own index (a year's report reads that year's obligations, not every one ever
        made); the incidents are joined only when the scope narrows them further.
        """
        obligations = Obligation.objects.filter(
            incident_discovered_at__gte=self.starts_at, incident_discovered_at__lt=self.ends_before
        )
        if self.narrowed:
            obligations = obligations.filter(incident__in=self.incidents())
        return obligations


def with_clock_start(incidents):
    """Each incident with its event clock's start, from which the first public response is timed.

    The first response's own time is kept on the incident (``first_public_response_at``), so a
    year's figures read the year's incidents alone, never all their actions.
    """
    return incidents.annotate(clock_start=ExpressionWrapper(EVENT_CLOCK_START, output_field=DateTimeField()))
