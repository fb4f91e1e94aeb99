"""How the timeline words drafts, gates and sign-offs (see ``incidents.timeline_text``): which version, which
gate, and how long it waited."""

from django.utils.translation import gettext as _

from incidents.models import ReviewGate, TimelineEvent
from incidents.timeline_text import describes, label_of
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from .models import Draft


def version_words(detail: dict) -> str:
    text = _("version %(number)s") % {"number": detail.get("version", "")}
    if detail.get("flags"):
        text += " · " + _("flagged: %(phrases)s") % {"phrases": "、".join(detail["flags"])}
    return text


@describes(TimelineEvent.Kind.DRAFT_CREATED)
def draft_created(detail: dict) -> str:
    return label_of(Draft.Kind, detail.get("draft_kind")) + " · " + version_words(detail)


describes(TimelineEvent.Kind.DRAFT_VERSION)(version_words)


def waited(detail: dict, key: str) -> str:
    seconds = detail.get(key)
    return duration_text(seconds, countdown_patterns()) if isinstance(seconds, int) else ""


@describes(TimelineEvent.Kind.GATE_APPROVED)
def gate_approved(detail: dict) -> str:
    return _("%(gate)s, version %(number)s, after %(waited)s in review") % {
        "gate": label_of(ReviewGate, detail.get("gate")),
        "number": detail.get("version", ""),
        "waited": waited(detail, "waited_seconds"),
    }


@describes(TimelineEvent.Kind.GATE_RETURNED)
def gate_returned(detail: dict) -> str:
    return gate_approved(detail) + " · " + (detail.get("comment") or "")


@describes(TimelineEvent.Kind.SIGNED_OFF)
def signed_off(detail: dict) -> str:
    text = _("version %(number)s, %(waited)s after the first draft") % {
        "number": detail.get("version", ""),
        "waited": waited(detail, "since_first_draft_seconds"),
    }
    if detail.get("gates_skipped"):
        skipped = "、".join(label_of(ReviewGate, gate) for gate in detail["gates_skipped"])
        text += " · " + _("holding statement, gates skipped: %(gates)s") % {"gates": skipped}
        if isinstance(detail.get("template_kept"), int):
            # The space is the English one; the Chinese brackets need none.
            text += _(" (%(share)s%% of the template's wording kept)") % {"share": detail["template_kept"]}
    if detail.get("flags_acknowledged"):
        text += " · " + _("flags acknowledged: %(phrases)s") % {"phrases": "、".join(detail["flags_acknowledged"])}
    return text


@describes(TimelineEvent.Kind.BULLETIN_SENT)
def bulletin_sent(detail: dict) -> str:
    return _("%(title)s No. %(number)s to %(names)s") % {
        "title": detail.get("title", ""),
        "number": detail.get("number", ""),
        "names": "、".join(detail.get("recipients", [])),
    }
