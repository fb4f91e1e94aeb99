"""Recording escalation steps: the part of the enforcement pass that writes notifications.

Passes claim due obligations in batches with ``FOR NO KEY UPDATE SKIP LOCKED`` on the obligation
rows and their incidents (the timeline chains, ``incidents.services.audit_chain``), so passes running
at the same time split the work and never wait on each other, and a pass never waits for a service
that has locked an incident to record an action: that incident's obligations are left to a later
batch (see ``incidents.services.locks``). Within its transaction a batch records its notifications, advances
each plan and moves ``next_step_at`` past ``now``; if anything fails, none of it happened and the
next pass does it again. The unique constraint on notifications is the last guard: a step that was
somehow recorded already is not recorded twice (``ignore_conflicts``).
"""

from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from incidents.models import IncidentReader, Obligation, TimelineEvent
from incidents.services.audit_chain import append_events, claimed_with_chains
from incidents.services.obligations import mark_past_due
from opinion_tracker.lib.bulk import insert_rows, update_rows

from . import channels
from .ladder import Firing, Ladder, Standing, Step, advance, new_round
from .models import EscalationEntry, EscalationPlan, EscalationPolicy, Notification
from .recipients import Directory, addressees_of
from .steps import step_label


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
    "offset_working_days",
    "department_id",
    "instruction_id",
    "finding_id",
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
                claimed_with_chains(Obligation.objects.select_related("incident"))
                .only(*CLAIMED_FIELDS)
                .filter(state__in=Obligation.OPEN_STATES, next_step_at__lte=now)
                .order_by("next_step_at", "pk")[:batch_size]
            )
            steps, overdue = escalate(batch, directory, now)
            recorded, marked = recorded + steps, marked + overdue
        # Not before a claim finds nothing: a short batch may have skipped obligations whose incident another
        # pass held for other obligations, and those are free now.
        if not batch:
            return recorded, marked


def escalate(obligations, directory: Directory, now) -> tuple[int, int]:
    """Record the due steps of ``obligations`` (held locked by the caller, with their incidents) in a constant
    number of queries.

    Those past their deadline are marked overdue first, here, while the rows are held: most steps fall
    at or after a deadline, so this spares the marking loop of the pass a second read of the same rows.
    Their timeline events and the steps' are appended to the chains together, in one INSERT, and their new state
    is written with their next steps, in one UPDATE: each UPDATE of a row writes a new version of it, and (the next
    step being indexed) a new entry in every index of the table.
    """
    events: list = []
    marked = mark_past_due(obligations, now, held=True, events=events, write=False)
    plans = plans_for(obligations, directory, now)
    ladders = {}  # the same few ladders are frozen onto most obligations: read each once per batch
    progress, last_levels = {}, {}
    for obligation in obligations:
        plan = plans[obligation.pk]
        snapshot = repr(plan.ladder)
        if snapshot not in ladders:
            ladders[snapshot] = Ladder.from_snapshot(plan.ladder)
        standing = Standing(
            obligation.clock_started_at,
            obligation.due_at,
            tuple(plan.fired),
            tuple(plan.skipped),
            plan.repeats_fired,
            plan.round,
        )
        hours = directory.hours(obligation.incident.department_id) if obligation.offset_working_days else None
        progress[obligation.pk] = advance(ladders[snapshot], standing, now, hours)
        last = ladders[snapshot].last_level(obligation.clock_started_at, obligation.due_at)
        last_levels[obligation.pk] = last.code if last is not None else None
    acknowledged = acknowledged_recipients(
        [pk for pk, p in progress.items() if any(firing.is_repeat for firing in p.firings)]
    )

    addressees = addressees_of([o for o in obligations if progress[o.pk].firings])
    copies = []
    for obligation in obligations:
        steps = progress[obligation.pk]
        reached = []
        for firing in steps.firings:
            at_last = firing.step.code == last_levels[obligation.pk]
            people = directory.reach(addressees[obligation.pk], firing.step.audiences, at_last)
            if firing.is_repeat:
                people = [person for person in people if (obligation.pk, person.pk) not in acknowledged]
            reached.append((firing, people))
        obligation_copies = step_copies(obligation, reached, directory)
        copies += obligation_copies
        names = {person.pk: str(person) for _firing, people in reached for person in people}
        events += [escalated_event(obligation, firing, obligation_copies, names, now) for firing, _people in reached]
        obligation.next_step_at = steps.next_step_at
        plan = plans[obligation.pk]
        plan.fired, plan.skipped, plan.repeats_fired = steps.fired, steps.skipped, steps.repeats_fired

    record_copies(copies, now)
    append_events([event for event in events if event is not None], held=True)
    update_rows(Obligation, ["state", "next_step_at"], {o.pk: (o.state, o.next_step_at) for o in obligations})
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
    """(obligation, person) pairs where the person has acknowledged an entry: repeats no longer reach them."""
    if not obligation_ids:
        return set()
    return set(
        EscalationEntry.objects.filter(obligation__in=obligation_ids, acknowledged_at__isnull=False).values_list(
            "obligation_id", "recipient_id"
        )
    )


class Copy(NamedTuple):
    """One notification row as a pass records it: one step, one person, one channel."""

    incident: int
    obligation: int
    step: str
    entry_step: str  # the step whose entry (and message) this copy belongs to
    recipient: int
    channel: str
    status: str
    error: str
    step_at: datetime
    held_until: datetime | None


MERGED = _("Merged into %(step)s: one message per person and obligation in a pass.")


def lead_firing(firings: list[Firing], obligation) -> Firing | None:
    """Of the steps reaching one person in a pass, the one their message names: the highest level
    (the latest on the ladder; a level before its own repeat)."""
    sending = [firing for firing in firings if firing.sends]
    return max(
        sending,
        key=lambda firing: (firing.step.at(obligation.clock_started_at, obligation.due_at), not firing.is_repeat),
        default=None,
    )


def step_copies(obligation, reached: list[tuple[Firing, list]], directory: Directory) -> list[Copy]:
    """The copies of the steps that ``reached`` people, on every channel each step lists.

    Nobody gets two messages about one obligation from one pass: of the steps reaching a person, the
    highest goes out, and the copies of the others are recorded skipped as merged into it, under its
    entry (docs/rules.md, "What a message tells").
    """
    by_person: dict[int, list[Firing]] = {}
    people = {}
    for firing, reached_people in reached:
        for person in reached_people:
            by_person.setdefault(person.pk, []).append(firing)
            people[person.pk] = person
    copies = []
    with translation.override(settings.LANGUAGE_CODE):
        for person_pk, firings in by_person.items():
            person, lead = people[person_pk], lead_firing(firings, obligation)
            for firing in firings:
                merged = firing.sends and firing is not lead
                for kind in firing.step.channels:
                    if merged:
                        status, reason = Notification.Status.SKIPPED, str(MERGED % {"step": step_label(lead.code)})
                    elif not firing.sends:
                        status, reason = Notification.Status.SKIPPED, str(firing.reason)
                    else:
                        status, reason = channels.initial_status(kind, person, directory)
                    copies.append(
                        Copy(
                            incident=obligation.incident_id,
                            obligation=obligation.pk,
                            step=firing.code,
                            entry_step=lead.code if merged else firing.code,
                            recipient=person_pk,
                            channel=kind,
                            status=status,
                            error=reason,
                            step_at=firing.at,
                            held_until=firing.held_until,
                        )
                    )
    return copies


NOTIFICATION_FIELDS = [
    "incident",
    "obligation",
    "step",
    "entry",
    "recipient",
    "channel",
    "status",
    "error",
    "step_at",
    "held_until",
    "created_at",
    "latency",
    "available_at",
    "sent_at",
    "attempts",
]


def record_copies(copies: list[Copy], now) -> None:
    """Write the entries the copies belong to, the copies, and the read grant of everyone told.

    Entries are inserted first (a conflict means a pass already recorded that entry: the constraint on
    notifications then keeps its copies from being written twice) and read back for their ids.
    """
    if not copies:
        return
    keys = {(copy.obligation, copy.entry_step, copy.recipient) for copy in copies}
    insert_rows(EscalationEntry, ["obligation", "step", "recipient", "created_at"], [(*key, now) for key in keys])
    entries = {
        (obligation, step, recipient): pk
        for pk, obligation, step, recipient in EscalationEntry.objects.filter(
            obligation__in={key[0] for key in keys},
            step__in={key[1] for key in keys},
            recipient__in={key[2] for key in keys},
        ).values_list("pk", "obligation_id", "step", "recipient_id")
    }
    rows = [
        {
            **copy._asdict(),
            "entry": entries[(copy.obligation, copy.entry_step, copy.recipient)],
            "created_at": now,
            "latency": now - (copy.held_until or copy.step_at),
            "available_at": now,
            "sent_at": now if copy.status == Notification.Status.SENT else None,
            "attempts": 0,
        }
        for copy in copies
    ]
    insert_rows(Notification, NOTIFICATION_FIELDS, [tuple(row[name] for name in NOTIFICATION_FIELDS) for row in rows])
    grants = {(copy.incident, copy.recipient) for copy in copies}
    insert_rows(IncidentReader, ["incident", "person", "granted_at"], [(*grant, now) for grant in grants])


def escalated_event(obligation, firing: Firing, copies: list[Copy], names: dict[int, str], now) -> tuple | None:
    """A timeline row (``audit_chain.EVENT_FIELDS``) for a step that went out: who it told, and who got it within a
    higher step's message; ``None`` for a step skipped for everyone (a stale warning)."""
    if not firing.sends:
        return None
    mine = [copy for copy in copies if copy.step == firing.code]
    told = sorted({copy.recipient for copy in mine if copy.entry_step == firing.code})
    merged = sorted({copy.recipient for copy in mine if copy.entry_step != firing.code})
    detail = {
        "obligation_kind": obligation.kind,
        "due_at": obligation.due_at,
        "step": firing.code,
        "step_at": firing.at,
        "held_until": firing.held_until,
        "recipients": [{"id": pk, "name": names.get(pk, "")} for pk in told],
        "merged": [{"id": pk, "name": names.get(pk, "")} for pk in merged],
    }
    return (obligation.incident_id, obligation.pk, TimelineEvent.Kind.ESCALATED, now, None, detail)
