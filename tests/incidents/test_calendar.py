"""Working-day deadlines on the mainland China calendar, official and provisional."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import CalendarYear, TimelineEvent
from incidents.services.calendar import WorkingCalendar, statutory_holidays
from incidents.services.deadlines import compute_due
from incidents.services.schedule import load_year
from opinion_tracker.lib.beijing import BEIJING

from ..conftest import beijing, obligations_by_kind

pytestmark = pytest.mark.django_db


def two_working_days_from(start):
    return WorkingCalendar().add_working_days(start, 2)


@pytest.mark.parametrize(
    ("start", "due", "why"),
    [
        (beijing(2026, 3, 10, 10), beijing(2026, 3, 13), "an ordinary week: Wednesday and Thursday"),
        (beijing(2026, 3, 13, 23, 59), beijing(2026, 3, 18), "a plain weekend does not count"),
        (beijing(2026, 2, 13, 9), beijing(2026, 2, 25), "Saturday 14 Feb is worked (调休), then 春节 15–23 Feb"),
        (beijing(2026, 9, 18, 9), beijing(2026, 9, 22), "Sunday 20 Sep is worked before National Day"),
        (beijing(2026, 9, 30, 9), beijing(2026, 10, 10), "National Day 1–7 Oct, then Thursday and Friday"),
        (beijing(2026, 10, 8, 9), beijing(2026, 10, 11), "Saturday 10 Oct is worked after National Day"),
        (beijing(2026, 10, 1, 9), beijing(2026, 10, 10), "the start day never counts, holiday or not"),
    ],
)
def test_two_working_days_follow_the_official_2026_schedule(start, due, why):
    assert two_working_days_from(start) == (due, False), why


def test_a_clock_started_late_in_the_utc_day_counts_from_its_beijing_date():
    # 17:00 UTC on Tuesday is 01:00 on Wednesday in Beijing: Thursday and Friday count.
    utc_evening = datetime.fromisoformat("2026-03-10T17:00:00+00:00")
    assert two_working_days_from(utc_evening) == (beijing(2026, 3, 14), False)


def test_a_deadline_in_a_year_not_yet_loaded_is_provisional(log):
    incident = log(severity="general", discovered_at=beijing(2026, 12, 31, 10))

    verification = obligations_by_kind(incident)["verification_report"]
    # 1 January 2027 is 元旦 by statute; Monday 4 January and Tuesday 5 January are computed working days.
    assert (verification.due_at, verification.provisional) == (beijing(2027, 1, 6), True)
    assert not obligations_by_kind(incident)["response"].provisional


def test_loading_the_year_recomputes_its_provisional_deadlines_with_a_timeline_event(log, org):
    incident = log(severity="general", discovered_at=beijing(2026, 12, 31, 10))

    # Suppose the State Council makes 4 January 2027 a holiday.
    load_year(
        2027,
        holidays=[date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 1, 4)],
        workdays=[],
        now=beijing(2027, 1, 2),
        actor=org.leader,
    )

    verification = obligations_by_kind(incident)["verification_report"]
    assert (verification.due_at, verification.provisional) == (beijing(2027, 1, 7), False)
    event = incident.timeline.get(kind=TimelineEvent.Kind.DEADLINE_RECOMPUTED)
    assert datetime.fromisoformat(event.detail["before"]) == beijing(2027, 1, 6)
    assert event.actor == org.leader


def test_the_statutory_holidays_of_a_year_without_schedule():
    holidays = statutory_holidays(2027)

    assert {date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)} <= holidays  # 除夕 to 初三
    assert {date(2027, 1, 1), date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2)} <= holidays
    assert {date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 1), date(2027, 10, 3)} <= holidays
    assert len(holidays) == 13


def test_the_bundled_official_calendars_are_loaded_by_migrate():
    assert CalendarYear.objects.filter(year=2026, source="package").exists()
    assert not CalendarYear.objects.filter(year=2027).exists()


offsets = st.one_of(
    st.builds(lambda s: (timedelta(seconds=s), None), st.integers(min_value=1, max_value=30 * 24 * 3600)),
    st.builds(lambda d: (None, d), st.integers(min_value=1, max_value=30)),
)
starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(BEIJING))
no_db_reset = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@no_db_reset
@given(start=starts, offset=offsets)
def test_a_deadline_is_never_before_its_clock_starts(start, offset):
    due_at, _provisional = compute_due(start, *offset, WorkingCalendar())
    assert due_at > start


@no_db_reset
@given(start=starts, days=st.integers(min_value=1, max_value=30))
def test_working_day_deadlines_end_at_midnight_after_a_working_day(start, days):
    calendar = WorkingCalendar()
    due_at, provisional = calendar.add_working_days(start, days)

    local = due_at.astimezone(BEIJING)
    last_day = local.date() - timedelta(days=1)
    assert local.time() == time(0, 0)
    assert calendar.is_working_day(last_day)
    assert provisional == (last_day.year > 2026)


def test_a_deadline_moved_into_the_past_by_a_loaded_calendar_becomes_overdue(log, org):
    incident = log(severity="general", discovered_at=beijing(2026, 12, 31, 10))

    # Suppose 2027 is loaded with 4 and 5 January as working days and 2 January worked as well.
    load_year(2027, holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 2)], now=beijing(2027, 1, 5, 12))

    verification = obligations_by_kind(incident)["verification_report"]
    assert (verification.due_at, verification.state) == (beijing(2027, 1, 5), "overdue")
    assert incident.timeline.filter(obligation=verification, kind="obligation_overdue").exists()
