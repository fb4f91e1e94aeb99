"""Recording what was decided about a breach (问责), on the obligation and its incident's timeline."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import AccountabilityFinding, Obligation, TimelineEvent
from opinion_tracker.lib.validation import Errors, check_choice, check_required

from .obligations import NON_FIELD
from .timeline import obligation_event


def is_breached(obligation: Obligation, now) -> bool:
    """Met late, or still open after its deadline (the pass may not have marked it overdue yet)."""
    if obligation.state in (Obligation.State.OVERDUE, Obligation.State.MET_LATE):
        return True
    return obligation.state == Obligation.State.PENDING and obligation.due_at <= now


def record_finding(obligation: Obligation, *, kind, note, decided_on, actor, now) -> AccountabilityFinding:
    """Record an auditor's finding on a breached obligation; findings on kept deadlines make no sense."""
    errors = Errors()
    check_choice(errors, "kind", kind, AccountabilityFinding.Kind)
    check_required(errors, "note", note)
    check_required(errors, "decided_on", decided_on)
    if decided_on is not None and decided_on > timezone.localdate(now):
        errors.add("decided_on", _("A decision cannot be dated in the future."))
    if not is_breached(obligation, now):
        errors.add(NON_FIELD, _("Only a breached obligation (overdue or met late) can have an accountability finding."))
    errors.raise_if_any()
    with transaction.atomic():
        finding = AccountabilityFinding.objects.create(
            obligation=obligation,
            kind=kind,
            note=note.strip(),
            decided_on=decided_on,
            recorded_by=actor,
            recorded_at=now,
        )
        obligation_event(
            obligation,
            TimelineEvent.Kind.ACCOUNTABILITY,
            now,
            actor,
            finding=finding.pk,
            finding_kind=kind,
            decided_on=decided_on,
        )
    return finding
