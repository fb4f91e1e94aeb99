"""The life of an incident: logging, regrading and closing."""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import Incident, Obligation, ObligationKind, Severity, TimelineEvent
from opinion_tracker.lib.validation import Errors, check_choice, check_lengths, check_required

from .actions import latest_public_action, start_follow_up
from .calendar import WorkingCalendar
from .deadlines import compute_due, incident_clock_policies, open_obligations, policies_for
from .locks import lock_incident
from .obligations import NON_FIELD, reschedule, waive_open
from .timeline import record_event
from .validation import check_incident_times, check_same_government

REGRADED = "regraded"
CLOSED = "closed"


def incident_errors(facts: Mapping, now) -> Errors:
    """What is wrong with an incident's facts (``title``, ``severity``, ``department``, ``discovered_at``,
    ``occurred_at``; any may be missing): one check for the service and for the form that asks first."""
    errors = Errors()
    check_required(errors, "title", facts.get("title"))
    check_choice(errors, "severity", facts.get("severity"), Severity)
    check_required(errors, "department", facts.get("department"))
    check_required(errors, "discovered_at", facts.get("discovered_at"))
    check_incident_times(errors, facts.get("discovered_at"), facts.get("occurred_at"), now)
    return errors


def log_incident(
    *,
    title,
    severity,
    department,
    discovered_at,
    now,
    actor=None,
    occurred_at=None,
    summary="",
    source_platform="",
    source_url="",
    external_id="",
    co_departments=(),
) -> Incident:
    """Log an incident with the obligations of its severity; deadlines already past are overdue at once.

    Logging late never buys time: the clocks start at discovery and at the event, not at logging, and
    the logging delay is kept on the timeline as a finding of its own.
    """
    facts = {  # what the obligations and their clocks follow from
        "severity": severity,
        "department": department,
        "discovered_at": discovered_at,
        "occurred_at": occurred_at,
    }
    errors = incident_errors({"title": title, **facts}, now)
    if department is not None and any(co.pk == department.pk for co in co_departments):
        errors.add("co_departments", _("The lead department is not its own co-handling department."))
    check_same_government(errors, "co_departments", department, co_departments)
    check_lengths(
        errors, Incident, title=title, source_platform=source_platform, source_url=source_url, external_id=external_id
    )
    errors.raise_if_any()
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title.strip(),
            summary=summary,
            **facts,
            logged_at=now,
            logged_by=actor,
            source_platform=source_platform,
            source_url=source_url,
            external_id=external_id,
        )
        incident.co_departments.set(co_departments)
        record_event(
            incident,
            TimelineEvent.Kind.LOGGED,
            now,
            actor,
            severity=severity,
            co_departments=sorted(co.pk for co in co_departments),
            clock_started_at=incident.clock_started_at,
            logging_delay_seconds=int((now - discovered_at).total_seconds()),
        )
        policies = incident_clock_policies(policies_for(department, severity))
        open_obligations(incident, policies, now, WorkingCalendar(), actor)
    return incident


EDITABLE_DETAILS = ("title", "summary", "source_platform", "source_url")


def edit_details(incident, *, changes: dict, actor, now) -> Incident:
    """Correct an incident's title, summary or source; the timeline keeps what they were.

    The clocks, severity and department are not details: they change only by regrading (or not at all).
    """
    unknown = set(changes) - set(EDITABLE_DETAILS)
    if unknown:
        raise ValueError(f"Not editable details: {sorted(unknown)}")
    errors = Errors()
    if "title" in changes:
        check_required(errors, "title", changes["title"])
    check_lengths(errors, Incident, **changes)
    errors.raise_if_any()
    with transaction.atomic():
        incident = lock_incident(incident)
        before = {field: getattr(incident, field) for field in changes}
        for field, value in changes.items():
            setattr(incident, field, value)
        incident.save(update_fields=list(changes))
        record_event(incident, TimelineEvent.Kind.EDITED, now, actor, before=before, after=changes)
    return incident


def regrade(incident, *, severity, reason, actor, now) -> Incident:
    """Change the severity and recompute the obligations from the same clock starts.

    New obligations appear (met at once by actions already recorded that satisfy them); open ones
    whose deadline the new severity sets differently move to it; open ones no longer required are
    waived as "regraded"; met ones stay met, and so does a waiver a leader approved.
    """
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed and cannot be regraded."))
        check_choice(errors, "severity", severity, Severity)
        if severity == incident.severity:
            errors.add("severity", _("The incident already has this severity."))
        check_required(errors, "reason", reason)
        errors.raise_if_any()

        before = incident.severity
        incident.severity = severity
        incident.save(update_fields=["severity"])
        record_event(incident, TimelineEvent.Kind.REGRADED, now, actor, before=before, after=severity, reason=reason)

        policies = policies_for(incident.department, severity)
        obligations = list(incident.obligations.select_for_update())
        calendar = WorkingCalendar()
        for obligation in obligations:
            policy = policies.get(obligation.kind)
            # A leader's instruction and a rectification report are owed whatever the grade, and an approved
            # extension's deadline is the date a leader approved: a regrade leaves them as they are.
            if not obligation.is_open or obligation.from_casework:
                continue
            if policy is None:
                waive_open(
                    obligation,
                    REGRADED,
                    actor,
                    now,
                    Obligation.Waiver.REGRADED,
                    severity_before=before,
                    severity_after=severity,
                    regrade_reason=reason,
                )
            elif obligation.kind != ObligationKind.FOLLOW_UP and not obligation.extended:
                due_at, provisional = compute_due(
                    obligation.clock_started_at, policy.offset, policy.offset_working_days, calendar
                )
                reschedule(obligation, due_at, provisional, now, actor)
        present = {o.kind for o in obligations if not waived_by_regrading(o)}
        actions = list(incident.actions.order_by("published_at", "pk"))
        missing = incident_clock_policies(policies, kinds=set(policies) - present)
        open_obligations(incident, missing, now, calendar, actor, actions=actions)
        follow_up_running = any(o.kind == ObligationKind.FOLLOW_UP and o.is_open for o in obligations)
        latest = latest_public_action(incident)
        if not follow_up_running and latest is not None:
            start_follow_up(incident, latest, now, calendar, actor)
        # The escalation of the obligations kept depends on the severity too: the next pass re-plans it.
        incident.obligations.filter(state__in=Obligation.OPEN_STATES).update(next_step_at=now)
    return incident


def waived_by_regrading(obligation) -> bool:
    return obligation.state == Obligation.State.WAIVED and obligation.waiver_kind == Obligation.Waiver.REGRADED


def close(incident, *, reason, actor, now) -> Incident:
    """Close an incident whose obligations are all settled; the follow-up clock stops with it.

    Closing never hides a breach: an open obligation other than a follow-up not yet due must first be
    met (late, if so) or waived by a leader. A rectification report stays owed after the closing.
    """
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        check_required(errors, "reason", reason)
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is already closed."))
        # A rectification report outlives its incident: it is owed to the auditors, closed or not.
        running = incident.obligations.select_for_update().filter(state__in=Obligation.OPEN_STATES)
        still_open = list(running.exclude(kind=ObligationKind.RECTIFICATION))
        waiting_follow_ups = [
            o for o in still_open if o.kind == ObligationKind.FOLLOW_UP and o.state == Obligation.State.PENDING
        ]
        unsettled = [o for o in still_open if o not in waiting_follow_ups]
        if unsettled:
            names = "、".join(str(o.get_kind_display()) for o in unsettled)
            errors.add(
                NON_FIELD,
                _("These obligations are still open; meet or waive them before closing: %(names)s") % {"names": names},
            )
        errors.raise_if_any()

        for obligation in waiting_follow_ups:
            waive_open(obligation, CLOSED, actor, now, Obligation.Waiver.CLOSED)
        incident.state = Incident.State.CLOSED
        incident.closed_at = now
        incident.close_reason = reason.strip()
        incident.save(update_fields=["state", "closed_at", "close_reason"])
        record_event(incident, TimelineEvent.Kind.CLOSED, now, actor, reason=incident.close_reason)
    return incident
