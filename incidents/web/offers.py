"""Casework on the incident page: a form for each step a person may take, and the requests they may decide.

Each step is declared once as an ``Offer``: who is offered it, its form, and the service it hands the form's
data to. The page shows the offers the caller is allowed (``offered_forms``); the views that take the posts
are in ``casework``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.access import Caller
from incidents.casework import deciders
from incidents.casework.co_handling import set_co_departments
from incidents.casework.instructions import give_instruction, may_instruct
from incidents.casework.requests import ask_extension, ask_return, ask_waiver
from incidents.casework.transfer import transfer
from incidents.models import CaseRequest, Department, Incident, Obligation, Role
from incidents.services.incidents import EDITABLE_DETAILS, edit_details
from opinion_tracker.lib.forms import https_formfield

from .forms import MomentInput

REASON = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


def working_departments(caller: Caller):
    departments = Department.objects.order_by("name")
    return (
        departments
        if caller.sees_everything and Role.ADMIN in caller.roles
        else departments.filter(pk__in=caller.own_subtree)
    )


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.none(), label=_("new lead department"))
    reason = REASON

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = working_departments(caller).exclude(pk=incident.department_id)


class ReasonOnlyForm(forms.Form):
    reason = REASON

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)


class ObligationChoiceForm(forms.Form):
    """A step on one of the incident's open obligations (the lead's, not an instruction's)."""

    obligation = forms.ModelChoiceField(Obligation.objects.none(), label=_("obligation"))

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        open_ones = incident.obligations.filter(state__in=Obligation.OPEN_STATES, instruction=None)
        self.fields["obligation"].queryset = open_ones.order_by("due_at")
        self.fields["obligation"].label_from_instance = lambda o: f"{o.get_kind_display()} · {o.due_at:%m-%d %H:%M}"


class ExtensionForm(ObligationChoiceForm):
    due_at = forms.DateTimeField(label=_("new deadline"), widget=MomentInput())
    reason = REASON


class WaiverRequestForm(ObligationChoiceForm):
    reason = REASON


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("instruction"), widget=forms.Textarea(attrs={"rows": 3}))
    departments = forms.ModelMultipleChoiceField(
        Department.objects.order_by("name"), label=_("addressed to"), widget=forms.CheckboxSelectMultiple
    )
    due_at = forms.DateTimeField(
        label=_("reply due at"), required=False, widget=MomentInput(), help_text=_("Empty: 24 hours from now.")
    )

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = working_departments(caller) | Department.objects.filter(
            pk__in=[incident.department_id, *incident.co_departments.values_list("pk", flat=True)]
        )


class CoDepartmentsForm(forms.Form):
    co_departments = forms.ModelMultipleChoiceField(
        Department.objects.none(),
        label=_("co-handling departments (配合单位)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, incident, caller, **kwargs):
        kwargs.setdefault("initial", {"co_departments": list(incident.co_departments.all())})
        super().__init__(*args, **kwargs)
        government = incident.department.nearest_government()
        siblings = Department.objects.filter(parent=government) if government else Department.objects.none()
        self.fields["co_departments"].queryset = (
            (siblings | incident.co_departments.all() | working_departments(caller))
            .exclude(pk=incident.department_id)
            .distinct()
            .order_by("name")
        )


class DetailsForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = list(EDITABLE_DETAILS)
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = https_formfield

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, instance=incident, **kwargs)


@dataclass(frozen=True)
class Offer:
    """One casework step on the incident page."""

    name: str
    title: str
    form: type[forms.Form]
    offered: Callable[[Caller, Incident], bool]
    apply: Callable[..., object]  # (incident, data, actor, now) → what the service returns
    done: str


OFFERS = {
    offer.name: offer
    for offer in [
        Offer(
            "details",
            _("Correct the title, summary or source"),
            DetailsForm,
            deciders.may_handle,
            lambda incident, data, actor, now: edit_details(incident, changes=data, actor=actor, now=now),
            _("Details corrected; the timeline keeps what they were."),
        ),
        Offer(
            "co_departments",
            _("Co-handling departments"),
            CoDepartmentsForm,
            lambda caller, incident: deciders.may_handle(caller, incident) or deciders.is_office(caller, incident),
            lambda incident, data, actor, now: set_co_departments(
                incident, departments=list(data["co_departments"]), actor=actor, now=now
            ),
            _("Co-handling departments changed."),
        ),
        Offer(
            "transfer",
            _("Transfer to another lead department (转办)"),
            TransferForm,
            deciders.may_transfer,
            lambda incident, data, actor, now: transfer(incident, **data, actor=actor, now=now),
            _("Transferred; every deadline stands and the new lead is escalated to from now on."),
        ),
        Offer(
            "return",
            _("Ask for a return: not our remit (退回)"),
            ReasonOnlyForm,
            lambda caller, incident: deciders.may_handle(caller, incident) and not deciders.is_office(caller, incident),
            lambda incident, data, actor, now: ask_return(incident, **data, actor=actor, now=now),
            _("Return asked for; the government office decides, and the deadlines run until then."),
        ),
        Offer(
            "extension",
            _("Ask for an extension (延期)"),
            ExtensionForm,
            deciders.may_handle,
            lambda incident, data, actor, now: ask_extension(data.pop("obligation"), **data, actor=actor, now=now),
            _("Extension asked for; the deadline stands until a leader approves."),
        ),
        Offer(
            "waiver",
            _("Ask for a waiver"),
            WaiverRequestForm,
            deciders.may_handle,
            lambda incident, data, actor, now: ask_waiver(data.pop("obligation"), **data, actor=actor, now=now),
            _("Waiver asked for; the obligation runs until a leader grants it."),
        ),
        Offer(
            "instruction",
            _("Give an instruction (批示)"),
            InstructionForm,
            may_instruct,
            lambda incident, data, actor, now: give_instruction(
                incident,
                text=data["text"],
                departments=list(data["departments"]),
                due_at=data["due_at"],
                actor=actor,
                now=now,
            ),
            _("Instruction given; each department addressed owes a reply."),
        ),
    ]
}


def offered_forms(caller: Caller, incident, bound=None) -> list[tuple[Offer, forms.Form]]:
    """The steps the caller may take on the (open) incident, each with its form (``bound``: name → form)."""
    if incident.state != Incident.State.OPEN:
        return []
    bound = bound or {}
    return [
        (offer, bound.get(offer.name) or offer.form(incident=incident, caller=caller))
        for offer in OFFERS.values()
        if offer.name in bound or offer.offered(caller, incident)
    ]


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("decision note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.ModelChoiceField(
        Department.objects.order_by("name"),
        label=_("new lead department"),
        required=False,
        help_text=_("Approving a return: the department that leads from now on."),
    )


def requests_to_show(caller: Caller, incident) -> list[tuple[CaseRequest, DecisionForm | None]]:
    """The incident's requests, newest first, each with a decision form when the caller may decide it."""
    shown = []
    for request in incident.requests.select_related("requested_by", "decided_by", "obligation").order_by(
        "-requested_at", "-pk"
    ):
        decidable = request.state == CaseRequest.State.PENDING and deciders.may_decide(caller, request)
        shown.append((request, DecisionForm(prefix=f"r{request.pk}") if decidable else None))
    return shown
