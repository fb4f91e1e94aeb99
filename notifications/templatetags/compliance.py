"""Filters for the compliance page: durations as people read them, and obligation kinds by name."""

from django import template

from incidents.models import ObligationKind
from incidents.web.clocks import countdown_patterns, duration_text

from ..breaches import late_by_seconds
from ..web.steps import step_name

register = template.Library()


@register.filter
def hours(seconds):
    """Seconds as hours and minutes; anything else (a dash for no figure) as it is."""
    if not isinstance(seconds, int):
        return seconds
    return duration_text(seconds, countdown_patterns())


@register.filter
def obligation_kind(code: str) -> str:
    return ObligationKind(code).label


@register.filter
def late_by(obligation, now) -> str:
    return hours(late_by_seconds(obligation, now))


@register.filter
def told(obligation) -> list[dict]:
    """Who was told about a breach: one line per step and person, first told when, on which channels."""
    lines: dict[tuple, dict] = {}
    for notification in obligation.notifications.all():  # prefetched, oldest first
        line = lines.setdefault(
            (notification.step, notification.recipient_id),
            {
                "step": step_name(notification.step),
                "recipient": notification.recipient,
                "at": notification.created_at,
                "channels": [],
                "acknowledged_at": None,
            },
        )
        line["channels"].append(notification.get_channel_display())
        line["acknowledged_at"] = line["acknowledged_at"] or notification.acknowledged_at
    return list(lines.values())
