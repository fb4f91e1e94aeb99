"""Who may ask for what, and who decides it (docs/api.md, "Who decides a request").

The requester never decides their own request, whatever their roles: a decision is a second pair of eyes.
"""

from incidents.access import INCIDENT_HANDLERS, Caller
from incidents.models import CaseRequest, Department, Role


def may_handle(caller: Caller, incident) -> bool:
    """The lead's duty officers (their scope, the office's included, holds the lead) and administrators."""
    return caller.may_act(INCIDENT_HANDLERS, incident.department_id)


def is_lead_leader(caller: Caller, incident) -> bool:
    """The lead department's responsible or principal leader (分管领导、主要负责人)."""
    lead = incident.department
    return Role.LEADER in caller.roles and caller.person.pk in (lead.responsible_leader_id, lead.principal_leader_id)


def is_office_leader(caller: Caller, incident) -> bool:
    return Role.LEADER in caller.roles and caller.is_office_for(incident.department)


def may_decide_downgrade(caller: Caller, incident) -> bool:
    """Who may lower a severity: these decide a duty officer's downgrade, and may regrade directly."""
    return Role.ADMIN in caller.roles or is_lead_leader(caller, incident) or is_office_leader(caller, incident)


def is_office(caller: Caller, incident) -> bool:
    """One of the government office's duty officers or leaders, for a government the incident lies under."""
    return caller.has_any({Role.DUTY_OFFICER, Role.LEADER}) and caller.is_office_for(incident.department)


def may_transfer(caller: Caller, incident) -> bool:
    """The government office and administrators."""
    return Role.ADMIN in caller.roles or is_office(caller, incident)


def decidable_among(caller: Caller, requests) -> list[CaseRequest]:
    """The pending ones of ``requests`` the caller may decide. When the office's test is needed (it walks up
    to the governments) the department tree is read once and given to every request's lead, so deciding
    reads nothing per row."""
    requests = [request for request in requests if request.state == CaseRequest.State.PENDING]
    if caller.office_of and requests:
        tree = {department.pk: department for department in Department.objects.all()}
        for department in tree.values():
            department.parent = tree[department.parent_id] if department.parent_id else None
        for request in requests:
            request.incident.department = tree[request.incident.department_id]
    return [request for request in requests if may_decide(caller, request)]


def may_decide(caller: Caller, request: CaseRequest) -> bool:
    if request.requested_by_id == caller.person.pk:
        return False
    incident = request.incident
    if request.kind == CaseRequest.Kind.RETURN:
        return may_transfer(caller, incident)
    if request.kind == CaseRequest.Kind.WAIVER:
        return Role.ADMIN in caller.roles or caller.may_act({Role.LEADER}, incident.department_id)
    return may_decide_downgrade(caller, incident)
