"""Recording what was decided about a breach (问责), on the obligation and its incident's timeline.

A 约谈整改 asks the department that breached for a rectification report (整改报告): an obligation of kind
``rectification`` owed by that department, due when the auditor says or ``RECTIFICATION_WORKING_DAYS`` working
days after the interview is recorded, met by a report with its document and escalated like any obligation, its
last level going back to the auditor who recorded the interview (docs/rules.md, "Accountability (问责) and
rectification (整改)").
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import AccountabilityFinding, Clock, Obligation, ObligationKind, TimelineEvent
from opinion_tracker.lib.validation import Errors, check_choice, check_required

from .calendar import WorkingCalendar
from .locks import lock_incident
from .obligations import NON_FIELD
from .timeline import obligation_event

RECTIFICATION_WORKING_DAYS = 15


def is_breached(obligation: Obligation, now) -> bool:
    """Met late, or still open after its deadline (the pass may not have marked it overdue yet)."""
    if obligation.state in (Obligation.State.OVERDUE, Obligation.State.MET_LATE):
        return True
    return obligation.state == Obligation.State.PENDING and obligation.due_at <= now


def record_finding(
    obligation: Obligation, *, kind, note, decided_on, actor, now, rectification_due_at=None
) -> AccountabilityFinding:
    """Record an auditor's finding on a breached obligation (findings on kept deadlines make no sense), and for a
    约谈整改 the rectification report it asks for."""
    errors = Errors()
    check_choice(errors, "kind", kind, AccountabilityFinding.Kind)
    check_required(errors, "note", note)
    check_required(errors, "decided_on", decided_on)
    if decided_on is not None and decided_on > timezone.localdate(now):
        errors.add("decided_on", _("A decision cannot be dated in the future."))
    if rectification_due_at is not None:
        if kind != AccountabilityFinding.Kind.INTERVIEW:
            errors.add(
                "rectification_due_at", _("Only an admonishing interview (约谈整改) asks for a rectification report.")
            )
        elif rectification_due_at <= now:
            errors.add("rectification_due_at", _("The rectification report is due after the interview is recorded."))
    errors.raise_if_any()
    with transaction.atomic():
        lock_incident(obligation.incident)
        obligation = Obligation.objects.select_related("incident").get(pk=obligation.pk)
        if not is_breached(obligation, now):
            errors.add(
                NON_FIELD, _("Only a breached obligation (overdue or met late) can have an accountability finding.")
            )
            errors.raise_if_any()
        finding = AccountabilityFinding.objects.create(
            obligation=obligation,
            kind=kind,
            note=note.strip(),
            decided_on=decided_on,
            recorded_by=actor,
            recorded_at=now,
        )
        obligation_event(
            obligation,
            TimelineEvent.Kind.ACCOUNTABILITY,
            now,
            actor,
            finding=finding.pk,
            finding_kind=kind,
            decided_on=decided_on,
        )
        if kind == AccountabilityFinding.Kind.INTERVIEW:
            ask_for_rectification(finding, rectification_due_at, actor, now)
    return finding


def lead_at(incident, moment) -> int:
    """The department that led ``incident`` at ``moment``: the one the first transfer after it moved the incident
    from (a transfer or an approved return records both ends), else the lead now."""
    moved = incident.timeline.filter(kind=TimelineEvent.Kind.TRANSFERRED, at__gt=moment).order_by("at", "pk").first()
    return moved.detail["from"] if moved is not None else incident.department_id


def ask_for_rectification(finding: AccountabilityFinding, due_at, actor, now) -> Obligation:
    """The rectification report ``finding`` asks of the department that owed the breached obligation when its
    deadline passed (a lead's obligation: whoever led then, though the incident moved since): due at
    ``due_at``, or ``RECTIFICATION_WORKING_DAYS`` working days from now (provisional before the calendar is in)."""
    breached = finding.obligation
    if due_at is None:
        offset, working_days = None, RECTIFICATION_WORKING_DAYS
        due_at, provisional = WorkingCalendar().add_working_days(now, working_days)
    else:
        offset, working_days, provisional = due_at - now, None, False
    rectification = Obligation.objects.create(
        incident=breached.incident,
        kind=ObligationKind.RECTIFICATION,
        clock=Clock.FINDING,
        clock_started_at=now,
        offset=offset,
        offset_working_days=working_days,
        due_at=due_at,
        provisional=provisional,
        department_id=breached.department_id or lead_at(breached.incident, breached.due_at),
        finding=finding,
        created_at=now,
        next_step_at=now,
        incident_discovered_at=breached.incident_discovered_at,
    )
    obligation_event(
        rectification,
        TimelineEvent.Kind.OBLIGATION_ADDED,
        now,
        actor,
        department=rectification.department_id,
        finding=finding.pk,
        provisional=provisional,
    )
    return rectification
