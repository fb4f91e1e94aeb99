"""The mainland China working calendar, and deadlines counted in working days.

A year's official schedule (holidays and adjusted working days, 调休) lives in the database: the
bundled ``chinesecalendar`` schedules are loaded by a data migration, and an administrator loads or
corrects later years. For a year with no official schedule yet, working days are computed from
weekends and the statutory holidays alone, and every deadline that depends on such a year is marked
provisional, to be recomputed when the schedule is loaded.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chinese_calendar import get_solar_terms
from lunardate import LunarDate

from incidents.models import CalendarDay, CalendarYear
from opinion_tracker.lib.beijing import BEIJING


@dataclass(frozen=True)
class YearSchedule:
    year: int
    official: bool
    holidays: frozenset[date]
    workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def statutory_holidays(year: int) -> frozenset[date]:
    """The days off of 《全国年节及纪念日放假办法》 (2024 revision), without the 调休 a year's notice adds.

    元旦 1 day; 春节 4 days (除夕 to 初三); 清明 1 day (the solar term); 劳动节 2 days; 端午 1 day;
    中秋 1 day; 国庆 3 days. Lunar dates are known for 1900–2099 (lunardate's range), which covers every
    year an incident can be logged in.
    """
    new_year = LunarDate(year, 1, 1).to_solar_date()
    spring_festival = [new_year + timedelta(days=offset) for offset in (-1, 0, 1, 2)]
    return frozenset(
        [
            date(year, 1, 1),
            *spring_festival,
            qingming(year),
            date(year, 5, 1),
            date(year, 5, 2),
            LunarDate(year, 5, 5).to_solar_date(),
            LunarDate(year, 8, 15).to_solar_date(),
            date(year, 10, 1),
            date(year, 10, 2),
            date(year, 10, 3),
        ]
    )


def qingming(year: int) -> date:
    """清明 falls on 4, 5 or 6 April; chinesecalendar computes the solar term for any year."""
    (term_day, _name) = get_solar_terms(date(year, 4, 3), date(year, 4, 7))[0]
    return term_day


class WorkingCalendar:
    """Reads each year's schedule once; make one per unit of work, so edits are seen by the next."""

    def __init__(self):
        self._years: dict[int, YearSchedule] = {}

    def year(self, year: int) -> YearSchedule:
        if year not in self._years:
            self._years[year] = self._load(year)
        return self._years[year]

    @staticmethod
    def _load(year: int) -> YearSchedule:
        if not CalendarYear.objects.filter(year=year).exists():
            return YearSchedule(year, official=False, holidays=statutory_holidays(year), workdays=frozenset())
        days = CalendarDay.objects.filter(year_id=year).values_list("date", "kind")
        return YearSchedule(
            year,
            official=True,
            holidays=frozenset(day for day, kind in days if kind == CalendarDay.Kind.HOLIDAY),
            workdays=frozenset(day for day, kind in days if kind == CalendarDay.Kind.WORKDAY),
        )

    def is_working_day(self, day: date) -> bool:
        return self.year(day.year).is_working_day(day)

    def add_working_days(self, start: datetime, days: int) -> tuple[datetime, bool]:
        """The end (24:00 Beijing time) of the ``days``-th working day after ``start``'s calendar day.

        The start day itself never counts. Returns the deadline and whether any day counted lies in a
        year whose official schedule is not loaded (a provisional deadline).
        """
        day = start.astimezone(BEIJING).date()
        counted = 0
        provisional = False
        while counted < days:
            day += timedelta(days=1)
            schedule = self.year(day.year)
            provisional = provisional or not schedule.official
            if schedule.is_working_day(day):
                counted += 1
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=BEIJING), provisional
