"""Recording a response or report, and what it meets: obligations and the follow-up clock."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import (
    PUBLIC_ACTION_KINDS,
    Action,
    ActionKind,
    Incident,
    Obligation,
    ObligationKind,
    TimelineEvent,
)
from opinion_tracker.lib.hashing import text_sha256
from opinion_tracker.lib.validation import Errors, check_choice, check_lengths, check_not_future, check_required

from .calendar import WorkingCalendar
from .deadlines import follow_up_policy, open_obligations
from .evidence import check_evidence_file
from .locks import lock_incident
from .obligations import NON_FIELD, apply_action
from .timeline import record_event


def action_errors(incident, facts: Mapping, now) -> Errors:
    """Everything wrong with an action before it is recorded, by field: one check for the service and for
    the form that asks first. ``facts`` holds ``kind``, ``published_at``, ``evidence_url``,
    ``evidence_file`` and ``summary``; any may be missing."""
    kind, published_at = facts.get("kind"), facts.get("published_at")
    evidence_url, evidence_file = facts.get("evidence_url") or "", facts.get("evidence_file")
    summary = facts.get("summary") or ""
    errors = Errors()
    if incident.state == Incident.State.CLOSED and kind != ActionKind.RECTIFICATION_REPORT:
        # A rectification report is owed after the incident, which an interview usually follows.
        errors.add(NON_FIELD, _("The incident is closed; no more actions can be recorded on it."))
    check_choice(errors, "kind", kind, ActionKind)
    check_required(errors, "published_at", published_at)
    check_not_future(errors, "published_at", published_at, now)
    if published_at is not None and published_at < incident.clock_started_at:
        errors.add("published_at", _("An action cannot be published before the incident's clock started."))
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            errors.add("evidence_url", _("Enter a valid http or https link."))
    check_evidence_file(errors, "evidence_file", evidence_file)
    if kind == ActionKind.RECTIFICATION_REPORT and not evidence_file:
        errors.add("evidence_file", _("A rectification report needs its document: attach the file."))
    elif kind in PUBLIC_ACTION_KINDS and not (evidence_url or evidence_file):
        errors.add("evidence_url", _("A public response needs its evidence: a link or a file."))
    elif kind in ActionKind.values and kind not in PUBLIC_ACTION_KINDS and not (summary.strip() or evidence_file):
        errors.add("summary", _("An internal report needs its summary or a document."))
    return errors


def record_action(
    incident,
    *,
    kind,
    published_at,
    now,
    actor=None,
    channel="",
    evidence_url="",
    evidence_file=None,
    summary="",
    department=None,
    instruction=None,
    finding=None,
    text="",
) -> Action:
    """Record an action and, in the same transaction, meet what it satisfies and restart the follow-up.

    ``department`` is the co-handling or addressed department it is recorded for (None: the lead);
    ``instruction``, the leader's instruction a reply answers; ``finding``, the 约谈整改 a rectification report
    answers; ``text``, the signed-off text it published, kept with its SHA-256.
    """
    facts = {"kind": kind, "published_at": published_at, "evidence_url": evidence_url, "summary": summary or ""}
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = action_errors(incident, {**facts, "evidence_file": evidence_file}, now)
        check_reply(errors, incident, kind, instruction, department)
        check_rectification(errors, incident, kind, finding, department, published_at)
        check_lengths(errors, Action, channel=channel, evidence_url=evidence_url)
        errors.raise_if_any()
        action = Action.objects.create(
            incident=incident,
            **facts,
            channel=channel,
            evidence_file=evidence_file or "",
            department=department,
            instruction=instruction,
            finding=finding,
            text=text,
            text_sha256=text_sha256(text) if text else "",
            recorded_by=actor,
            recorded_at=now,
        )
        record_event(
            incident,
            TimelineEvent.Kind.ACTION_RECORDED,
            now,
            actor,
            action=action.pk,
            action_kind=kind,
            published_at=published_at,
            **({"text_sha256": action.text_sha256} if text else {}),
        )
        if action.is_public:
            note_first_public_response(incident, action.published_at)
        obligations = list(incident.obligations.select_for_update())
        apply_action(obligations, action, now, actor)
        follow_up_running = any(o.kind == ObligationKind.FOLLOW_UP and o.is_open for o in obligations)
        if action.is_public and not follow_up_running and latest_public_action(incident) == action:
            start_follow_up(incident, action, now, WorkingCalendar(), actor)
    return action


def check_reply(errors, incident, kind, instruction, department) -> None:
    """A reply answers one instruction of this incident, for a department it was addressed to; only a
    reply names an instruction."""
    if kind != ActionKind.INSTRUCTION_REPLY:
        if instruction is not None:
            errors.add("instruction", _("Only a reply to an instruction names one."))
        return
    if instruction is None or instruction.incident_id != incident.pk:
        errors.add("instruction", _("Name the instruction of this incident that this replies to."))
    elif department is None or not instruction.departments.filter(pk=department.pk).exists():
        errors.add("department", _("The instruction was not addressed to this department."))


def check_rectification(errors, incident, kind, finding, department, published_at) -> None:
    """A rectification report answers one 约谈整改 on this incident, for the department its report is owed by,
    and is dated no earlier than the day the interview was decided; only a rectification report names a finding."""
    if kind != ActionKind.RECTIFICATION_REPORT:
        if finding is not None:
            errors.add("finding", _("Only a rectification report names an admonishing interview."))
        return
    rectification = rectification_of(finding, incident)
    if rectification is None:
        errors.add("finding", _("Name the admonishing interview (约谈整改) on this incident that this report answers."))
    elif rectification.met_at is not None:  # met (it is never waived): one report answers an interview
        at = f"{timezone.localtime(rectification.met_at):%Y-%m-%d %H:%M}"
        errors.add("finding", _("The rectification report for this interview was submitted at %(at)s.") % {"at": at})
    elif department is None or department.pk != rectification.department_id:
        errors.add("department", _("The rectification report is owed by another department."))
    elif published_at is not None and timezone.localdate(published_at) < finding.decided_on:
        errors.add(
            "published_at",
            _("A rectification report cannot be dated before the interview (%(day)s).") % {"day": finding.decided_on},
        )


def rectification_of(finding, incident) -> Obligation | None:
    """The rectification ``finding`` asks for, when it is an interview on ``incident``'s obligations."""
    if finding is None or finding.obligation.incident_id != incident.pk:
        return None
    return Obligation.objects.filter(finding=finding).first()


def note_first_public_response(incident, published_at) -> None:
    """Keep the incident's earliest public response time, which reports read for every incident of a
    year without joining all their actions. The caller holds the incident's lock, so it cannot race."""
    if incident.first_public_response_at is None or published_at < incident.first_public_response_at:
        incident.first_public_response_at = published_at
        incident.save(update_fields=["first_public_response_at"])


def latest_public_action(incident) -> Action | None:
    return incident.actions.filter(kind__in=PUBLIC_ACTION_KINDS).order_by("-published_at", "-pk").first()


def start_follow_up(incident, latest_action, now, calendar, actor=None) -> None:
    """The latest public response starts the next follow-up clock (持续发布), for severities that have one."""
    policy = follow_up_policy(incident)
    if policy is not None and incident.state == Incident.State.OPEN:
        open_obligations(incident, [policy], now, calendar, actor, clock_started_at=latest_action.published_at)
