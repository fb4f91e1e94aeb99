"""The official working calendars bundled with chinesecalendar (2004 up to its last published year).

Later years are loaded by an administrator when the State Council publishes them; until then their
working-day deadlines are provisional.
"""

from django.db import migrations

CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def load(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("incidents", "CalendarYear")
    CalendarDay = apps.get_model("incidents", "CalendarDay")
    years = sorted({day.year for day in chinese_calendar.holidays})
    for year in years:
        CalendarYear.objects.get_or_create(
            year=year, defaults={"source": "package", "note": f"chinesecalendar {chinese_calendar.__version__}"}
        )
    days = [
        CalendarDay(year_id=day.year, date=day, kind=kind, name=CHINESE_NAMES.get(name, name))
        for kind, table in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays))
        for day, name in table.items()
        if day.year in years
    ]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_national_defaults")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
