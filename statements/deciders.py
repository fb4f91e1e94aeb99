"""Who may draft, review, sign off and publish a statement (docs/rules.md, "Statements").

谁发布谁审查、谁审查谁负责: the gates and the sign-off are personal. Administrators run the tracker; they
review or sign off only where they would as people (a reviewer's role, a leader's post), never by being
administrators, so a signed-off text always carries the name of someone who answers for it.
"""

from incidents.access import Caller
from incidents.casework.co_handling import acts_for
from incidents.casework.deciders import is_lead_leader, is_office_leader, may_handle
from incidents.models import Role


def may_draft(caller: Caller, incident) -> bool:
    """The lead's duty officers (administrators too) and the co-handling departments' duty officers."""
    if may_handle(caller, incident):
        return True
    return any(acts_for(caller, department.pk) for department in incident.co_departments.all())


def may_publish(caller: Caller, incident) -> bool:
    """The lead's duty officers (and administrators): publishing records the lead's public action."""
    return may_handle(caller, incident)


def may_sign_off(caller: Caller, incident) -> bool:
    """The lead department's responsible or principal leader, or a leader of the government office."""
    return is_lead_leader(caller, incident) or is_office_leader(caller, incident)


def leads_the_lead(caller: Caller, incident) -> bool:
    """A leader of the lead department: its responsible or principal leader, or a leader who works in it."""
    in_it = Role.LEADER in caller.roles and caller.person.department_id == incident.department_id
    return in_it or is_lead_leader(caller, incident)


def may_review(caller: Caller, incident, gate: str) -> bool:
    """A reviewer of ``gate`` who works on the lead department (the office's reviewers work on all of its
    government), or a leader of the lead department (``leads_the_lead``)."""
    gates = caller.person.review_gates
    holds_gate = Role.REVIEWER in caller.roles and isinstance(gates, list) and gate in gates
    reviewer = holds_gate and incident.department_id in caller.own_subtree
    return reviewer or leads_the_lead(caller, incident)


def is_author(person, draft) -> bool:
    """Whether ``person`` wrote the draft or any of its versions."""
    return draft.created_by_id == person.pk or draft.versions.filter(created_by=person).exists()
