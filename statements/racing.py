"""The deadline a draft races: the incident's nearest open public-response obligation, in words such as
"距首次权威发布时限还剩 1小时12分" (docs/rules.md, "Statements").

A statement meets the first authoritative statement, the response and the follow-up; a press release
also the press conference. The clock is the incident page's (``clock_of``), reworded with the
obligation's name; the browser keeps counting it with the same words (``patterns``, ``tracker.js``).
"""

from dataclasses import dataclass, replace

from django.db.models import Case, OuterRef, Subquery, When
from django.utils.translation import gettext as _

from incidents.models import Obligation, ObligationKind
from incidents.web.clocks import Clock, clock_of
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from .models import Draft

STATEMENT_KINDS = (ObligationKind.FIRST_STATEMENT, ObligationKind.RESPONSE, ObligationKind.FOLLOW_UP)
PRESS_RELEASE_KINDS = (*STATEMENT_KINDS, ObligationKind.PRESS_CONFERENCE)


def raced_kinds(draft_kind: str) -> tuple[str, ...]:
    """The obligations a draft of ``draft_kind`` meets once published."""
    return PRESS_RELEASE_KINDS if draft_kind == Draft.Kind.PRESS_RELEASE else STATEMENT_KINDS


@dataclass(frozen=True)
class Racing:
    obligation: Obligation
    clock: Clock
    patterns: dict[str, str]  # "left" and "overdue" with the obligation named, for the browser


def raced_obligation(obligations, draft_kinds) -> Obligation | None:
    """Of ``obligations`` (the incident's), the nearest open one that a draft of any of ``draft_kinds`` meets."""
    kinds = {kind for draft_kind in draft_kinds for kind in raced_kinds(draft_kind)}
    candidates = [o for o in obligations if o.is_open and o.instruction_id is None and o.kind in kinds]
    return min(candidates, key=lambda o: (o.due_at, o.pk), default=None)


def open_public_obligations(incident) -> list[Obligation]:
    """The incident's open obligations a statement or press release could meet (one query)."""
    return list(
        incident.obligations.filter(state__in=Obligation.OPEN_STATES, instruction=None, kind__in=PRESS_RELEASE_KINDS)
    )


def racing_patterns(obligation: Obligation) -> dict[str, str]:
    """The running clock's two texts with the obligation named; ``%(duration)s`` is left for the browser."""
    kind = obligation.get_kind_display()
    return {
        "left": _("%(duration)s left before the %(kind)s deadline") % {"kind": kind, "duration": "%(duration)s"},
        "overdue": _("%(kind)s overdue by %(duration)s") % {"kind": kind, "duration": "%(duration)s"},
    }


def racing(obligation: Obligation | None, now) -> Racing | None:
    """The clock of the raced obligation as of ``now``, in the racing words; None when nothing is raced."""
    if obligation is None:
        return None
    clock = clock_of(obligation, now)
    patterns = racing_patterns(obligation)
    left = (obligation.due_at - now).total_seconds()
    duration = duration_text(abs(left), countdown_patterns())
    text = (patterns["left"] if left > 0 else patterns["overdue"]) % {"duration": duration}
    return Racing(obligation, replace(clock, text=text), patterns)


def racing_for(incident, draft_kinds, now, obligations=None) -> Racing | None:
    """What drafts of ``draft_kinds`` on ``incident`` race (``obligations``: the incident's, when already read)."""
    if obligations is None:
        obligations = open_public_obligations(incident)
    return racing(raced_obligation(obligations, draft_kinds), now)


def racing_due(incident_field: str = "incident"):
    """The due time of the obligation a draft races, as a query expression, so a list is ordered by it in the
    database (null when nothing is raced). ``incident_field`` is the path to the draft's incident: ``incident`` on
    drafts, ``draft__incident`` on versions; the draft's kind is read beside it."""
    kind_field = incident_field.removesuffix("incident") + "kind"

    def nearest(kinds):
        due = Obligation.objects.filter(
            incident=OuterRef(incident_field), state__in=Obligation.OPEN_STATES, instruction=None, kind__in=kinds
        )
        return Subquery(due.order_by("due_at").values("due_at")[:1])

    return Case(*(When(**{kind_field: kind}, then=nearest(raced_kinds(kind))) for kind in Draft.Kind.values))
