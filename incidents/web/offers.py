"""Casework on the incident page: a form for each step a person may take, and the requests they may decide.

Each step is declared once as an ``Offer``: who is offered it, its form, and the service it hands the form's
data to. The page shows the offers the caller is allowed (``offered_forms``); the views that take the posts
are in ``casework``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.access import Caller
from incidents.casework import deciders
from incidents.casework.assessments import may_assess, record_assessment
from incidents.casework.co_handling import may_name_co_departments, reports_for, set_co_departments
from incidents.casework.instructions import give_instruction, may_instruct
from incidents.casework.merging import may_merge, merge, open_follow_on
from incidents.casework.requests import ask_extension, ask_return, ask_waiver
from incidents.casework.transfer import transfer
from incidents.models import ActionKind, CaseRequest, Department, Incident, Obligation, ObligationKind, Person, Severity
from incidents.services.actions import record_action
from incidents.services.deadlines import policies_for
from incidents.services.incidents import EDITABLE_DETAILS, edit_details
from opinion_tracker.lib.forms import IdChoiceField, IdChoicesField, https_formfield

from .forms import MomentInput

REASON = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


def working_departments(caller: Caller):
    return caller.departments_worked_on().order_by("name")


class TransferForm(forms.Form):
    department = IdChoiceField(Department.objects.none(), label=_("new lead department"))
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

    obligation = IdChoiceField(Obligation.objects.none(), label=_("obligation"))

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        open_ones = incident.obligations.filter(Obligation.of_policy(), state__in=Obligation.OPEN_STATES)
        self.fields["obligation"].queryset = open_ones.order_by("due_at")
        self.fields["obligation"].label_from_instance = lambda o: (
            f"{o.get_kind_display()} · {timezone.localtime(o.due_at):%m-%d %H:%M}"
        )


class ExtensionForm(ObligationChoiceForm):
    """Offers only the obligations the policy lets be extended; the service judges the new deadline."""

    due_at = forms.DateTimeField(label=_("new deadline"), widget=MomentInput())
    reason = REASON

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, incident=incident, caller=caller, **kwargs)
        policies = policies_for(incident.department, incident.severity)
        extendable = [kind for kind, policy in policies.items() if policy.max_extension_working_days]
        self.fields["obligation"].queryset = self.fields["obligation"].queryset.filter(kind__in=extendable)


class WaiverRequestForm(ObligationChoiceForm):
    reason = REASON


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("instruction"), widget=forms.Textarea(attrs={"rows": 3}))
    departments = IdChoicesField(
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
    co_departments = IdChoicesField(
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


class AssessmentForm(forms.Form):
    held_at = forms.DateTimeField(label=_("held at"), widget=MomentInput())
    participants = IdChoicesField(
        Person.objects.none(), label=_("participants"), required=False, widget=forms.CheckboxSelectMultiple
    )
    participants_text = forms.CharField(label=_("other participants"), required=False)
    conclusion = forms.CharField(label=_("conclusion"), widget=forms.Textarea(attrs={"rows": 3}))
    response_line = forms.CharField(
        label=_("response line (口径)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(
        label=_("severity decided"), required=False, choices=[("", _("unchanged")), *Severity.choices]
    )

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        near = [incident.department_id, *incident.co_departments.values_list("pk", flat=True)]
        office = incident.department.nearest_government()
        if office is not None and office.supervising_office_id:
            near.append(office.supervising_office_id)
        self.fields["participants"].queryset = Person.objects.filter(department__in=near, is_active=True)


def rectifications_owed(caller: Caller, incident):
    """The incident's rectification reports still owed by a department the caller submits them for."""
    owed = incident.obligations.filter(kind=ObligationKind.RECTIFICATION, state__in=Obligation.OPEN_STATES)
    return owed.filter(pk__in=[o.pk for o in owed if reports_for(caller, o.department_id)])


class RectificationReportForm(forms.Form):
    """A rectification report (整改报告) with its document, for one 约谈整改 the caller's department owes."""

    rectification = IdChoiceField(Obligation.objects.none(), label=_("admonishing interview"))
    published_at = forms.DateTimeField(label=_("submitted at"), widget=MomentInput())
    evidence_file = forms.FileField(label=_("the report (document)"))
    summary = forms.CharField(label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, incident, caller, **kwargs):
        kwargs.setdefault("initial", {"published_at": timezone.localtime()})
        super().__init__(*args, **kwargs)
        field = self.fields["rectification"]
        owed = rectifications_owed(caller, incident).select_related("finding", "department")
        field.queryset = owed.order_by("due_at")
        field.label_from_instance = lambda o: (
            f"{o.finding.decided_on:%Y-%m-%d} · {o.department.name} · {timezone.localtime(o.due_at):%m-%d %H:%M}"
        )


def submit_rectification(incident, data, actor, now):
    rectification = data.pop("rectification")
    return record_action(
        incident,
        kind=ActionKind.RECTIFICATION_REPORT,
        finding=rectification.finding,
        department=rectification.department,
        **data,
        actor=actor,
        now=now,
    )


MERGE_CHOICES = 200  # the open incidents offered to merge into, the latest discovered first


class MergeForm(forms.Form):
    into = IdChoiceField(Incident.objects.none(), label=_("merge into"))
    reason = REASON

    def __init__(self, *args, incident, caller, **kwargs):
        super().__init__(*args, **kwargs)
        readable = Incident.objects.filter(caller.incident_filter(), state=Incident.State.OPEN, merged_into=None)
        latest = (
            readable.exclude(pk=incident.pk).order_by("-discovered_at").values_list("pk", flat=True)[:MERGE_CHOICES]
        )
        # Not a sliced queryset: the field looks the chosen one up in it, which a slice does not allow.
        self.fields["into"].queryset = Incident.objects.filter(pk__in=list(latest)).order_by("-discovered_at")


class FollowOnForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    summary = forms.CharField(label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("severity"), choices=Severity.choices)
    discovered_at = forms.DateTimeField(label=_("discovered at"), widget=MomentInput())

    def __init__(self, *args, incident, caller, **kwargs):
        kwargs.setdefault("initial", {"severity": incident.severity, "discovered_at": timezone.localtime()})
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Offer:
    """One casework step on the incident page; ``states``: the incident's states it is offered in."""

    name: str
    title: str
    form: type[forms.Form]
    offered: Callable[[Caller, Incident], bool]
    apply: Callable[..., object]  # (incident, data, actor, now) → what the service returns
    done: str
    states: frozenset[str] = frozenset({Incident.State.OPEN})


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
            may_name_co_departments,
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
        Offer(
            "assessment",
            _("Record an assessment (研判/会商)"),
            AssessmentForm,
            may_assess,
            lambda incident, data, actor, now: record_assessment(
                incident, **{**data, "participants": list(data["participants"])}, actor=actor, now=now
            ),
            _("Assessment recorded; what it decided follows the usual rules."),
        ),
        Offer(
            "merge",
            _("Merge into another incident (duplicate)"),
            MergeForm,
            may_merge,
            lambda incident, data, actor, now: merge(incident, **data, actor=actor, now=now),
            _("Merged; its open deadlines are waived as merged and it is closed."),
        ),
        Offer(
            "follow_on",
            _("Open a follow-on incident (二次发酵、次生舆情)"),
            FollowOnForm,
            deciders.may_handle,
            lambda incident, data, actor, now: open_follow_on(incident, **data, actor=actor, now=now),
            _("Follow-on incident opened, with clocks of its own."),
            states=frozenset({Incident.State.CLOSED}),
        ),
        Offer(
            "rectification",
            _("Submit a rectification report (整改报告)"),
            RectificationReportForm,
            lambda caller, incident: rectifications_owed(caller, incident).exists(),
            submit_rectification,
            _("Rectification report recorded."),
            states=frozenset({Incident.State.OPEN, Incident.State.CLOSED}),
        ),
    ]
}


def offered_forms(caller: Caller, incident, bound=None) -> list[tuple[Offer, forms.Form]]:
    """The steps the caller may take on the incident, each with its form (``bound``: name → form)."""
    bound = bound or {}
    return [
        (offer, bound.get(offer.name) or offer.form(incident=incident, caller=caller, prefix=offer.name))
        for offer in OFFERS.values()
        if incident.state in offer.states and (offer.name in bound or offer.offered(caller, incident))
    ]


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("decision note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    department = IdChoiceField(
        Department.objects.order_by("name"),
        label=_("new lead department"),
        required=False,
        help_text=_("Approving a return: the department that leads from now on."),
    )


def requests_to_show(caller: Caller, incident) -> list[tuple[CaseRequest, DecisionForm | None]]:
    """The incident's requests, newest first, each with a decision form when the caller may decide it."""
    requests = list(
        incident.requests.select_related("incident__department", "requested_by", "decided_by", "obligation").order_by(
            "-requested_at", "-pk"
        )
    )
    decidable = {request.pk for request in deciders.decidable_among(caller, requests)}
    return [
        (request, DecisionForm(prefix=f"r{request.pk}") if request.pk in decidable else None) for request in requests
    ]
