"""Assessments (研判/会商): a consultation recorded with what it decided, applied through the usual rules.

The consultation decides; the tracker applies it as if the person recording it had asked: a higher
severity takes effect at once, a lower one is a downgrade request unless that person may decide one
(docs/api.md, "Decided points of the second wave"), and the co-handling departments it names replace the
incident's. The assessment, its consequences and their events are one transaction: all or nothing.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import Assessment, CaseRequest, Incident, TimelineEvent
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from incidents.services.validation import check_same_government
from opinion_tracker.lib.validation import Errors, check_not_future, check_required

from .co_handling import may_name_co_departments, replace_co_departments
from .deciders import may_decide_downgrade, may_handle, may_transfer
from .regrading import regrade_or_ask


def may_assess(caller: Caller, incident) -> bool:
    """Whoever handles the incident, the leaders who decide its downgrades, and the government office."""
    return may_handle(caller, incident) or may_decide_downgrade(caller, incident) or may_transfer(caller, incident)


def record_assessment(
    incident,
    *,
    held_at,
    conclusion,
    actor,
    now,
    participants=(),
    participants_text="",
    response_line="",
    severity="",
    co_departments=None,
) -> Assessment:
    """Record a consultation; ``severity`` (empty: not decided) and ``co_departments`` (None: not decided)
    are applied as described above, and a downgrade request it made is kept on the assessment."""
    if not may_assess(Caller.of(actor), incident):
        raise PermissionDenied(
            _("Only the lead's duty officers, its leaders and the government office record assessments.")
        )
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        check_required(errors, "held_at", held_at)
        check_not_future(errors, "held_at", held_at, now)
        check_required(errors, "conclusion", conclusion)
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        if co_departments is not None and not may_name_co_departments(Caller.of(actor), incident):
            raise PermissionDenied(_("Only the lead's duty officers and the government office name co-handlers."))
        if co_departments is not None:
            check_same_government(errors, "co_departments", incident.department, co_departments)
        if co_departments is not None and incident.department in co_departments:
            errors.add("co_departments", _("The lead department is not its own co-handling department."))
        errors.raise_if_any()

        assessment = Assessment.objects.create(
            incident=incident,
            held_at=held_at,
            participants_text=participants_text.strip(),
            conclusion=conclusion.strip(),
            response_line=response_line.strip(),
            severity=severity or "",
            recorded_by=actor,
            recorded_at=now,
        )
        assessment.participants.set(participants)
        if co_departments is not None:
            assessment.co_departments.set(co_departments)
        record_event(
            incident,
            TimelineEvent.Kind.ASSESSED,
            now,
            actor,
            assessment=assessment.pk,
            held_at=held_at,
            conclusion=assessment.conclusion,
            response_line=assessment.response_line,
            severity=assessment.severity,
            co_departments=sorted(d.pk for d in co_departments) if co_departments is not None else None,
        )
        if severity and severity != incident.severity:
            # The conclusion is why: it is the reason the regrade or the request carries.
            outcome = regrade_or_ask(incident, severity=severity, reason=assessment.conclusion, actor=actor, now=now)
            if isinstance(outcome, CaseRequest):
                assessment.request = outcome
                assessment.save(update_fields=["request"])
        if co_departments is not None:
            replace_co_departments(incident, co_departments, actor, now, assessment=assessment.pk)
    return assessment
