"""The deadline a draft races: the incident's nearest open public-response obligation, in words such as
"距首次权威发布时限还剩 1小时12分" (docs/rules.md, "Statements").

Whatever its kind, a draft goes out as a statement (``publishing.publish``), so it races what a statement
meets (``SATISFIED_BY``): the first authoritative statement, the response and the follow-up; never the press
conference, which only a press conference or a briefing meets. The clock is the incident page's (``clock_of``),
reworded with the obligation's name; the browser keeps counting it with the same words (``patterns``,
``tracker.js``).
"""

from dataclasses import dataclass, replace

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from incidents.models import SATISFIED_BY, ActionKind, Obligation
from incidents.web.clocks import Clock, clock_of
from opinion_tracker.lib.durations import countdown_patterns, duration_text

# The obligations a published draft meets: those a statement satisfies.
RACED_KINDS = tuple(kind for kind, actions in SATISFIED_BY.items() if ActionKind.STATEMENT in actions)


@dataclass(frozen=True)
class Racing:
    obligation: Obligation
    clock: Clock
    patterns: dict[str, str]  # "left" and "overdue" with the obligation named, for the browser


def raced_obligation(obligations) -> Obligation | None:
    """Of ``obligations`` (the incident's), the nearest open one a published draft meets."""
    candidates = [o for o in obligations if o.is_open and o.instruction_id is None and o.kind in RACED_KINDS]
    return min(candidates, key=lambda o: (o.due_at, o.pk), default=None)


def open_public_obligations(incident) -> list[Obligation]:
    """The incident's open obligations a published draft could meet (one query)."""
    return list(open_raced(incident.obligations.all()))


def open_raced(obligations):
    """Of ``obligations`` (a queryset), the open ones a published draft could meet."""
    return obligations.filter(Obligation.of_policy(), state__in=Obligation.OPEN_STATES, kind__in=RACED_KINDS)


def racing_patterns(obligation: Obligation) -> dict[str, str]:
    """The running clock's two texts with the obligation named; ``%(duration)s`` is left for the browser."""
    kind = obligation.get_kind_display()
    return {
        "left": _("%(kind)s: %(duration)s left") % {"kind": kind, "duration": "%(duration)s"},
        "overdue": _("%(kind)s: overdue by %(duration)s") % {"kind": kind, "duration": "%(duration)s"},
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


def racing_for(incident, now) -> Racing | None:
    """What a draft on ``incident`` races."""
    return racing(raced_obligation(open_public_obligations(incident)), now)


def racing_due(incident_field: str = "incident"):
    """The due time of the obligation a draft races, as a query expression, so a list is ordered by it in the
    database (null when nothing is raced). ``incident_field`` is the path to the draft's incident: ``incident`` on
    drafts, ``draft__incident`` on versions."""
    due = open_raced(Obligation.objects.filter(incident=OuterRef(incident_field)))
    return Subquery(due.order_by("due_at").values("due_at")[:1])
