"""Query filters of docs/api.md (django-filter), shared by the list endpoints and the schema."""

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from incidents.access import caller_of
from incidents.models import CaseRequest, Incident, Obligation
from opinion_tracker.lib.validation import LARGEST_ID


class IdField(forms.IntegerField):
    """A row id: a whole number a database column can hold (larger ones overflow SQLite's integers)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=LARGEST_ID, **kwargs)


class IdFilter(filters.NumberFilter):
    """An id filter that finds nothing for an id outside the caller's scope, rather than saying it exists.

    django-filter's model-choice filters would answer 400 for an id that exists nowhere and 200 with
    nothing for one that exists elsewhere, which tells the caller which ids exist.
    """

    field_class = IdField


class MomentField(IsoDateTimeField):
    """An ISO 8601 time (Beijing time without an offset) between the years 1900 and 2200."""

    def to_python(self, value):
        try:
            moment = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(_("This time is out of range.")) from None
        if moment is not None and not 1900 <= moment.year <= 2200:
            raise forms.ValidationError(_("This time is out of range."))
        return moment


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = MomentField


class DepartmentFilterSet(filters.FilterSet):
    """``department=<id>`` keeps that department and its subtree; ``include_children=false``, it alone.

    An id outside the caller's scope simply finds nothing: the querysets are scoped already, and a
    400 here would tell the caller that the department exists.
    """

    department_path = "department"
    department = IdFilter(method="filter_department", label="department id")
    include_children = filters.BooleanFilter(method="keep_all", label="include sub-departments (default true)")

    def filter_department(self, queryset, name, value):
        return queryset.filter(**{f"{self.department_path}__in": self.departments_asked(value)})

    def departments_asked(self, value):
        """The department asked for, with its subtree unless ``include_children=false`` (from the tree the caller's
        scope was read from: one read of it a request)."""
        if self.form.cleaned_data.get("include_children") is False:
            return {value}
        return caller_of(self.request).subtree(value)

    def keep_all(self, queryset, name, value):
        return queryset  # read by filter_department


class IncidentFilter(DepartmentFilterSet):
    discovered_after = MomentFilter(field_name="discovered_at", lookup_expr="gte")
    discovered_before = MomentFilter(field_name="discovered_at", lookup_expr="lte")
    q = filters.CharFilter(method="search", label="words in the title or summary")
    co_department = IdFilter(field_name="co_departments", label="a co-handling department's id")

    class Meta:
        model = Incident
        fields = [
            "state",
            "severity",
            "department",
            "include_children",
            "discovered_after",
            "discovered_before",
            "q",
            "co_department",
        ]

    def search(self, queryset, name, value):
        return queryset.search(value)


class ObligationFilter(DepartmentFilterSet):
    """``department`` keeps the obligations that department (and its subtree) owes."""

    due_before = MomentFilter(field_name="due_at", lookup_expr="lte")
    due_after = MomentFilter(field_name="due_at", lookup_expr="gte")
    incident = IdFilter(field_name="incident")

    class Meta:
        model = Obligation
        fields = ["state", "kind", "incident", "department", "include_children", "due_before", "due_after"]

    def filter_department(self, queryset, name, value):
        return queryset.filter(Obligation.owed_by(self.departments_asked(value)))


class RequestFilter(filters.FilterSet):
    incident = IdFilter(field_name="incident")

    class Meta:
        model = CaseRequest
        fields = ["state", "kind", "incident"]
