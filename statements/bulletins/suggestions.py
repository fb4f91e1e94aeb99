"""处置建议: what the record says should be done next, the most pressing first: what is overdue, then a
first statement or a press conference still owed, then the other deadlines running, then a response line
that nobody has signed off yet."""

from django.utils.translation import gettext as _

from incidents.models import ObligationKind
from incidents.web.clocks import clock_of

from .printing import at


def suggestions(owed, now, *, has_response_line: bool) -> tuple[str, ...]:
    """``owed``: the open obligations this report does not meet, by deadline."""
    overdue = [o for o in owed if o.due_at <= now]
    running = [o for o in owed if o.due_at > now]
    said = [overdue_words(o, now) for o in overdue]
    said += [running_words(o, now) for o in sorted(running, key=priority)]
    if not has_response_line:
        said.append(_("No response line is signed off yet: draft one and have it reviewed and signed off."))
    return tuple(said) or (_("Every deadline is met: keep following the public's reaction."),)


def priority(obligation) -> tuple[int, object]:
    first = (ObligationKind.FIRST_STATEMENT, ObligationKind.PRESS_CONFERENCE)
    return (first.index(obligation.kind) if obligation.kind in first else len(first), obligation.due_at)


def overdue_words(obligation, now) -> str:
    return _("%(obligation)s is %(standing)s: see that it is done at once and recorded.") % {
        "obligation": obligation.get_kind_display(),
        "standing": clock_of(obligation, now).text,
    }


def running_words(obligation, now) -> str:
    facts = {
        "obligation": obligation.get_kind_display(),
        "due": at(obligation.due_at),
        "standing": clock_of(obligation, now).text,
    }
    if obligation.kind == ObligationKind.FIRST_STATEMENT:
        return (
            _(
                "The first authoritative statement is still owed (due at %(due)s, %(standing)s): have the draft "
                "reviewed and signed off in time."
            )
            % facts
        )
    if obligation.kind == ObligationKind.PRESS_CONFERENCE:
        return (
            _("A press conference is still owed (due at %(due)s, %(standing)s): prepare the speakers and the line.")
            % facts
        )
    return _("%(obligation)s is due at %(due)s (%(standing)s): see that it is done in time.") % facts
