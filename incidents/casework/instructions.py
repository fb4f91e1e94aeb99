"""Leaders' instructions (领导批示): 交办、承办、督办 to completion.

Each addressed department owes a reply by the instruction's deadline: an obligation of kind
``instruction`` on the incident, met by a reply (an action of kind ``instruction_reply``) for that
department, and escalating like any obligation, its upper levels going back to the leader who gave it
(``notifications.recipients.Addressees``).
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import Clock, Incident, Instruction, Obligation, ObligationKind, Role, TimelineEvent
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import obligation_event, record_event
from incidents.services.validation import check_same_government
from opinion_tracker.lib.validation import Errors, check_required

DEFAULT_REPLY_TIME = timedelta(hours=24)


def may_instruct(caller: Caller, incident) -> bool:
    """Leaders over the lead department (its own, the government's, the office's) and administrators."""
    return caller.may_act({Role.LEADER}, incident.department_id)


def give_instruction(incident, *, text, departments, actor, now, due_at=None) -> Instruction:
    """Record a leader's instruction and the reply each addressed department owes."""
    if not may_instruct(Caller.of(actor), incident):
        raise PermissionDenied(_("Instructions are given by leaders over the lead department."))
    due_at = due_at or now + DEFAULT_REPLY_TIME
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        check_required(errors, "text", text)
        if not departments:
            errors.add("departments", _("Address the instruction to at least one department."))
        check_same_government(errors, "departments", incident.department, departments)
        if due_at <= now:
            errors.add("due_at", _("The reply is due after the instruction is given."))
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        errors.raise_if_any()
        instruction = Instruction.objects.create(
            incident=incident, text=text.strip(), due_at=due_at, given_by=actor, given_at=now
        )
        addressed = sorted(set(departments), key=lambda department: department.pk)
        instruction.departments.set(addressed)
        record_event(
            incident,
            TimelineEvent.Kind.INSTRUCTED,
            now,
            actor,
            instruction=instruction.pk,
            text=instruction.text,
            departments=[department.pk for department in addressed],
            department_names=[department.name for department in addressed],
            due_at=due_at,
        )
        for department in addressed:
            obligation = Obligation.objects.create(
                incident=incident,
                kind=ObligationKind.INSTRUCTION,
                clock=Clock.INSTRUCTION,
                clock_started_at=now,
                offset=due_at - now,
                due_at=due_at,
                department=department,
                instruction=instruction,
                created_at=now,
                next_step_at=now,
                incident_discovered_at=incident.discovered_at,
            )
            obligation_event(obligation, TimelineEvent.Kind.OBLIGATION_ADDED, now, actor, department=department.pk)
    return instruction
