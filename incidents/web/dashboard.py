"""The duty dashboard: open incidents, the nearest deadline first, each obligation with its clock; or the closed
ones, the most recently closed first, with when and why each was closed. Both can be searched by words of the
title or summary.

The board lists the incidents its caller's departments lead (``scope_filter``), not everything they may read
(``incident_filter``): the lead owns the obligations and their clocks (docs/rules.md), which the board is ordered
by; a co-handler has no clock of its own there. What reaches someone about an incident they do not lead comes with
its link: an instruction addressed to their department on 待办, an escalation step on 我的督办.

The open board updates itself (``DashboardFeedView``): the page polls a small JSON answer every enforcement
interval for the open incidents, under the same filters, logged since the newest one it shows (``after``, an
incident id), each row rendered with the board's own row template, so the script only inserts them.
"""

from django import forms
from django.conf import settings
from django.db.models import F, Max, Min, Prefetch, Q
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, View

from incidents.access import INCIDENT_HANDLERS
from incidents.forms import department_filter, severity_filter
from incidents.models import Department, Incident, Obligation
from opinion_tracker.lib.durations import countdown_patterns
from opinion_tracker.lib.feeds import bad_after, feed_after

from .access import PersonPage
from .clocks import clock_of
from .pages import DUTY_BOARD

SEARCH_MAX_LENGTH = 200
FEED_MAX_ROWS = 50  # the rows a feed answer carries at most, as many as a page of the board
ROW_TEMPLATE = "tracker/_dashboard_row.html"


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


def board_incidents(caller, params) -> tuple[DashboardFilter, str, object]:
    """The filter form, the state shown and the incidents of the board under the filters in ``params``."""
    departments = Department.objects.filter(caller.scope_filter("pk")).order_by("name")
    filter_form = DashboardFilter(params or None, departments=departments)
    # A mistaken value leaves the list unnarrowed, the form saying what was wrong; a valid state still holds.
    valid = filter_form.is_valid()
    state = filter_form.chosen_state()
    incidents = Incident.objects.filter(caller.scope_filter("department"), state=state)
    if valid:
        department = filter_form.cleaned_data["department"]
        if department is not None:
            incidents = incidents.filter(department__in=caller.subtree(department.pk))
        if filter_form.cleaned_data["severity"]:
            incidents = incidents.filter(severity=filter_form.cleaned_data["severity"])
        incidents = incidents.search(filter_form.cleaned_data["q"])
    return filter_form, state, incidents


def open_board_order(incidents):
    next_due = Min("obligations__due_at", filter=Q(obligations__state__in=Obligation.OPEN_STATES))
    return (
        incidents.annotate(next_due=next_due)
        .select_related("department")
        .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.order_by("due_at", "pk")))
        .order_by(F("next_due").asc(nulls_last=True), "discovered_at", "pk")
    )


class DashboardView(PersonPage, ListView):
    roles = DUTY_BOARD.roles
    template_name = "tracker/dashboard.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form, self.state, incidents = board_incidents(self.caller, self.request.GET)
        if self.state == Incident.State.CLOSED:
            return incidents.select_related("department").order_by(F("closed_at").desc(nulls_last=True), "-pk")
        # Where the feed starts: the newest incident the open board holds under its filters, on any of its pages.
        self.newest = incidents.aggregate(newest=Max("pk"))["newest"] or 0
        return open_board_order(incidents)

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
            # Only the first page of the open board takes new rows at its top; the feed keeps the same filters.
            "live": not closed and context["page_obj"].number == 1,
            "feed_query": feed_query(self.request.GET),
            "newest": getattr(self, "newest", 0),
            "poll_interval": settings.ENFORCEMENT_INTERVAL_SECONDS,
        }


def feed_query(params) -> str:
    """The board's filters as the feed's query string (without the page and ``after``)."""
    query = params.copy()
    for name in ("page", "after"):
        query.pop(name, None)
    return query.urlencode()


def row_of(incident, clocks, request) -> dict:
    """An incident as the feed carries it: its id and its row, rendered as the board renders it."""
    html = render_to_string(ROW_TEMPLATE, {"incident": incident, "clocks": clocks}, request)
    return {"id": incident.pk, "html": html}


class DashboardFeedView(PersonPage, View):
    """The open incidents under the board's filters logged after ``after`` (an incident id), oldest first, each
    with its row as the board renders it; ``after`` in the answer is where the next poll starts."""

    roles = DUTY_BOARD.roles

    def get(self, request):
        after = feed_after(request.GET)
        if after is None:
            return bad_after()
        query = request.GET.copy()
        query.pop("state", None)  # the feed is of the open board only
        _form, _state, incidents = board_incidents(self.caller, query)
        incidents = incidents.filter(pk__gt=after)
        # The newest at most, oldest first: the script puts each at the top, so the newest ends up first.
        newest = sorted(open_board_order(incidents).order_by("-pk")[:FEED_MAX_ROWS], key=lambda i: i.pk)
        now = timezone.now()
        rows = [row_of(incident, clocks, request) for incident, clocks in with_clocks(newest, now)]
        return JsonResponse({"after": max([after, *(incident.pk for incident in newest)]), "rows": rows})
