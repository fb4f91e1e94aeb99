"""Obligation state changes: met, overdue, waived. Each writes its timeline event in the same transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import SATISFIED_BY, Obligation, TimelineEvent

from .timeline import obligation_event
from .validation import Errors, check_required

NON_FIELD = "non_field_errors"


def meet(obligation: Obligation, action, now, actor=None) -> None:
    """Record ``action`` as what met ``obligation``: on time when published at or before ``due_at``."""
    on_time = action.published_at <= obligation.due_at
    obligation.state = Obligation.State.MET if on_time else Obligation.State.MET_LATE
    obligation.met_at = action.published_at
    obligation.met_by = action
    obligation.save(update_fields=["state", "met_at", "met_by"])
    obligation_event(
        obligation,
        TimelineEvent.Kind.OBLIGATION_MET,
        now,
        actor,
        action=action.pk,
        on_time=on_time,
        late_by_seconds=max(0, int((action.published_at - obligation.due_at).total_seconds())),
    )


def satisfiable_by(action) -> list[str]:
    return [kind for kind, action_kinds in SATISFIED_BY.items() if action.kind in action_kinds]


def apply_action(obligations, action, now, actor=None) -> None:
    """Meet each obligation ``action`` satisfies that is open, or met later than ``action`` was published.

    The earliest satisfying action is what met an obligation, so evidence recorded late still counts
    from when it was published (and the timeline keeps both events).
    """
    for obligation in obligations:
        if action.kind not in SATISFIED_BY[obligation.kind] or action.published_at < obligation.clock_started_at:
            continue
        improves = obligation.met_at is not None and action.published_at < obligation.met_at
        if obligation.is_open or (obligation.state != Obligation.State.WAIVED and improves):
            meet(obligation, action, now, actor)


def mark_overdue(obligations, now) -> list[Obligation]:
    """Mark the pending ones of ``obligations`` overdue in one UPDATE, their events in one INSERT.

    The caller holds the rows: locked by its own query, or created in its own transaction.
    """
    marked = [o for o in obligations if o.state == Obligation.State.PENDING]
    Obligation.objects.filter(pk__in=[o.pk for o in marked]).update(state=Obligation.State.OVERDUE)
    for obligation in marked:
        obligation.state = Obligation.State.OVERDUE
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident_id=o.incident_id,
            kind=TimelineEvent.Kind.OBLIGATION_OVERDUE,
            at=now,
            obligation=o,
            detail={"obligation_kind": o.kind, "due_at": o.due_at},
        )
        for o in marked
    )
    return marked


def mark_due_obligations_overdue(now, batch_size=500) -> int:
    """Mark every pending obligation whose deadline has passed; returns how many were marked.

    Batches are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so passes running at the same
    time split the work instead of waiting on each other; SQLite serialises writers anyway.
    """
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Obligation.objects.select_for_update(skip_locked=True)
                .filter(state=Obligation.State.PENDING, due_at__lte=now)
                .order_by("due_at", "pk")[:batch_size]
            )
            total += len(mark_overdue(batch, now))
        if len(batch) < batch_size:
            return total


def waive(obligation: Obligation, *, reason: str, approver, now) -> Obligation:
    """Waive an open obligation. A waiver needs a reason and a named approver, and is reported apart."""
    errors = Errors()
    check_required(errors, "reason", reason)
    errors.raise_if_any()
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update().select_related("incident").get(pk=obligation.pk)
        if not obligation.is_open:
            errors.add(NON_FIELD, _("Only a pending or overdue obligation can be waived."))
            errors.raise_if_any()
        waive_open(obligation, reason.strip(), approver, now)
    return obligation


def waive_open(obligation: Obligation, reason: str, approver, now) -> None:
    state_before = obligation.state
    obligation.state = Obligation.State.WAIVED
    obligation.waived_reason = reason
    obligation.waived_by = approver
    obligation.waived_at = now
    obligation.save(update_fields=["state", "waived_reason", "waived_by", "waived_at"])
    obligation_event(obligation, TimelineEvent.Kind.WAIVED, now, approver, reason=reason, before=state_before)
