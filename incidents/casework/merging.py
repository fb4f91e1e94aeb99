"""Duplicates and follow-on incidents (docs/rules.md, "Casework").

A duplicate is merged into the incident it duplicates: its open obligations are waived as "merged" (the
deadlines are answered on the other incident, and the figures report the waiver apart from breaches), it
closes, and both incidents show the link. A closed incident that flares up again gets a follow-on incident
with clocks of its own from its own discovery; the closed record is never reopened or rewritten, it only
gains the event that points to the follow-on.
"""

from typing import Literal, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import CaseRequest, Incident, Obligation, ObligationKind, Role, TimelineEvent
from incidents.services.incidents import log_incident
from incidents.services.locks import lock_incident, lock_incidents
from incidents.services.obligations import NON_FIELD, waive_open
from incidents.services.timeline import record_event
from opinion_tracker.lib.prefetch import read
from opinion_tracker.lib.validation import Errors, check_required

from .deciders import may_handle, may_transfer

MERGED = "merged"


def may_merge(caller: Caller, incident) -> bool:
    """Leaders whose scope holds the duplicate, the government office, administrators."""
    return caller.may_act({Role.LEADER}, incident.department_id) or may_transfer(caller, incident)


MERGED_AWAY = _("The incident was merged into another; nothing is left to decide.")


def merge(incident, *, into, reason, actor, now) -> Incident:
    """Merge the duplicate ``incident`` into ``into``, an open incident the caller may read."""
    caller = Caller.of(actor)
    if not may_merge(caller, incident):
        raise PermissionDenied(_("Only a leader or the government office merges incidents."))
    with transaction.atomic():
        lock_incidents(sorted({incident.pk, into.pk}))  # always in id order: two merges never deadlock
        incident, into = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=into.pk)
        errors = Errors()
        check_required(errors, "reason", reason)
        if incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        if not Incident.objects.filter(caller.incident_filter(), pk=into.pk).exists():
            errors.add("into", _("No incident with this id."))  # the answer a missing id gets
        elif into.pk == incident.pk:
            errors.add("into", _("An incident cannot be merged into itself."))
        elif into.merged_into_id is not None:
            errors.add(
                "into",
                _("That incident was itself merged into #%(id)d; merge into that one.") % {"id": into.merged_into_id},
            )
        elif into.state == Incident.State.CLOSED:
            errors.add("into", _("That incident is closed; a closed incident takes no merges."))
        errors.raise_if_any()

        reason = reason.strip()
        running = incident.obligations.select_for_update().filter(state__in=Obligation.OPEN_STATES)
        # A rectification report is owed to the auditors, whatever becomes of the incident.
        for obligation in running.exclude(kind=ObligationKind.RECTIFICATION):
            waive_open(obligation, MERGED, actor, now, Obligation.Waiver.MERGED, into=into.pk, merge_reason=reason)
        # What was asked about the duplicate has nothing left to apply to: refused, saying why.
        incident.requests.filter(state=CaseRequest.State.PENDING).update(
            state=CaseRequest.State.REFUSED, decided_by=actor, decided_at=now, decision_note=str(MERGED_AWAY)
        )
        incident.state, incident.closed_at, incident.close_reason = Incident.State.CLOSED, now, reason
        incident.merged_into = into
        incident.save(update_fields=["state", "closed_at", "close_reason", "merged_into"])
        record_event(incident, TimelineEvent.Kind.MERGED, now, actor, into=into.pk, reason=reason)
        record_event(incident, TimelineEvent.Kind.CLOSED, now, actor, reason=reason, merged_into=into.pk)
        record_event(into, TimelineEvent.Kind.MERGED, now, actor, reason=reason, **{"from": incident.pk})
    return incident


def merged_end(incident) -> Incident:
    """The incident a merged duplicate now lives on: ``merged_into`` followed to the end of the chain
    (a target may itself be merged later); the incident itself when it was never merged."""
    seen = {incident.pk}
    while incident.merged_into_id is not None and incident.merged_into_id not in seen:
        incident = Incident.objects.get(pk=incident.merged_into_id)
        seen.add(incident.pk)
    return incident


class Link(TypedDict):
    incident: int
    relation: Literal["merged_from", "merged_into", "follow_on", "follow_on_of"]


def links_of(incident) -> list[Link]:
    """The incidents this one is linked to, and how: merged into it or it into them, its follow-ons, and the
    closed incident it follows on from (the API's ``links``; reading ``merged_from`` and ``follow_ons`` ahead
    saves two queries an incident)."""
    links: list[Link] = [{"incident": other.pk, "relation": "merged_from"} for other in read(incident, "merged_from")]
    if incident.merged_into_id is not None:
        links.append({"incident": incident.merged_into_id, "relation": "merged_into"})
    links += [{"incident": other.pk, "relation": "follow_on"} for other in read(incident, "follow_ons")]
    if incident.follow_on_of_id is not None:
        links.append({"incident": incident.follow_on_of_id, "relation": "follow_on_of"})
    return links


def open_follow_on(incident, *, actor, now, department=None, **details) -> Incident:
    """Log a follow-on of the closed ``incident`` (二次发酵、次生舆情), by whoever may handle it.

    ``details`` are what logging takes; the department defaults to the closed incident's. The new incident
    is logged like any other, so its clocks start at its own discovery, not at the closed one's.
    """
    if not may_handle(Caller.of(actor), incident):
        raise PermissionDenied(_("Only the duty officers who handle the incident open a follow-on."))
    with transaction.atomic():
        incident = lock_incident(incident)
        errors = Errors()
        if incident.state != Incident.State.CLOSED:
            errors.add(NON_FIELD, _("Only a closed incident gets a follow-on; this one is still open."))
        elif incident.merged_into_id is not None:
            errors.add(
                NON_FIELD,
                _("This incident was merged into #%(id)d; a follow-on is opened from that one.")
                % {"id": incident.merged_into_id},
            )
        errors.raise_if_any()
        follow_on = log_incident(department=department or incident.department, actor=actor, now=now, **details)
        follow_on.follow_on_of = incident
        follow_on.save(update_fields=["follow_on_of"])
        record_event(incident, TimelineEvent.Kind.FOLLOW_ON, now, actor, follow_on=follow_on.pk)
    return follow_on
