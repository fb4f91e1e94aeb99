"""The statements' sections of 待办 (``opinion_tracker.lib.contributions``): what waits for each person, the
deadline it races nearest first, every row linking to its drafting page.

Reviewers: the gates of current versions they may review that are still pending (not of their own drafts,
unless the draft lets authors review). Leaders who may sign off: current versions whose every gate is approved
(or holding statements from a template, which may go on one sign-off) and not yet signed off. Duty officers:
their departments' drafts returned at a gate, and those signed off and not yet published. Each section is one
query and two prefetches, whatever its length; the rows the query finds are a superset the statements' own
deciders then narrow, as the incidents' sections do.
"""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from incidents.access import Caller
from incidents.models import Incident, Obligation, Role
from opinion_tracker.lib.contributions import Section, ToDoSection, bounded

from ..deciders import may_review
from ..models import Draft, DraftVersion, GateDecision
from ..policy import BLANK
from ..racing import Racing, open_raced, raced_obligation, racing, racing_due
from ..review import GateState, gate_states, unapproved
from .drafts import signable


@dataclass(frozen=True)
class DraftRow:
    version: DraftVersion
    racing: Racing | None
    gates: list[GateState]  # the gates waiting (for a reviewer, or skipped at sign-off), or returned (drafters)

    @property
    def draft(self) -> Draft:
        return self.version.draft


def current_versions():
    """Every draft's latest version, on open incidents, with what the rows show: the incident and its lead
    (the deciders read its leaders), the gate decisions, and the deadlines a statement could meet."""
    later = DraftVersion.objects.filter(draft=OuterRef("draft"), number__gt=OuterRef("number"))
    open_public = open_raced(Obligation.objects.all())
    return (
        DraftVersion.objects.filter(~Exists(later), draft__incident__state=Incident.State.OPEN)
        .select_related("draft__incident__department", "draft__template", "created_by", "signed_off_by")
        .prefetch_related(
            "decisions__decided_by",
            Prefetch("draft__incident__obligations", queryset=open_public, to_attr="open_public"),
        )
        .annotate(racing_due=racing_due("draft__incident"))
        .order_by(F("racing_due").asc(nulls_last=True), "created_at", "pk")
    )


def row_of(version, now, gates=()) -> DraftRow:
    incident = version.draft.incident
    return DraftRow(version, racing(raced_obligation(incident.open_public), now), list(gates))


def lead_leader_of(person) -> Q:
    return Q(draft__incident__department__principal_leader=person) | Q(
        draft__incident__department__responsible_leader=person
    )


def not_authored_by(person, versions):
    """``versions`` less those of drafts ``person`` wrote (``is_author``, as a query), unless the draft lets
    authors review: an author neither approves a gate of their own draft nor signs it off."""
    authored = DraftVersion.objects.filter(draft=OuterRef("draft"), created_by=person)
    return versions.exclude((Q(draft__created_by=person) | Exists(authored)) & Q(draft__authors_may_review=False))


def decided(gate) -> Exists:
    """Whether the version (the outer row) has a decision on ``gate``."""
    return Exists(GateDecision.objects.filter(version=OuterRef("pk"), gate=gate))


def returned() -> Exists:
    """Whether the version (the outer row) was returned at some gate."""
    return Exists(GateDecision.objects.filter(version=OuterRef("pk"), decision=GateDecision.Decision.RETURNED))


def gates_to_review(caller: Caller, now) -> Section | None:
    """Reviewers: the pending gates of current versions they may review (``may_review``). The database keeps
    the versions with one of their gates still pending (any gate, for a lead leader who reviews) and none
    returned (a returned version waits for its revision), before the rows are cut at ``LIMIT``."""
    if Role.REVIEWER not in caller.roles:
        return None
    person = caller.person
    pending = Q(pk__in=[])
    for gate in person.review_gates or []:
        pending |= ~decided(gate)
    reach = Q(draft__incident__department__in=caller.own_subtree) & pending
    if Role.LEADER in caller.roles:
        leads = lead_leader_of(person) | Q(draft__incident__department=person.department_id)
        reach |= leads & Q(draft__gates_passed=False)
    versions = current_versions().filter(reach, ~returned(), signed_off_at=None, draft__state=Draft.State.IN_REVIEW)
    candidates = bounded(not_authored_by(person, versions))
    rows = []
    for version in candidates.rows:
        draft = version.draft
        waiting = [
            state
            for state in gate_states(draft, version)
            if state.decision is None and may_review(caller, draft.incident, state.gate)
        ]
        if waiting:
            rows.append(row_of(version, now, waiting))
    return Section(rows, candidates.more)


def to_sign_off(caller: Caller, now) -> Section | None:
    """Leaders who may sign off (``may_sign_off``, as a query: the lead's two leaders, the government office's
    leaders): current versions not yet signed off whose gates are all approved, or that may skip them."""
    if Role.LEADER not in caller.roles:
        return None
    reach = lead_leader_of(caller.person)
    if caller.office_of:
        reach |= Q(draft__incident__department__in=caller.subtree(*caller.office_of))
    # Ready in the database before the rows are cut: every gate approved, or a template's holding statement with
    # no blank left (``BLANK``, a regular expression PostgreSQL and Django's SQLite both run) and none returned.
    holding = Q(draft__kind=Draft.Kind.HOLDING, draft__template__isnull=False) & ~Q(text__regex=BLANK.pattern)
    ready = Q(draft__gates_passed=True) | (holding & ~returned())
    versions = current_versions().filter(reach, ready, signed_off_at=None, draft__state=Draft.State.IN_REVIEW)
    candidates = bounded(not_authored_by(caller.person, versions))
    rows = []
    for version in candidates.rows:
        draft = version.draft
        waiting = unapproved(draft, version)
        if signable(draft, version, waiting):
            states = [state for state in gate_states(draft, version) if state.gate in waiting]
            rows.append(row_of(version, now, states))
    return Section(rows, candidates.more)


def drafts_to_follow_up(caller: Caller, now) -> Section | None:
    """Duty officers: drafts their departments may revise (the lead, a co-handler) returned at a gate, and
    those their departments lead that are signed off and not yet published."""
    if Role.DUTY_OFFICER not in caller.roles:
        return None
    ours = caller.own_subtree
    lead = Q(draft__incident__department__in=ours)
    co_handled = Incident.co_departments.through.objects.filter(
        incident_id=OuterRef("draft__incident_id"), department_id__in=ours
    )
    versions = current_versions().filter(
        (returned() & (lead | Exists(co_handled)) & Q(signed_off_at=None))
        | (lead & Q(draft__state=Draft.State.SIGNED_OFF))
    )
    candidates = bounded(versions)
    rows = [
        row_of(version, now, [state for state in gate_states(version.draft, version) if state.state == "returned"])
        for version in candidates.rows
    ]
    return Section(rows, candidates.more)


SECTIONS = [
    ToDoSection(
        "gates",
        _("Statements waiting for your review"),
        _("No statement is waiting for your review."),
        "statements/todo/gates.html",
        gates_to_review,
        order=10,
    ),
    ToDoSection(
        "sign-off",
        _("Statements to sign off"),
        _("No statement is waiting for your sign-off."),
        "statements/todo/sign_off.html",
        to_sign_off,
        order=20,
    ),
    ToDoSection(
        "statements",
        _("Your statements returned or waiting to be published"),
        _("None of your statements is returned or waiting to be published."),
        "statements/todo/statements.html",
        drafts_to_follow_up,
        order=30,
    ),
]
