"""The timeline as administrators read it: Beijing times, and each event's detail as short "label: value"
lines instead of the JSON it is stored as.

Unlike the web pages' one-line wording (``timeline_text``), every stored key but row ids is shown, under
its own label where it has one; steps and channels read as the notifications app names them, through
the words it registered there.
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opinion_tracker.lib.beijing import BEIJING
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from .models import AccountabilityFinding, ActionKind, Incident, Obligation, ObligationKind, Severity
from .timeline_text import VALUE_WORDS

LABELS = {
    "severity": gettext_lazy("severity"),
    "before": gettext_lazy("changed from"),
    "after": gettext_lazy("changed to"),
    "reason": gettext_lazy("reason"),
    "obligation_kind": gettext_lazy("obligation"),
    "due_at": gettext_lazy("due at"),
    "clock_started_at": gettext_lazy("clock started at"),
    "logging_delay_seconds": gettext_lazy("logged after discovery"),
    "provisional": gettext_lazy("provisional"),
    "action_kind": gettext_lazy("action"),
    "published_at": gettext_lazy("published at"),
    "on_time": gettext_lazy("on time"),
    "late_by_seconds": gettext_lazy("late by"),
    "step": gettext_lazy("step"),
    "step_at": gettext_lazy("step due at"),
    "held_until": gettext_lazy("held until working hours, at"),
    "channel": gettext_lazy("notification channel"),
    "recipients": gettext_lazy("recipients"),
    "merged": gettext_lazy("told within a higher step's message"),
    "finding_kind": gettext_lazy("accountability finding"),
    "decided_on": gettext_lazy("decided on"),
}
# Row ids of the action, notification or finding: the page lists those themselves.
HIDDEN = {"action", "notification", "finding"}
NOTHING = (None, "", [])  # a key with nothing to say, e.g. a step not held for working hours
SECONDS = {"logging_delay_seconds", "late_by_seconds"}


def choice_labels(*choices) -> dict:
    return {code: label for choice in choices for code, label in choice.choices}


# The codes an event stores, by key; ``before``/``after`` hold a severity (regraded) or a state (waived).
CODES = {
    "severity": choice_labels(Severity),
    "before": choice_labels(Severity, Obligation.State),
    "after": choice_labels(Severity),
    "obligation_kind": choice_labels(ObligationKind),
    "action_kind": choice_labels(ActionKind),
    "finding_kind": choice_labels(AccountabilityFinding.Kind),
}


def field_name(name) -> str:
    try:
        return str(Incident._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def beijing_text(moment) -> str:
    return formats.date_format(timezone.localtime(moment, BEIJING), "Y-m-d H:i")


def value_text(key, value) -> str:
    """One stored value in words: a name for a code, Beijing time for a time, names for recipients."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in VALUE_WORDS:
        return VALUE_WORDS[key](value)
    if key in SECONDS:
        return duration_text(value, countdown_patterns())
    if isinstance(value, list):
        return "、".join(str(item["name"]) if isinstance(item, dict) else value_text(key, item) for item in value)
    if isinstance(value, dict):  # an edit's fields before or after
        return "；".join(f"{field_name(name)}“{value_text(name, item)}”" for name, item in value.items())
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and timezone.is_aware(moment):
        return beijing_text(moment)
    return str(CODES.get(key, {}).get(value, value))


def detail_lines(detail: dict) -> list[str]:
    """A timeline event's detail as short lines, e.g. "截止时间：2026-12-01 18:00", in the page's language."""
    return [
        _("%(label)s: %(value)s") % {"label": LABELS.get(key, key), "value": value_text(key, value)}
        for key, value in detail.items()
        if key not in HIDDEN and value not in NOTHING
    ]
