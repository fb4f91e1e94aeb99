"""Recording a response or report, and what it meets: obligations and the follow-up clock."""

from django.core.validators import URLValidator
from django.db import transaction
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

from .calendar import WorkingCalendar
from .deadlines import follow_up_policy, open_obligation
from .obligations import NON_FIELD, apply_action, meet
from .timeline import record_event
from .validation import Errors, check_choice, check_not_future


def action_errors(incident, *, kind, published_at, evidence_url, evidence_file, summary, now) -> Errors:
    """Everything wrong with an action before it is recorded, by field."""
    errors = Errors()
    if incident.state == Incident.State.CLOSED:
        errors.add(NON_FIELD, _("The incident is closed; no more actions can be recorded on it."))
    check_choice(errors, "kind", kind, ActionKind)
    check_not_future(errors, "published_at", published_at, now)
    if published_at is not None and published_at < incident.clock_started_at:
        errors.add("published_at", _("An action cannot be published before the incident's clock started."))
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except Exception:
            errors.add("evidence_url", _("Enter a valid http or https link."))
    if kind in PUBLIC_ACTION_KINDS and not (evidence_url or evidence_file):
        errors.add("evidence_url", _("A public response needs its evidence: a link or a file."))
    elif kind in ActionKind.values and kind not in PUBLIC_ACTION_KINDS and not (summary.strip() or evidence_file):
        errors.add("summary", _("An internal report needs its summary or a document."))
    return errors


def record_action(
    incident, *, kind, published_at, now, actor=None, channel="", evidence_url="", evidence_file=None, summary=""
) -> Action:
    """Record an action and, in the same transaction, meet what it satisfies.

    The incident row is locked first, so two actions recorded at once on one incident are applied one
    after the other (and cannot both restart the follow-up clock).
    """
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        action_errors(
            incident,
            kind=kind,
            published_at=published_at,
            evidence_url=evidence_url,
            evidence_file=evidence_file,
            summary=summary,
            now=now,
        ).raise_if_any()
        action = Action.objects.create(
            incident=incident,
            kind=kind,
            channel=channel,
            published_at=published_at,
            evidence_url=evidence_url,
            evidence_file=evidence_file or "",
            summary=summary,
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
        )
        obligations = incident.obligations.select_for_update().exclude(kind=ObligationKind.FOLLOW_UP)
        apply_action(obligations, action, now, actor)
        if action.is_public and is_latest_public_action(action):
            restart_follow_up(incident, action, now, WorkingCalendar(), actor)
    return action


def is_latest_public_action(action) -> bool:
    return not (
        action.incident.actions.filter(kind__in=PUBLIC_ACTION_KINDS, published_at__gte=action.published_at)
        .exclude(pk=action.pk)
        .exists()
    )


def latest_public_action(incident) -> Action | None:
    return incident.actions.filter(kind__in=PUBLIC_ACTION_KINDS).order_by("-published_at", "-pk").first()


def restart_follow_up(incident, latest_action, now, calendar, actor=None) -> Obligation | None:
    """The latest public response meets the running follow-up and starts the next one (持续发布)."""
    running = incident.obligations.select_for_update().filter(
        kind=ObligationKind.FOLLOW_UP, state__in=Obligation.OPEN_STATES
    )
    for obligation in running:
        meet(obligation, latest_action, now, actor)
    policy = follow_up_policy(incident)
    if policy is None or incident.state == Incident.State.CLOSED:
        return None
    return open_obligation(incident, policy, latest_action.published_at, now, calendar, actor)
