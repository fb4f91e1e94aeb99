"""From policy to deadline: which obligations an incident gets, and when each falls due."""

from datetime import datetime

from django.db.models import Q

from incidents.models import Clock, Obligation, ObligationKind, ObligationPolicy, TimelineEvent

from .calendar import WorkingCalendar
from .obligations import apply_action, mark_past_due
from .timeline import obligation_event


def policies_for(department, severity) -> dict[str, ObligationPolicy]:
    """Each obligation kind's policy for ``severity``: the nearest government's override, else national."""
    governments = department.governments()
    rows = ObligationPolicy.objects.filter(
        Q(government__isnull=True) | Q(government__in=governments), severity=severity
    )
    chosen: dict[str, ObligationPolicy] = {}
    for policy in nearest_first(rows, [government.pk for government in governments]):
        chosen.setdefault(policy.kind, policy)
    return chosen


def nearest_first(rows, government_ids):
    """Policy rows ordered by how near their government is, nearest first; national rows (no government) last."""
    rank = {pk: position for position, pk in enumerate(government_ids)}
    return sorted(rows, key=lambda row: rank.get(row.government_id, len(rank)))


def compute_due(clock_started_at: datetime, offset, offset_working_days, calendar: WorkingCalendar):
    """The deadline for an offset that is a duration (24×7 clock) or a number of working days."""
    if offset is not None:
        return clock_started_at + offset, False
    return calendar.add_working_days(clock_started_at, offset_working_days)


def new_obligation(incident, policy, clock_started_at, now, calendar, actor=None) -> Obligation:
    due_at, provisional = compute_due(clock_started_at, policy.offset, policy.offset_working_days, calendar)
    obligation = Obligation.objects.create(
        incident=incident,
        kind=policy.kind,
        clock=policy.clock,
        clock_started_at=clock_started_at,
        offset=policy.offset,
        offset_working_days=policy.offset_working_days,
        due_at=due_at,
        provisional=provisional,
        created_at=now,
        next_step_at=now,
        incident_discovered_at=incident.discovered_at,
    )
    obligation_event(obligation, TimelineEvent.Kind.OBLIGATION_ADDED, now, actor, provisional=provisional)
    return obligation


def open_obligations(incident, policies, now, calendar, actor=None, *, actions=(), clock_started_at=None):
    """Open an obligation for each policy, meet what ``actions`` already satisfy, and mark overdue at
    once what is still pending past its deadline: logging late never buys time.

    Obligations run from the incident's own clocks, or from ``clock_started_at`` (the follow-up's).
    """
    opened = [
        new_obligation(incident, policy, clock_started_at or incident.clock_start(policy.clock), now, calendar, actor)
        for policy in policies
    ]
    for action in actions:
        apply_action(opened, action, now, actor)
    mark_past_due(opened, now)
    return opened


def incident_clock_policies(policies: dict[str, ObligationPolicy], kinds=None) -> list[ObligationPolicy]:
    """The policies that run from the incident's own clocks (the follow-up waits for a response)."""
    return [
        policy
        for kind, policy in policies.items()
        if policy.clock != Clock.LATEST_PUBLIC_RESPONSE and (kinds is None or kind in kinds)
    ]


def follow_up_policy(incident) -> ObligationPolicy | None:
    return policies_for(incident.department, incident.severity).get(ObligationKind.FOLLOW_UP)
