"""How the timeline words this app's events and codes: which step, on which channel, whom it told
(see ``incidents.timeline_text``)."""

from django.utils.translation import gettext as _

from incidents.models import TimelineEvent
from incidents.timeline_text import describes, words_for

from .models import ChannelKind
from .steps import step_label

words_for("step")(step_label)


@words_for("channel")
def channel_label(code) -> str:
    try:
        return str(ChannelKind(code).label)
    except ValueError:
        return str(code)


@describes(TimelineEvent.Kind.ESCALATED)
def escalated(detail: dict) -> str:
    names = "、".join(person["name"] for person in detail.get("recipients", []))
    text = f"{step_label(detail.get('step', ''))} → {names}" if names else step_label(detail.get("step", ""))
    merged = "、".join(person["name"] for person in detail.get("merged", []))
    if merged:
        text += " " + _("(in a higher step's message to %(names)s)") % {"names": merged}
    return text


@describes(TimelineEvent.Kind.ACKNOWLEDGED)
def acknowledged(detail: dict) -> str:
    return step_label(detail.get("step", ""))
