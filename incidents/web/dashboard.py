"""The duty dashboard: open incidents, the nearest deadline first, each obligation with its clock."""

from django import forms
from django.db.models import F, Min, Prefetch, Q
from django.utils import timezone
from django.views.generic import ListView

from incidents.access import INCIDENT_HANDLERS, subtree_ids
from incidents.forms import department_filter, severity_filter
from incidents.models import Department, Incident, Obligation
from opinion_tracker.lib.durations import countdown_patterns

from .access import PersonPage
from .clocks import clock_of
from .pages import DUTY_BOARD


class DashboardFilter(forms.Form):
    department = department_filter(Department.objects.none())
    severity = severity_filter()

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


def with_clocks(incidents, now) -> list[tuple[Incident, list]]:
    """Each incident with its obligations and their clocks, nearest deadline first."""
    return [(incident, [(o, clock_of(o, now)) for o in incident.obligations.all()]) for incident in incidents]


class DashboardView(PersonPage, ListView):
    roles = DUTY_BOARD.roles
    template_name = "tracker/dashboard.html"
    paginate_by = 50

    def get_queryset(self):
        departments = Department.objects.filter(self.caller.scope_filter("pk")).order_by("name")
        self.filter_form = DashboardFilter(self.request.GET or None, departments=departments)
        incidents = Incident.objects.filter(self.caller.scope_filter("department"), state=Incident.State.OPEN)
        if self.filter_form.is_valid():
            department = self.filter_form.cleaned_data["department"]
            if department is not None:
                incidents = incidents.filter(department__in=subtree_ids(department.pk))
            if self.filter_form.cleaned_data["severity"]:
                incidents = incidents.filter(severity=self.filter_form.cleaned_data["severity"])
        next_due = Min("obligations__due_at", filter=Q(obligations__state__in=Obligation.OPEN_STATES))
        return (
            incidents.annotate(next_due=next_due)
            .select_related("department")
            .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.order_by("due_at", "pk")))
            .order_by(F("next_due").asc(nulls_last=True), "discovered_at", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        return {
            **context,
            "rows": with_clocks(context["page_obj"], now),
            "filter_form": self.filter_form,
            "may_log": self.caller.has_any(INCIDENT_HANDLERS),
            "now": now,
            "countdown_patterns": countdown_patterns(),
        }
