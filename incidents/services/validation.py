"""The input rules of incidents themselves; the general ones (``Errors``, the checks) are the shared library's."""

from django.utils.translation import gettext as _

from incidents.access import subtree_ids
from opinion_tracker.lib.validation import FUTURE_TOLERANCE, Errors, check_not_future


def check_incident_times(errors: Errors, discovered_at, occurred_at, now) -> None:
    check_not_future(errors, "discovered_at", discovered_at, now)
    check_not_future(errors, "occurred_at", occurred_at, now)
    if occurred_at is not None and discovered_at is not None and occurred_at > discovered_at + FUTURE_TOLERANCE:
        errors.add("occurred_at", _("The event cannot have occurred after the opinion about it was discovered."))


def check_same_government(errors: Errors, field: str, lead, departments) -> None:
    """Departments named beside the lead (co-handlers, an instruction's addressees) belong to the tree of the
    government the lead lies under (its outermost one): naming one grants it reading the incident and sends it
    the incident's escalations, which must never cross into another government."""
    if lead is None or not departments:
        return
    root = (lead.governments() or [lead])[-1]
    tree = subtree_ids(root.pk)
    if any(department.pk not in tree for department in departments):
        errors.add(field, _("Name departments of the government the incident belongs to."))
