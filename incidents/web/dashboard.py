"""The duty dashboard: open incidents, the nearest deadline first, each obligation with its clock; or the closed
ones, the most recently closed first, with when and why each was closed. Both can be searched by words of the
title or summary.

The board lists the incidents its caller's departments lead (``scope_filter``), not everything they may read
(``incident_filter``): the lead owns the obligations and their clocks (docs/rules.md), which the board is ordered
by; a co-handler has no clock of its own there. What reaches someone about an incident they do not lead comes with
its link: an instruction addressed to their department on 待办, an escalation step on 我的督办.
"""

from django import forms
from django.db.models import F, Min, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from incidents.access import INCIDENT_HANDLERS, subtree_ids
from incidents.forms import department_filter, severity_filter
from incidents.models import Department, Incident, Obligation
from opinion_tracker.lib.durations import countdown_patterns

from .access import PersonPage
from .clocks import clock_of
from .pages import DUTY_BOARD

SEARCH_MAX_LENGTH = 200


class DashboardFilter(forms.Form):
    q = forms.CharField(
        label=_("search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput(attrs={"placeholder": _("words in the title or summary")}),
    )
    department = department_filter(Department.objects.none())
    severity = severity_filter()
    state = forms.ChoiceField(label=_("state"), choices=Incident.State.choices, required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def chosen_state(self) -> str:
        """The state asked for, once validated; open unless closed was asked for (and valid)."""
        state = getattr(self, "cleaned_data", {}).get("state")
        return Incident.State.CLOSED if state == Incident.State.CLOSED else Incident.State.OPEN


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
        # A mistaken value leaves the list unnarrowed, the form saying what was wrong; a valid state still holds.
        valid = self.filter_form.is_valid()
        self.state = self.filter_form.chosen_state()
        incidents = Incident.objects.filter(self.caller.scope_filter("department"), state=self.state)
        if valid:
            department = self.filter_form.cleaned_data["department"]
            if department is not None:
                incidents = incidents.filter(department__in=subtree_ids(department.pk))
            if self.filter_form.cleaned_data["severity"]:
                incidents = incidents.filter(severity=self.filter_form.cleaned_data["severity"])
            incidents = incidents.search(self.filter_form.cleaned_data["q"])
        if self.state == Incident.State.CLOSED:
            return incidents.select_related("department").order_by(F("closed_at").desc(nulls_last=True), "-pk")
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
        closed = self.state == Incident.State.CLOSED
        # Closed incidents have no clocks left to show: only when and why they were closed.
        rows = [(incident, []) for incident in context["page_obj"]] if closed else with_clocks(context["page_obj"], now)
        return {
            **context,
            "rows": rows,
            "closed": closed,
            "filter_form": self.filter_form,
            "may_log": self.caller.has_any(INCIDENT_HANDLERS),
            "now": now,
            "countdown_patterns": countdown_patterns(),
        }
