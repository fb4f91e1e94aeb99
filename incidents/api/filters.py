"""Query filters of API.md (django-filter), shared by the list endpoints and the schema."""

import django_filters as filters
from django.db.models import Q

from incidents.models import Incident, Obligation

from .access import subtree_ids


class DepartmentFilterSet(filters.FilterSet):
    """``department=<id>`` keeps that department and its subtree; ``include_children=false``, it alone.

    An id outside the caller's scope simply finds nothing: the querysets are scoped already, and a
    400 here would tell the caller that the department exists.
    """

    department_path = "department"
    department = filters.NumberFilter(method="filter_department", label="department id")
    include_children = filters.BooleanFilter(method="keep_all", label="include sub-departments (default true)")

    def filter_department(self, queryset, name, value):
        alone = self.form.cleaned_data.get("include_children") is False
        ids = {int(value)} if alone else subtree_ids(int(value))
        return queryset.filter(**{f"{self.department_path}__in": ids})

    def keep_all(self, queryset, name, value):
        return queryset  # read by filter_department


class IncidentFilter(DepartmentFilterSet):
    discovered_after = filters.IsoDateTimeFilter(field_name="discovered_at", lookup_expr="gte")
    discovered_before = filters.IsoDateTimeFilter(field_name="discovered_at", lookup_expr="lte")
    q = filters.CharFilter(method="search", label="words in the title or summary")

    class Meta:
        model = Incident
        fields = ["state", "severity", "department", "include_children", "discovered_after", "discovered_before", "q"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word))
        return queryset


class ObligationFilter(DepartmentFilterSet):
    department_path = "incident__department"
    due_before = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")
    due_after = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    incident = filters.NumberFilter(field_name="incident")

    class Meta:
        model = Obligation
        fields = ["state", "kind", "incident", "department", "include_children", "due_before", "due_after"]
