"""Lead and co-handling departments (牵头、配合): who takes part, and on whose behalf an action is recorded.

Co-handling departments read the incident, record internal reports and situation notes on it, and are
reached by the escalation steps addressed to the department; the lead owns the obligations. A department
an instruction was addressed to replies to it for itself.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import ActionKind, Incident, Role, TimelineEvent
from incidents.services.actions import rectification_of
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from incidents.services.validation import check_same_government
from opinion_tracker.lib.validation import Errors

from .deciders import is_office, may_handle

# What a co-handling department records on an incident it does not lead.
CO_HANDLER_KINDS = frozenset({ActionKind.INTERNAL_REPORT, ActionKind.SITUATION_NOTE})


def may_name_co_departments(caller: Caller, incident) -> bool:
    """The lead's duty officers and the government office (administrators too)."""
    return may_handle(caller, incident) or is_office(caller, incident)


def set_co_departments(incident, *, departments, actor, now) -> Incident:
    """Replace the co-handling departments (the lead's duty officers, the office, administrators)."""
    if not may_name_co_departments(Caller.of(actor), incident):
        raise PermissionDenied(_("Only the lead's duty officers and the government office name co-handlers."))
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        if any(department.pk == incident.department_id for department in departments):
            errors.add("co_departments", _("The lead department is not its own co-handling department."))
        check_same_government(errors, "co_departments", incident.department, departments)
        errors.raise_if_any()
        replace_co_departments(incident, departments, actor, now)
    return incident


def replace_co_departments(incident, departments, actor, now, **detail) -> None:
    """Make ``departments`` the co-handling departments (the caller holds the incident's lock), with the event
    (ids and names, before and after) when they change."""
    before = list(incident.co_departments.order_by("pk"))
    after = sorted(set(departments), key=lambda department: department.pk)
    if [d.pk for d in before] == [d.pk for d in after]:
        return
    incident.co_departments.set(after)
    record_event(
        incident,
        TimelineEvent.Kind.CO_DEPARTMENTS_CHANGED,
        now,
        actor,
        before=[d.pk for d in before],
        after=[d.pk for d in after],
        before_names=[d.name for d in before],
        after_names=[d.name for d in after],
        **detail,
    )


def acting_department(caller: Caller, incident, kind, instruction=None, department=None, finding=None):
    """On whose behalf ``caller`` records an action of ``kind``: None for the lead (its handlers record any
    kind); for a reply, the addressed department (``department``, or the first addressed one the caller
    works on); for a rectification report, the department interviewed; for internal kinds, a co-handling
    department the caller works on. PermissionDenied else."""
    if kind == ActionKind.INSTRUCTION_REPLY and (instruction is None or instruction.incident_id != incident.pk):
        # Another incident's instruction gets the answer no instruction gets: its existence is not told.
        Errors({"instruction": [_("Name the instruction of this incident that this replies to.")]}).raise_if_any()
    if kind == ActionKind.INSTRUCTION_REPLY:
        addressed = [d for d in instruction.departments.order_by("pk") if acts_for(caller, d.pk)]
        if department is not None:
            addressed = [d for d in addressed if d.pk == department.pk]
        if addressed:
            return addressed[0]
        raise PermissionDenied(_("Only a department the instruction was addressed to replies to it."))
    if kind == ActionKind.RECTIFICATION_REPORT:
        return rectifying_department(caller, incident, finding)
    if may_handle(caller, incident):
        return None
    if kind in CO_HANDLER_KINDS:
        for co_department in incident.co_departments.order_by("pk"):
            if acts_for(caller, co_department.pk):
                return co_department
    raise PermissionDenied(_("Only the lead's and the co-handling departments' duty officers record actions."))


def rectifying_department(caller: Caller, incident, finding):
    """The department that owes the rectification report ``finding`` asks for, when the caller is one of its own
    duty officers (or an administrator); an interview on another incident is answered as if it did not exist."""
    rectification = rectification_of(finding, incident)
    if rectification is None:
        return None  # record_action refuses it, on ``finding``, in the words every report gets
    if not reports_for(caller, rectification.department_id):
        raise PermissionDenied(_("Only the department interviewed submits its rectification report."))
    return rectification.department


def acts_for(caller: Caller, department_id) -> bool:
    return caller.may_act({Role.DUTY_OFFICER}, department_id)


def reports_for(caller: Caller, department_id) -> bool:
    """Whether the caller submits the rectification report ``department_id`` owes: its own duty officers, not
    those of a department above it or of the government office, who may act for it otherwise (administrators
    always)."""
    if Role.ADMIN in caller.roles:
        return True
    return Role.DUTY_OFFICER in caller.roles and caller.person.department_id == department_id
