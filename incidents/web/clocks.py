"""What a person sees of a deadline: time left or overdue, and its colour.

The page is rendered with these texts, and ``tracker.js`` keeps counting in the browser with the same
patterns (``countdown_patterns``), timed from the server's clock so a wrong clock on a phone cannot show
a deadline as further away than it is.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from incidents.models import Obligation
from opinion_tracker.lib.durations import countdown_patterns, duration_text

AMBER_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Clock:
    tone: str  # "green", "amber", "red", "met", "late" or "waived"
    text: str
    running: bool  # the browser keeps counting


def clock_of(obligation: Obligation, now) -> Clock:
    """The clock of one obligation as of ``now``: green, amber in the last hour, red counting up once due."""
    patterns = countdown_patterns()
    state = Obligation.State
    if obligation.state == state.MET:
        return Clock("met", _("met on time"), running=False)
    if obligation.state == state.MET_LATE:
        late = duration_text((obligation.met_at - obligation.due_at).total_seconds(), patterns)
        return Clock("late", _("met %(duration)s late") % {"duration": late}, running=False)
    if obligation.state == state.WAIVED:
        return Clock("waived", _("waived"), running=False)
    left = (obligation.due_at - now).total_seconds()
    if left <= 0:
        return Clock("red", patterns["overdue"] % {"duration": duration_text(-left, patterns)}, running=True)
    tone = "amber" if left <= AMBER_WITHIN.total_seconds() else "green"
    return Clock(tone, patterns["left"] % {"duration": duration_text(left, patterns)}, running=True)
