"""Loading a year's official working calendar, and recomputing the provisional deadlines it settles."""

from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import CalendarDay, CalendarYear, Obligation, TimelineEvent

from .calendar import WorkingCalendar
from .deadlines import compute_due
from .timeline import obligation_event
from .validation import Errors


def load_year(year, *, holidays, workdays, now, actor=None, note="", source=CalendarYear.Source.ADMIN):
    """Load (or correct) ``year``'s official schedule, replacing the days it had, then recompute."""
    errors = Errors()
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        if any(day.year != year for day in days):
            errors.add(field, _("Every date must be in %(year)s.") % {"year": year})
    if set(holidays) & set(workdays):
        errors.add("workdays", _("A date cannot be both a holiday and a working day."))
    errors.raise_if_any()
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": source, "note": note}
        )
        calendar_year.days.all().delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=calendar_year, date=day, kind=CalendarDay.Kind.HOLIDAY) for day in sorted(holidays)]
            + [CalendarDay(year=calendar_year, date=day, kind=CalendarDay.Kind.WORKDAY) for day in sorted(workdays)]
        )
        recompute_provisional_deadlines(now, actor)
    return calendar_year


def recompute_provisional_deadlines(now, actor=None) -> int:
    """Recompute every provisional deadline against the calendar as loaded now; returns how many moved.

    A met obligation is judged again against its new deadline; an open one is overdue or pending by it.
    """
    calendar = WorkingCalendar()
    changed = 0
    provisional = Obligation.objects.select_for_update().filter(provisional=True).exclude(state=Obligation.State.WAIVED)
    for obligation in provisional.select_related("incident"):
        due_at, still_provisional = compute_due(
            obligation.clock_started_at, obligation.offset, obligation.offset_working_days, calendar
        )
        if (due_at, still_provisional) == (obligation.due_at, obligation.provisional):
            continue
        before = obligation.due_at
        obligation.due_at, obligation.provisional = due_at, still_provisional
        if obligation.met_at is not None:
            on_time = obligation.met_at <= due_at
            obligation.state = Obligation.State.MET if on_time else Obligation.State.MET_LATE
        else:
            obligation.state = Obligation.State.OVERDUE if due_at <= now else Obligation.State.PENDING
        obligation.save(update_fields=["due_at", "provisional", "state"])
        obligation_event(
            obligation,
            TimelineEvent.Kind.DEADLINE_RECOMPUTED,
            now,
            actor,
            before=before,
            after=due_at,
            provisional=still_provisional,
            state=obligation.state,
        )
        changed += 1
    return changed
