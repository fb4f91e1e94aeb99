"""Requests and decisions, one mechanism for every kind (docs/rules.md, "Casework").

Asking changes nothing but the record: the higher grade's obligations keep running and the old deadline
stands until someone allowed to decide (never the requester) approves. Approving applies exactly what was
asked, through the same service a direct change uses (regrading, waiving, transferring), in the same
transaction as the decision; refusing leaves everything as it was.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import CaseRequest, Incident, Obligation, ObligationKind, Severity, TimelineEvent
from incidents.services.calendar import WorkingCalendar
from incidents.services.deadlines import policies_for
from incidents.services.incidents import regrade
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD, reschedule, waive_open, waiver_refusal
from incidents.services.timeline import obligation_event, record_event
from opinion_tracker.lib.validation import Errors, check_choice, check_required

from .deciders import may_decide, may_handle
from .transfer import move_lead

ASKED_EVENT = {
    CaseRequest.Kind.DOWNGRADE: TimelineEvent.Kind.DOWNGRADE_REQUESTED,
    CaseRequest.Kind.EXTENSION: TimelineEvent.Kind.EXTENSION_REQUESTED,
    CaseRequest.Kind.WAIVER: TimelineEvent.Kind.WAIVER_REQUESTED,
    CaseRequest.Kind.RETURN: TimelineEvent.Kind.RETURN_REQUESTED,
}


def ask_downgrade(incident, *, severity, reason, actor, now) -> CaseRequest:
    def check(errors, incident):
        check_choice(errors, "severity", severity, Severity)
        if severity in Severity.values and not Severity.is_lower(severity, incident.severity):
            errors.add("severity", _("A downgrade asks for a lower severity than the incident's."))

    return ask(incident, CaseRequest.Kind.DOWNGRADE, reason, actor, now, check, severity=severity)


def ask_return(incident, *, reason, actor, now) -> CaseRequest:
    return ask(incident, CaseRequest.Kind.RETURN, reason, actor, now)


def ask_waiver(obligation, *, reason, actor, now) -> CaseRequest:
    def check(errors, incident):
        refusal = waiver_refusal(obligation)
        if refusal:
            errors.add(NON_FIELD, refusal)

    return ask(obligation.incident, CaseRequest.Kind.WAIVER, reason, actor, now, check, obligation=obligation)


def ask_extension(obligation, *, due_at, reason, actor, now) -> CaseRequest:
    def check(errors, incident):
        check_required(errors, "due_at", due_at)
        if not obligation.is_open:
            errors.add(NON_FIELD, _("Only a pending or overdue obligation can be extended."))
        elif due_at is not None:
            for message in extension_problems(obligation, due_at, now):
                errors.add("due_at", message)

    asked = {"due_at": due_at}
    return ask(
        obligation.incident, CaseRequest.Kind.EXTENSION, reason, actor, now, check, obligation=obligation, **asked
    )


def extension_problems(obligation, due_at, now) -> list[str]:
    """Why ``obligation`` may not be extended to ``due_at``: its kind, the policy's limit, its deadline."""
    policy = policies_for(obligation.incident.department, obligation.incident.severity).get(obligation.kind)
    further = policy.max_extension_working_days if policy is not None else None
    if obligation.kind == ObligationKind.RECTIFICATION:
        return [_("A rectification report's deadline is the auditor's: it cannot be extended.")]
    if further is None or obligation.from_casework:
        return [_("This deadline cannot be extended; hour deadlines and the follow-up never are.")]
    if obligation.due_at <= now:
        return [_("The deadline has passed: an extension is asked for before it.")]
    if due_at <= obligation.due_at:
        return [_("An extension asks for a later deadline than the current one.")]
    original = obligation.original_due_at or obligation.due_at
    # The start day never counts, so counting from just before the original deadline (24:00 of its last
    # working day) counts the working days after that day.
    limit, _provisional = WorkingCalendar().add_working_days(original - timedelta(microseconds=1), further)
    if due_at > limit:
        return [
            _("At most %(days)d further working days: the latest deadline allowed is %(limit)s.")
            % {"days": further, "limit": f"{limit:%Y-%m-%d %H:%M}"}
        ]
    return []


def ask(incident, kind, reason, actor, now, check=None, obligation=None, **asked) -> CaseRequest:
    """Record a request by one of the lead's duty officers; ``check`` adds the kind's own errors."""
    if not may_handle(Caller.of(actor), incident):
        raise PermissionDenied(_("Only the lead department's duty officers ask for this."))
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        check_required(errors, "reason", reason)
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        if check is not None:
            check(errors, incident)
        errors.raise_if_any()
        try:
            with transaction.atomic():
                request = CaseRequest.objects.create(
                    incident=incident,
                    obligation=obligation,
                    kind=kind,
                    reason=reason.strip(),
                    requested_by=actor,
                    requested_at=now,
                    **asked,
                )
        except IntegrityError:
            errors.add(NON_FIELD, _("The same request is already waiting for a decision."))
            errors.raise_if_any()
        event = obligation_event if obligation is not None else record_event
        subject = obligation if obligation is not None else incident
        event(subject, ASKED_EVENT[kind], now, actor, request=request.pk, reason=request.reason, **detail_of(asked))
    return request


def detail_of(asked: dict) -> dict:
    """What the request asks for, on its event (``asked_due_at``, ``asked_severity``)."""
    return {f"asked_{key}": value for key, value in asked.items() if value not in (None, "")}


def approve(request, *, note, actor, now, department=None) -> CaseRequest:
    """Approve and apply; a return is approved with the department that leads from now on."""
    return decide(request, CaseRequest.State.APPROVED, note, actor, now, department)


def refuse(request, *, note, actor, now) -> CaseRequest:
    return decide(request, CaseRequest.State.REFUSED, note, actor, now)


def ensure_may_decide(caller: Caller, request) -> None:
    """Refuse, before anything else is looked at, whoever may not decide (the API asks first, too)."""
    if request.requested_by_id == caller.person.pk:
        raise PermissionDenied(_("A request is decided by someone else than the person who asked."))
    if not may_decide(caller, request):
        raise PermissionDenied(_("You may not decide this request."))


def decide(request, state, note, actor, now, department=None) -> CaseRequest:
    caller = Caller.of(actor)
    ensure_may_decide(caller, request)
    with transaction.atomic():
        incident = lock_incident(request.incident)
        request = CaseRequest.objects.select_for_update().get(pk=request.pk)
        errors = Errors()
        if request.state != CaseRequest.State.PENDING:
            errors.add(NON_FIELD, _("This request was already decided."))
        if state == CaseRequest.State.APPROVED and request.kind == CaseRequest.Kind.RETURN:
            check_required(errors, "department", department)
        errors.raise_if_any()
        request.state, request.decided_by, request.decided_at = state, actor, now
        request.decision_note = (note or "").strip()
        if department is not None:
            request.department = department
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "department"])
        approved = state == CaseRequest.State.APPROVED
        event = TimelineEvent.Kind.REQUEST_APPROVED if approved else TimelineEvent.Kind.REQUEST_REFUSED
        record_event(
            incident,
            event,
            now,
            actor,
            obligation=request.obligation,
            request=request.pk,
            request_kind=request.kind,
            note=request.decision_note,
        )
        if approved:
            apply_request(request, incident, actor, now, caller)
    return request


def apply_request(request, incident, actor, now, caller) -> None:
    """What an approval changes, through the service a direct change uses (each writes its own event)."""
    kind = request.kind
    if kind == CaseRequest.Kind.DOWNGRADE:
        regraded_since = incident.timeline.filter(kind=TimelineEvent.Kind.REGRADED, at__gte=request.requested_at)
        if regraded_since.exists():  # approving it now would move the grade by more than was asked
            Errors({NON_FIELD: [_("The severity changed after this was asked for; ask again.")]}).raise_if_any()
        regrade(incident, severity=request.severity, reason=request.reason, actor=actor, now=now)
    elif kind == CaseRequest.Kind.RETURN:
        move_lead(incident, request.department, request.reason, actor, now, caller)
    else:
        obligation = Obligation.objects.select_for_update().get(pk=request.obligation_id)
        if not obligation.is_open:  # met, or waived (a merge, a regrade) since it was asked for
            Errors({NON_FIELD: [_("The obligation is no longer open: there is nothing to decide.")]}).raise_if_any()
        if kind == CaseRequest.Kind.WAIVER:
            waive_open(obligation, request.reason, actor, now, request=request.pk, requested_by=request.requested_by_id)
        else:
            extend(obligation, request, actor, now)


def extend(obligation, request, actor, now) -> None:
    """Move the deadline to the one approved, keeping the original: the figures report it as extended.

    The rules are judged again at the decision: a deadline that passed while the request waited stands (an
    extension is granted before the deadline, never to undo a breach), and so does a policy changed since.
    """
    problems = extension_problems(obligation, request.due_at, now)
    if problems:
        Errors({"due_at": problems}).raise_if_any()
    if obligation.original_due_at is None:
        obligation.original_due_at = obligation.due_at
        obligation.save(update_fields=["original_due_at"])
    before = obligation.due_at
    reschedule(obligation, request.due_at, False, now, actor)
    obligation_event(
        obligation,
        TimelineEvent.Kind.EXTENDED,
        now,
        actor,
        before=before,
        after=request.due_at,
        original=obligation.original_due_at,
        request=request.pk,
    )
