"""Recording escalation steps: the part of the enforcement pass that writes notifications.

Passes claim due obligations in batches with ``FOR NO KEY UPDATE SKIP LOCKED`` on the obligation
rows only, so passes running at the same time split the work and never wait on each other, and a
service that has locked an incident to record an action is never blocked by a pass (see
``incidents.services.locks``). Within its transaction a batch records its notifications, advances
each plan and moves ``next_step_at`` past ``now``; if anything fails, none of it happened and the
next pass does it again. The unique constraint on notifications is the last guard: a step that was
somehow recorded already is not recorded twice (``ignore_conflicts``).
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation

from incidents.models import Obligation, TimelineEvent
from incidents.services.bulk import insert_rows, update_rows
from incidents.services.obligations import mark_past_due

from . import channels
from .ladder import Firing, Ladder, Step, advance, new_round
from .models import EscalationPlan, EscalationPolicy, Notification
from .recipients import Directory


def ladder_of(policy: EscalationPolicy | None) -> Ladder:
    if policy is None:
        return Ladder(steps=())
    steps = sorted(policy.steps.all(), key=lambda step: step.pk)
    return Ladder(
        repeat_every=policy.repeat_every,
        steps=tuple(
            Step(
                code=step.code,
                audiences=tuple(step.audiences),
                channels=tuple(step.channels),
                offset=step.offset,
                window_fraction=None if step.window_fraction is None else float(step.window_fraction),
                short_window=step.short_window,
                short_window_offset=step.short_window_offset,
            )
            for step in steps
        ),
    )


# What a pass reads of a claimed obligation; the rest of the row (and the incident's texts) stays unread.
CLAIMED_FIELDS = [
    "kind",
    "clock_started_at",
    "due_at",
    "state",
    "next_step_at",
    "incident__department_id",
    "incident__severity",
]


def escalate_due(now) -> tuple[int, int]:
    """Record every step whose time has come by ``now``; returns how many steps were recorded and
    how many obligations were marked overdue on the way."""
    batch_size = settings.ENFORCEMENT_BATCH_SIZE
    directory = Directory(now)
    recorded = marked = 0
    while True:
        with transaction.atomic():
            batch = list(
                Obligation.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                .select_related("incident")
                .only(*CLAIMED_FIELDS)
                .filter(state__in=Obligation.OPEN_STATES, next_step_at__lte=now)
                .order_by("next_step_at", "pk")[:batch_size]
            )
            steps, overdue = escalate(batch, directory, now)
            recorded, marked = recorded + steps, marked + overdue
        if len(batch) < batch_size:
            return recorded, marked


def escalate(obligations, directory: Directory, now) -> tuple[int, int]:
    """Record the due steps of ``obligations`` (held locked by the caller) in a constant number of queries.

    Those past their deadline are marked overdue first, here, while the rows are held: most steps fall
    at or after a deadline, so this spares the marking loop of the pass a second read of the same rows.
    """
    marked = mark_past_due(obligations, now)
    plans = plans_for(obligations, directory, now)
    ladders = {}  # the same few ladders are frozen onto most obligations: read each once per batch
    progress = {}
    for obligation in obligations:
        plan = plans[obligation.pk]
        snapshot = repr(plan.ladder)
        if snapshot not in ladders:
            ladders[snapshot] = Ladder.from_snapshot(plan.ladder)
        progress[obligation.pk] = advance(
            ladders[snapshot],
            obligation.clock_started_at,
            obligation.due_at,
            plan.fired,
            plan.skipped,
            plan.repeats_fired,
            now,
            plan.round,
        )
    acknowledged = acknowledged_recipients(
        [pk for pk, p in progress.items() if any(firing.is_repeat for firing in p.firings)]
    )

    notifications, events = [], []
    for obligation in obligations:
        steps = progress[obligation.pk]
        for firing in steps.firings:
            people = directory.reach(obligation.incident.department_id, firing.step.audiences)
            if firing.is_repeat:
                people = [person for person in people if (obligation.pk, person.pk) not in acknowledged]
            notifications += step_notifications(obligation, firing, people, directory, now)
            if firing.sends:
                events.append(escalated_event(obligation, firing, people, now))
        obligation.next_step_at = steps.next_step_at
        plan = plans[obligation.pk]
        plan.fired, plan.skipped, plan.repeats_fired = steps.fired, steps.skipped, steps.repeats_fired

    insert_rows(Notification, NOTIFICATION_FIELDS, notifications)
    insert_rows(TimelineEvent, EVENT_FIELDS, events)
    update_rows(Obligation, ["next_step_at"], {o.pk: (o.next_step_at,) for o in obligations})
    update_rows(
        EscalationPlan,
        ["fired", "skipped", "repeats_fired"],
        {pk: (p.fired, p.skipped, p.repeats_fired) for pk, p in plans.items()},
    )
    return sum(len(p.firings) for p in progress.values()), len(marked)


def plans_for(obligations, directory: Directory, now) -> dict[int, EscalationPlan]:
    """Each obligation's plan: frozen for those seen for the first time, copied again from the new
    severity's ladder after a regrade, and in a new round after the deadline moved."""
    plans = {plan.obligation_id: plan for plan in EscalationPlan.objects.filter(obligation__in=obligations)}
    new, changed = [], []
    for obligation in obligations:
        plan = plans.get(obligation.pk)
        if plan is None:
            plan = EscalationPlan(obligation=obligation, frozen_at=now, deadline=obligation.due_at)
            freeze(plan, obligation, directory)
            new.append(plan)
            continue
        regraded = plan.severity != obligation.incident.severity
        if regraded:
            freeze(plan, obligation, directory)
        if regraded or plan.deadline != obligation.due_at:
            plan.fired, plan.skipped, plan.repeats_fired = new_round(
                Ladder.from_snapshot(plan.ladder),
                obligation.clock_started_at,
                obligation.due_at,
                plan.fired,
                plan.skipped,
                now,
            )
            plan.round, plan.deadline = plan.round + 1, obligation.due_at
            changed.append(plan)
    EscalationPlan.objects.bulk_create(new)
    EscalationPlan.objects.bulk_update(changed, ["policy", "ladder", "severity", "round", "deadline"])
    plans.update((plan.obligation_id, plan) for plan in new)
    return plans


def freeze(plan: EscalationPlan, obligation, directory: Directory) -> None:
    """Copy the ladder in force for the incident's severity onto the plan."""
    severity = obligation.incident.severity
    plan.policy = directory.policy(obligation.incident.department_id, severity)
    plan.ladder, plan.severity = ladder_of(plan.policy).to_snapshot(), severity


def acknowledged_recipients(obligation_ids) -> set[tuple[int, int]]:
    """(obligation, person) pairs where the person has acknowledged: repeats no longer reach them."""
    if not obligation_ids:
        return set()
    return set(
        Notification.objects.filter(obligation__in=obligation_ids, acknowledged_at__isnull=False).values_list(
            "obligation_id", "recipient_id"
        )
    )


NOTIFICATION_FIELDS = [
    "incident",
    "obligation",
    "step",
    "recipient",
    "channel",
    "status",
    "error",
    "step_at",
    "created_at",
    "latency",
    "available_at",
    "sent_at",
    "attempts",
]


def step_notifications(obligation, firing: Firing, people, directory: Directory, now) -> list[tuple]:
    """One row (``NOTIFICATION_FIELDS``) per person and listed channel: the step goes out on every channel at once."""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for person in people:
            for kind in firing.step.channels:
                status, reason = (
                    (Notification.Status.SKIPPED, str(firing.reason))
                    if not firing.sends
                    else channels.initial_status(kind, person, directory)
                )
                sent_at = now if status == Notification.Status.SENT else None
                rows.append(
                    (
                        obligation.incident_id,
                        obligation.pk,
                        firing.code,
                        person.pk,
                        kind,
                        status,
                        reason,
                        firing.at,
                        now,
                        now - firing.at,
                        now,
                        sent_at,
                        0,
                    )
                )
    return rows


EVENT_FIELDS = ["incident", "obligation", "kind", "at", "actor", "detail"]


def escalated_event(obligation, firing: Firing, people, now) -> tuple:
    """A timeline row (``EVENT_FIELDS``): which step went to whom, for the auditors' breach list."""
    detail = {
        "obligation_kind": obligation.kind,
        "due_at": obligation.due_at,
        "step": firing.code,
        "step_at": firing.at,
        "recipients": [{"id": person.pk, "name": str(person)} for person in people],
    }
    return (obligation.incident_id, obligation.pk, TimelineEvent.Kind.ESCALATED, now, None, detail)
