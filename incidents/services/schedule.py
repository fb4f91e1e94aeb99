"""Loading a year's official working calendar, and recomputing the provisional deadlines it settles."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from incidents.models import CalendarDay, CalendarYear, Obligation
from opinion_tracker.lib.validation import Errors

from .calendar import WorkingCalendar
from .deadlines import compute_due
from .locks import lock_incidents
from .obligations import reschedule


def load_year(year, *, holidays, workdays, now, actor=None, note="", source=CalendarYear.Source.ADMIN):
    """Load (or correct) ``year``'s official schedule, replacing the days it had, then recompute."""
    holidays, workdays = set(holidays), set(workdays)  # a date listed twice is listed once
    errors = Errors()
    if any(day.weekday() < 5 for day in workdays):
        errors.add("workdays", _("Adjusted working days are weekend days that are worked; a weekday is one already."))
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        if any(day.year != year for day in days):
            errors.add(field, _("Every date must be in %(year)s.") % {"year": year})
    if holidays & workdays:
        errors.add("workdays", _("A date cannot be both a holiday and a working day."))
    errors.raise_if_any()
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": source, "note": note}
        )
        calendar_year.days.all().delete()
        # One by one, not in bulk (a year has a few dozen days): each is a configuration change the audit records.
        for kind, days in ((CalendarDay.Kind.HOLIDAY, holidays), (CalendarDay.Kind.WORKDAY, workdays)):
            for day in sorted(days):
                CalendarDay.objects.create(year=calendar_year, date=day, kind=kind)
        recompute_provisional_deadlines(now, actor)
    return calendar_year


def recompute_provisional_deadlines(now, actor=None) -> int:
    """Recompute the deadlines a loaded calendar may move; returns how many moved.

    Those are the provisional ones, and the open working-day ones (a corrected official schedule). Their
    incidents are locked first, in id order, then the obligations: the order every service keeps
    (``incidents.services.locks``), so a calendar load never deadlocks with an action being recorded.
    """
    calendar = WorkingCalendar()
    affected = Obligation.objects.filter(
        Q(provisional=True) | Q(offset_working_days__isnull=False, state__in=Obligation.OPEN_STATES)
    ).exclude(state=Obligation.State.WAIVED)
    # An extended deadline is the date a leader approved, not a count of working days: it stays, and so
    # does the original it was judged against.
    affected = affected.filter(original_due_at=None)
    lock_incidents(affected.values("incident_id"))
    moved = 0
    for obligation in affected.select_for_update(of=("self",)).select_related("incident").order_by("pk"):
        due_at, provisional = compute_due(
            obligation.clock_started_at, obligation.offset, obligation.offset_working_days, calendar
        )
        moved += reschedule(obligation, due_at, provisional, now, actor)
    return moved
