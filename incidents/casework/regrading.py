"""Regrading with casework's rule: raising applies at once; lowering needs a leader who may decide it.

A duty officer's downgrade becomes a request (docs/api.md, "Casework": 202), and until it is approved the
higher grade's obligations keep running. Someone who may decide a downgrade regrades directly.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import CaseRequest, Incident, Severity
from incidents.services.incidents import regrade
from incidents.services.locks import lock_incident

from .deciders import may_decide_downgrade, may_handle
from .requests import ask_downgrade


def regrade_or_ask(incident, *, severity, reason, actor, now) -> Incident | CaseRequest:
    """The incident regraded, or the downgrade request recorded instead."""
    caller = Caller.of(actor)
    with transaction.atomic():
        # Whether it lowers the grade is judged on the incident as it stands under its lock: a grade raised
        # meanwhile by someone else must not turn a duty officer's "lower" into one applied at once.
        incident = lock_incident(incident)
        deciding = may_decide_downgrade(caller, incident)
        if not (deciding or may_handle(caller, incident)):
            raise PermissionDenied(_("Only the lead's duty officers, and the leaders who decide downgrades, regrade."))
        lowering = severity in Severity.values and Severity.is_lower(severity, incident.severity)
        if lowering and not deciding:
            return ask_downgrade(incident, severity=severity, reason=reason, actor=actor, now=now)
        return regrade(incident, severity=severity, reason=reason, actor=actor, now=now)
