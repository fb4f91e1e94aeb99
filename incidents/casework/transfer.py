"""Transfer (转办): the government office makes another department the lead.

Clocks never restart and deadlines never move: the regulation counts from the event. From the transfer on,
the escalation steps addressed to the department reach the new lead (they resolve their recipients when
they fire); what the old lead was told stays in the record.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import Incident, TimelineEvent
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from opinion_tracker.lib.validation import Errors, check_required

from .deciders import may_transfer


def transfer(incident, *, department, reason, actor, now) -> Incident:
    """Make ``department`` the lead, for someone of the government office (or an administrator)."""
    caller = Caller.of(actor)
    ensure_may_transfer(caller, incident)
    with transaction.atomic():
        incident = lock_incident(incident)
        move_lead(incident, department, reason, actor, now, caller)
    return incident


def ensure_may_transfer(caller: Caller, incident) -> None:
    """Refuse, before anything else is looked at, whoever may not transfer (the API asks first, too)."""
    if not may_transfer(caller, incident):
        raise PermissionDenied(_("Only the government office transfers an incident."))


def move_lead(incident, department, reason, actor, now, caller: Caller) -> None:
    """The transfer itself, for the incident locked by the caller (a transfer, or an approved return)."""
    errors = Errors()
    check_required(errors, "reason", reason)
    check_required(errors, "department", department)
    if incident.state == Incident.State.CLOSED:
        errors.add(NON_FIELD, _("The incident is closed and cannot be transferred."))
    if department is not None and department.pk == incident.department_id:
        errors.add("department", _("This department already leads the incident."))
    if department is not None and not caller.sees_everything and department.pk not in caller.own_subtree:
        errors.add("department", _("This department is outside the government your office coordinates."))
    errors.raise_if_any()
    before = incident.department
    incident.department = department
    incident.save(update_fields=["department"])
    incident.co_departments.remove(department)  # the lead is not its own co-handler
    record_event(
        incident,
        TimelineEvent.Kind.TRANSFERRED,
        now,
        actor,
        reason=reason.strip(),
        **{"from": before.pk, "to": department.pk, "from_name": before.name, "to_name": department.name},
    )
