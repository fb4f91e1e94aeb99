"""The working calendar by year (docs/api.md, "Working calendar")."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES
from incidents.models import CalendarYear, Role
from incidents.services.calendar import WorkingCalendar
from incidents.services.schedule import load_year
from opinion_tracker.lib.api.views import ServiceShellMixin

from .permissions import RoleAllows

FIRST_YEAR, LAST_YEAR = 1990, 2099  # lunardate, which dates the lunar holidays, ends in 2099


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    loaded = serializers.BooleanField(
        read_only=True, help_text="Whether the official schedule is loaded; if not, the days are provisional."
    )
    holidays = serializers.ListField(child=serializers.DateField())
    workdays = serializers.ListField(
        child=serializers.DateField(), help_text="Adjusted working days (调休): weekend days that are worked."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class CalendarYearView(ServiceShellMixin, APIView):
    """A year's holidays and adjusted working days; administrators load or correct them."""

    permission_classes = [RoleAllows]
    roles = {"get": HUMAN_ROLES, "put": {Role.ADMIN}}

    @extend_schema(responses={200: CalendarYearSerializer})
    def get(self, request, year):
        return self.respond(CalendarYearSerializer, self.year_of(year))

    @extend_schema(request=CalendarYearSerializer, responses={200: CalendarYearSerializer})
    def put(self, request, year):
        self.check_year(year)
        data = self.valid(CalendarYearSerializer, request)
        load_year(
            year,
            holidays=data["holidays"],
            workdays=data["workdays"],
            note=data["note"],
            now=timezone.now(),
            actor=request.user,
        )
        return self.respond(CalendarYearSerializer, self.year_of(year))

    def year_of(self, year) -> dict:
        self.check_year(year)
        schedule = WorkingCalendar().year(year)
        official = CalendarYear.objects.filter(year=year).first()
        return {
            "year": year,
            "loaded": schedule.official,
            "holidays": sorted(schedule.holidays),
            "workdays": sorted(schedule.workdays),
            "note": official.note if official else "",
        }

    @staticmethod
    def check_year(year):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise NotFound(_("Years from %(first)d to %(last)d only.") % {"first": FIRST_YEAR, "last": LAST_YEAR})
