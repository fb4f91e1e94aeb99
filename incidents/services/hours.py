"""Working hours on the working calendar: when a step of a working-day obligation may go out.

Obligations counted in working days escalate only within working hours (docs/rules.md, "Working hours"):
a step due before the deadline outside them is brought forward to the end of the last working hours
before it, one due at or after the deadline is held to the next working-hours start. Moving is monotone
(a later time never moves before an earlier one), so held steps keep their order.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from incidents.models import WorkingHours
from incidents.models.hours import DEFAULT_END, DEFAULT_START
from opinion_tracker.lib.beijing import BEIJING

from .calendar import WorkingCalendar
from .deadlines import nearest_first

# Beyond this many days without a working day the calendar is wrong; stop rather than loop.
LONGEST_BREAK_DAYS = 60


@dataclass(frozen=True)
class Hours:
    """A government's working hours (Beijing time) on ``calendar``'s working days."""

    calendar: WorkingCalendar
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    def _opens(self, day: date) -> datetime:
        return datetime.combine(day, self.start, tzinfo=BEIJING)

    def _closes(self, day: date) -> datetime:
        return datetime.combine(day, self.end, tzinfo=BEIJING)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(BEIJING)
        return self.calendar.is_working_day(local.date()) and self.start <= local.time() <= self.end

    def next_start(self, at: datetime) -> datetime:
        """``at`` itself within working hours, else the next time they start."""
        if self.is_open(at):
            return at
        day = at.astimezone(BEIJING).date()
        for _ in range(LONGEST_BREAK_DAYS):
            if self.calendar.is_working_day(day) and self._opens(day) > at:
                return self._opens(day)
            day += timedelta(days=1)
        raise ValueError(f"No working day within {LONGEST_BREAK_DAYS} days after {at}")

    def last_end_before(self, at: datetime) -> datetime:
        """``at`` itself within working hours, else the end of the last working hours before it."""
        if self.is_open(at):
            return at
        day = at.astimezone(BEIJING).date()
        for _ in range(LONGEST_BREAK_DAYS):
            if self.calendar.is_working_day(day) and self._closes(day) < at:
                return self._closes(day)
            day -= timedelta(days=1)
        raise ValueError(f"No working day within {LONGEST_BREAK_DAYS} days before {at}")

    def move(self, at: datetime, due_at: datetime) -> datetime:
        """Where a step timed ``at`` goes: brought forward before the deadline, held at or after it."""
        return self.last_end_before(at) if at < due_at else self.next_start(at)


def hours_of(government_ids: list[int], calendar: WorkingCalendar) -> Hours:
    """The working hours of the nearest of ``government_ids`` (nearest first) that has its own, else the
    national row, else the default 08:30–17:30."""
    candidates = WorkingHours.objects.filter(government__in=government_ids) | WorkingHours.objects.filter(
        government__isnull=True
    )
    found = next(iter(nearest_first(candidates, government_ids)), None)
    if found is None:
        return Hours(calendar)
    return Hours(calendar, found.start, found.end)
