"""Logging an incident, and the incident page: its clocks, actions and timeline, and handling it.

Each form posts to its own URL. A form with errors comes back on the same page with everything typed
still in it; the services decide, the forms only show what they say. Other apps add panels of their own (the
statements app its drafts), declared on their ``AppConfig`` (``opinion_tracker.lib.contributions``).
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from incidents.access import INCIDENT_HANDLERS
from incidents.casework.regrading import regrade_or_ask
from incidents.forms import ReasonForm, RegradeForm
from incidents.models import CaseRequest, Incident, Obligation, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident
from incidents.timeline_text import describe
from opinion_tracker.lib.contributions import incident_panels
from opinion_tracker.lib.durations import countdown_patterns
from opinion_tracker.lib.forms import add_service_errors

from .access import PersonPage
from .clocks import clock_of
from .forms import LogIncidentForm, RecordActionForm
from .offers import offered_forms, requests_to_show


def run_service(form, apply):
    """What ``apply`` returns for a valid form's data, or None when the form or the service found errors
    (which the form then shows, on the fields they belong to)."""
    if not form.is_valid():
        return None
    try:
        return apply(**form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error.message_dict)
        return None


class LogIncidentView(PersonPage, View):
    roles = INCIDENT_HANDLERS
    template_name = "tracker/log_incident.html"

    def form(self, data=None):
        return LogIncidentForm(data, departments=self.caller.writable_departments().order_by("name"))

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        incident = run_service(form, lambda **data: log_incident(**data, actor=request.user, now=timezone.now()))
        if incident is not None:
            messages.success(request, _("Incident logged; its deadlines are running."))
            return redirect("web:incident", pk=incident.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class IncidentPage(PersonPage, View):
    """The incident as everyone in scope reads it; those who handle it also get the forms."""

    template_name = "tracker/incident.html"

    def incident(self, pk) -> Incident:
        visible = Incident.objects.filter(self.caller.incident_filter())
        return get_object_or_404(visible.select_related("department", "logged_by"), pk=pk)

    def may_handle(self, incident) -> bool:
        return self.caller.may_act(INCIDENT_HANDLERS, incident.department_id)

    def get(self, request, pk):
        return self.page(self.incident(pk))

    def page(self, incident, status=200, **forms):
        now = timezone.now()
        obligations = list(incident.obligations.order_by("due_at", "pk"))
        timeline = list(incident.timeline.select_related("actor", "obligation").order_by("at", "pk"))
        waivers = {
            event.obligation_id: describe(event) for event in timeline if event.kind == TimelineEvent.Kind.WAIVED
        }
        current, superseded = split_superseded(obligations)
        handling = self.may_handle(incident) and incident.state == Incident.State.OPEN
        context = {
            "incident": incident,
            "obligations": [(o, clock_of(o, now), waivers.get(o.pk, "")) for o in current],
            "superseded": [(o, waivers.get(o.pk, "")) for o in superseded],
            "actions": incident.actions.select_related("recorded_by").order_by("published_at", "pk"),
            "timeline": [(event, describe(event)) for event in timeline],
            "handling": handling,
            "now": now,
            "countdown_patterns": countdown_patterns(),
        }
        if handling:
            context["action_form"] = forms.get("action_form") or RecordActionForm(incident=incident)
            context["regrade_form"] = forms.get("regrade_form") or RegradeForm(initial={"severity": incident.severity})
            context["close_form"] = forms.get("close_form") or ReasonForm()
        context["panels"] = panels_of(self.request, self.caller, incident, now)
        context["casework"] = offered_forms(self.caller, incident, forms.get("casework"))
        context["requests"] = requests_to_show(self.caller, incident)
        return render(self.request, self.template_name, context, status=status)


def panels_of(request, caller, incident, now) -> list[tuple[str, dict]]:
    """The other apps' panels the caller gets on this incident: (template name, its context)."""
    found = (panel(request, caller, incident, now) for panel in incident_panels())
    return [panel for panel in found if panel is not None]


def split_superseded(obligations) -> tuple[list, list]:
    """The deadlines in force, and those a regrade waived that a later obligation of the same kind replaced
    (重大 → 一般 → 重大): shown apart, so a kind never reads as both waived and running."""
    replaced = set()
    for obligation in obligations:
        if obligation.waiver_kind == Obligation.Waiver.REGRADED and any(
            other.kind == obligation.kind and other.created_at > obligation.created_at for other in obligations
        ):
            replaced.add(obligation.pk)
    return [o for o in obligations if o.pk not in replaced], [o for o in obligations if o.pk in replaced]


class HandleIncident(IncidentPage):
    """A POST that hands its form's data to a service: the page again with the form's errors, or back to
    it on success. A subclass names the form, the service and what to say when it is done."""

    form_name = ""
    form_class: type
    service: Callable[..., object]
    done = ""

    def make_form(self, request, incident):
        return self.form_class(request.POST)

    def post(self, request, pk):
        incident = self.incident(pk)
        if not self.may_handle(incident):
            raise PermissionDenied
        form = self.make_form(request, incident)
        changed = run_service(
            form, lambda **data: self.service(incident, **data, actor=request.user, now=timezone.now())
        )
        if changed is not None:
            messages.success(request, self.done_message(changed))
            return redirect("web:incident", pk=incident.pk)
        return self.page(incident, status=400, **{self.form_name: form})

    def done_message(self, outcome) -> str:
        return self.done


class RecordActionView(HandleIncident):
    form_name = "action_form"
    service = staticmethod(record_action)
    done = _("Action recorded.")

    def make_form(self, request, incident):
        return RecordActionForm(request.POST, request.FILES, incident=incident)


class RegradeView(HandleIncident):
    form_name = "regrade_form"
    form_class = RegradeForm
    service = staticmethod(regrade_or_ask)
    done = _("Severity changed; the deadlines follow it.")

    def done_message(self, outcome) -> str:
        if isinstance(outcome, CaseRequest):
            return _("A downgrade needs a leader's approval: it is asked for, and the deadlines run until then.")
        return self.done


class CloseView(HandleIncident):
    form_name = "close_form"
    form_class = ReasonForm
    service = staticmethod(close)
    done = _("Incident closed.")
