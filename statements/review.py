"""The review gates and the sign-off (签发) of a draft's current version.

A gate is decided once per version; a new version starts them all again. The sign-off needs every gate
approved (a template-based holding statement may skip them, in an emergency, on one leader's sign-off;
the skip is recorded) and the flagged phrases acknowledged. Flags warn; they never block anything else.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import Incident, ReviewGate, TimelineEvent
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from opinion_tracker.lib.validation import Errors

from .deciders import is_author, may_review, may_sign_off
from .drafting import check_seen, check_text, current_version, lock_draft
from .models import Draft, DraftVersion, GateDecision
from .policy import has_blanks, template_kept


@dataclass(frozen=True)
class GateState:
    gate: str
    decision: GateDecision | None

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision else "pending"

    @property
    def label(self) -> str:
        return str(ReviewGate(self.gate).label)


def gate_states(draft, version: DraftVersion) -> list[GateState]:
    """Each gate of the draft, in order, with its decision on ``version`` (None: pending)."""
    decided = {decision.gate: decision for decision in version.decisions.all()}
    return [GateState(gate, decided.get(gate)) for gate in draft.gates]


def unapproved(draft, version) -> list[str]:
    return [state.gate for state in gate_states(draft, version) if state.state != GateDecision.Decision.APPROVED]


MAX_COMMENT = 2000


def decide_gate(draft, gate, *, decision, comment="", seen=None, actor, now) -> GateDecision:
    """Approve or return ``gate`` on the current version (``seen``: the version number the reviewer read,
    when known); a return says why. Who may is judged under the draft's lock, on the incident as it is then (a
    transfer since the page was read changes who reviews)."""
    errors = Errors()
    if gate not in draft.gates:
        errors.add("gate", _("This draft has no gate “%(gate)s”.") % {"gate": gate})
    if decision not in ("approve", "return"):
        errors.add("decision", _("Choose approve or return."))
    comment = "" if comment is None else comment
    if decision == "return" or not isinstance(comment, str) or comment.strip():
        check_text(errors, comment, "comment", MAX_COMMENT)
    errors.raise_if_any()
    with transaction.atomic():
        draft = lock_draft(draft)
        if not may_review(Caller.of(actor), draft.incident, gate):
            raise PermissionDenied(_("Only a reviewer of this gate or a leader of the lead department reviews it."))
        if decision == "approve" and not draft.authors_may_review and is_author(actor, draft):
            raise PermissionDenied(_("The author of a draft does not approve its gates."))
        version = current_version(draft)
        check_seen(version, seen)
        check_reviewable(draft, version, gate)
        outcome = GateDecision.Decision.APPROVED if decision == "approve" else GateDecision.Decision.RETURNED
        made = GateDecision.objects.create(
            version=version, gate=gate, decision=outcome, comment=comment or "", decided_by=actor, decided_at=now
        )
        if not unapproved(draft, version):
            draft.gates_passed = True
            draft.save(update_fields=["gates_passed"])
        kind = TimelineEvent.Kind.GATE_APPROVED if decision == "approve" else TimelineEvent.Kind.GATE_RETURNED
        record_event(
            draft.incident,
            kind,
            now,
            actor,
            draft=draft.pk,
            version=version.number,
            gate=gate,
            comment=comment or "",
            waited_seconds=round((now - version.created_at).total_seconds()),
        )
    return made


def check_may_skip(errors: Errors, draft, version, waiting) -> None:
    """Gates not yet approved are skipped only for a holding statement from a template whose blanks are filled
    and that no reviewer has returned: a returned gate is a reviewer's objection, which a sign-off does not
    overrule. How much of the template's wording it kept is recorded with the skip (``template_kept``)."""
    names = "、".join(str(ReviewGate(gate).label) for gate in waiting)
    returned = [state.label for state in gate_states(draft, version) if state.state == GateDecision.Decision.RETURNED]
    if returned:
        message = _("Returned at %(gates)s: a new version answers the reviewer before it is signed off.")
        errors.add(NON_FIELD, message % {"gates": "、".join(returned)})
    elif not draft.may_skip_gates:
        errors.add(NON_FIELD, _("Every gate must be approved first; still waiting: %(gates)s.") % {"gates": names})
    elif has_blanks(version.text):
        message = _(
            "A holding statement goes out before its gates once its template's blanks are filled; "
            "still waiting: %(gates)s."
        )
        errors.add(NON_FIELD, message % {"gates": names})


def check_reviewable(draft, version, gate) -> None:
    errors = Errors()
    if draft.incident.state == Incident.State.CLOSED:
        errors.add(NON_FIELD, _("The incident is closed."))
    elif version.signed_off_at is not None:
        errors.add(NON_FIELD, _("This version is signed off; a new version starts the review again."))
    elif version.decisions.filter(gate=gate).exists():
        errors.add(NON_FIELD, _("This gate is already decided on this version; a new version starts it again."))
    errors.raise_if_any()


def sign_off(draft, *, acknowledge_flags=False, seen=None, actor, now) -> DraftVersion:
    """签发 the current version (``seen``: the number the leader read, when known): a leader of the lead
    department or of the government office who did not write it (unless the policy lets authors review)."""
    with transaction.atomic():
        draft = lock_draft(draft)
        if not may_sign_off(Caller.of(actor), draft.incident):
            raise PermissionDenied(_("Only a leader of the lead department or of the government office signs off."))
        if not draft.authors_may_review and is_author(actor, draft):
            raise PermissionDenied(_("The author of a draft does not sign it off."))
        version = current_version(draft)
        check_seen(version, seen)
        waiting = unapproved(draft, version)
        errors = Errors()
        if draft.incident.state == Incident.State.CLOSED:
            errors.add(NON_FIELD, _("The incident is closed."))
        elif version.signed_off_at is not None:
            errors.add(NON_FIELD, _("This version is already signed off."))
        elif waiting:
            check_may_skip(errors, draft, version, waiting)
        if version.flags and acknowledge_flags is not True:
            errors.add("acknowledge_flags", _("Acknowledge the flagged phrases to sign off."))
        errors.raise_if_any()
        version.signed_off_by, version.signed_off_at = actor, now
        version.flags_acknowledged = bool(version.flags)
        version.gates_skipped = waiting
        version.save(update_fields=["signed_off_by", "signed_off_at", "flags_acknowledged", "gates_skipped"])
        draft.state = Draft.State.SIGNED_OFF
        draft.first_signed_off_at = draft.first_signed_off_at or now
        draft.skipped_gates = draft.skipped_gates or bool(waiting)
        draft.save(update_fields=["state", "first_signed_off_at", "skipped_gates"])
        record_event(
            draft.incident,
            TimelineEvent.Kind.SIGNED_OFF,
            now,
            actor,
            draft=draft.pk,
            version=version.number,
            gates_skipped=waiting,
            flags_acknowledged=[flag["phrase"] for flag in version.flags],
            since_first_draft_seconds=round((now - draft.created_at).total_seconds()),
            **({"template_kept": template_kept(draft.template, version.text)} if waiting else {}),
        )
    return version
