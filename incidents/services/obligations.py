"""Obligation state changes: met, overdue, waived. Each writes its timeline event in the same transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import SATISFIED_BY, Obligation, ObligationKind, TimelineEvent
from opinion_tracker.lib.validation import Errors, check_required

from .audit_chain import append_events, claimed_with_chains
from .locks import lock_incident
from .timeline import obligation_event

NON_FIELD = "non_field_errors"


def verdict(met_at, due_at) -> str:
    """Met on time when published at or before the deadline, met late after it."""
    return Obligation.State.MET if met_at <= due_at else Obligation.State.MET_LATE


def meet(obligation: Obligation, action, now, actor=None) -> None:
    """Record ``action`` as what met ``obligation``."""
    obligation.state = verdict(action.published_at, obligation.due_at)
    obligation.met_at = action.published_at
    obligation.met_by = action
    obligation.save(update_fields=["state", "met_at", "met_by"])
    obligation_event(
        obligation,
        TimelineEvent.Kind.OBLIGATION_MET,
        now,
        actor,
        action=action.pk,
        on_time=obligation.state == Obligation.State.MET,
        late_by_seconds=max(0, int((action.published_at - obligation.due_at).total_seconds())),
    )


def counts_for(obligation: Obligation, action) -> bool:
    """Whether ``action`` satisfies ``obligation``: the right kind, published once its clock ran.

    A follow-up asks for a *further* response: one published at the very moment of the response that
    started its clock (the same statement on another platform) does not meet it. An obligation is met by
    its own department: a reply to an instruction by the department it addressed, a rectification report by the
    department interviewed, the lead's obligations by
    the lead (a co-handler's internal report is its own, docs/rules.md, "Casework").
    """
    if action.kind not in SATISFIED_BY[obligation.kind] or action.department_id != obligation.department_id:
        return False
    if obligation.kind == ObligationKind.INSTRUCTION:  # a reply to that very instruction
        return action.instruction_id == obligation.instruction_id
    if obligation.kind == ObligationKind.RECTIFICATION:  # a report for that very interview
        return action.finding_id == obligation.finding_id
    if obligation.kind == ObligationKind.FOLLOW_UP:
        return action.published_at > obligation.clock_started_at
    return action.published_at >= obligation.clock_started_at


def apply_action(obligations, action, now, actor=None) -> None:
    """Meet each obligation ``action`` satisfies that is open, or met later than ``action`` was published.

    The earliest satisfying action is what met an obligation, so evidence recorded late still counts
    from when it was published (and the timeline keeps both events).
    """
    for obligation in obligations:
        if obligation.state == Obligation.State.WAIVED or not counts_for(obligation, action):
            continue
        if obligation.is_open or action.published_at < obligation.met_at:
            meet(obligation, action, now, actor)


def mark_overdue(obligations, now, *, held=False, events=None, write=True) -> list[Obligation]:
    """Mark the pending ones of ``obligations`` overdue in one UPDATE (unless ``write=False``), their events in one
    INSERT.

    The caller holds the rows: locked by its own query, or created in its own transaction; ``held``: and their
    incidents (their timeline chains) too. ``events``: a list to add the events' rows to instead, which the
    caller appends with its own (``audit_chain.append_events``). ``write=False``: the new state is set on the
    instances alone, for the caller to write with the rest of its changes to the same rows, in its transaction.
    """
    marked = [o for o in obligations if o.state == Obligation.State.PENDING]
    if write:
        Obligation.objects.filter(pk__in=[o.pk for o in marked]).update(state=Obligation.State.OVERDUE)
    for obligation in marked:
        obligation.state = Obligation.State.OVERDUE
    rows = [
        (
            o.incident_id,
            o.pk,
            TimelineEvent.Kind.OBLIGATION_OVERDUE,
            now,
            None,
            {"obligation_kind": o.kind, "due_at": o.due_at},
        )
        for o in marked
    ]
    if events is None:
        append_events(rows, held=held)
    else:
        events += rows
    return marked


def mark_past_due(obligations, now, *, held=False, events=None, write=True) -> list[Obligation]:
    """Mark overdue those of ``obligations`` still pending whose deadline has passed by ``now`` (see
    ``mark_overdue``)."""
    return mark_overdue([o for o in obligations if o.due_at <= now], now, held=held, events=events, write=write)


def reschedule(obligation: Obligation, due_at, provisional, now, actor=None) -> bool:
    """Move a deadline (regrading, a calendar loaded): a met obligation is judged again, an open one
    is pending or overdue by the new deadline. Returns whether anything changed."""
    if (due_at, provisional) == (obligation.due_at, obligation.provisional):
        return False
    before = obligation.due_at
    obligation.due_at, obligation.provisional = due_at, provisional
    if obligation.met_at is not None:
        obligation.state = verdict(obligation.met_at, due_at)
    elif obligation.is_open and due_at > now:
        obligation.state = Obligation.State.PENDING
    if obligation.is_open:
        obligation.next_step_at = now  # the escalation engine re-plans its steps from the new deadline
    obligation.save(update_fields=["due_at", "provisional", "state", "next_step_at"])
    obligation_event(
        obligation,
        TimelineEvent.Kind.DEADLINE_RECOMPUTED,
        now,
        actor,
        before=before,
        after=due_at,
        provisional=provisional,
    )
    mark_past_due([obligation], now)
    return True


def mark_due_obligations_overdue(now, batch_size=500) -> int:
    """Mark every pending obligation whose deadline has passed; returns how many were marked.

    Batches are claimed with ``SKIP LOCKED`` on PostgreSQL, so passes running at the same time split the
    work instead of waiting on each other; SQLite serialises writers anyway. A batch is claimed with its
    incidents, whose timeline chains its events join (``claimed_with_chains``), and the loop ends only when a claim
    finds nothing: a short batch may have skipped obligations of an incident another pass held meanwhile.
    Obligations with a step due are left to the escalation loop, which marks them as it records the step:
    holding one here would make a pass's escalation loop skip it and end without it.
    """
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                claimed_with_chains(Obligation.objects.select_related("incident"))
                .only("state", "kind", "due_at", "incident", "incident__id")
                .filter(state=Obligation.State.PENDING, due_at__lte=now)
                .exclude(next_step_at__lte=now)
                .order_by("due_at", "pk")[:batch_size]
            )
            total += len(mark_overdue(batch, now, held=True))
        if not batch:
            return total


def waive(obligation: Obligation, *, reason: str, approver, now) -> Obligation:
    """Waive an open obligation. A waiver needs a reason and a named approver, and is reported apart."""
    errors = Errors()
    check_required(errors, "reason", reason)
    if approver is None:
        errors.add(NON_FIELD, _("A waiver needs a named approver."))
    errors.raise_if_any()
    with transaction.atomic():
        lock_incident(obligation.incident)
        obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
        refusal = waiver_refusal(obligation)
        if refusal:
            errors.add(NON_FIELD, refusal)
            errors.raise_if_any()
        waive_open(obligation, reason.strip(), approver, now)
    return obligation


def waiver_refusal(obligation: Obligation) -> str | None:
    """Why ``obligation`` cannot be waived, if it cannot: it is settled, or it is a rectification report, which
    the department interviewed owes the auditors and may not excuse itself from."""
    if not obligation.is_open:
        return _("Only a pending or overdue obligation can be waived.")
    if obligation.kind == ObligationKind.RECTIFICATION:
        return _("A rectification report is owed to the auditors who asked for it: it cannot be waived.")
    return None


def waive_open(obligation: Obligation, reason: str, approver, now, kind=Obligation.Waiver.APPROVED, **detail) -> None:
    """Waive ``obligation`` (held by the caller); ``kind`` says whether a person decided it or the tracker
    followed a decision (a regrade, a closing): never the free text of the reason."""
    state_before = obligation.state
    obligation.state = Obligation.State.WAIVED
    obligation.waived_reason = reason
    obligation.waiver_kind = kind
    obligation.waived_by = approver
    obligation.waived_at = now
    obligation.save(update_fields=["state", "waived_reason", "waiver_kind", "waived_by", "waived_at"])
    obligation_event(
        obligation, TimelineEvent.Kind.WAIVED, now, approver, reason=reason, before=state_before, waiver=kind, **detail
    )
