"""Filters for the compliance page: durations as people read them, and obligation kinds by name."""

from django import template

from incidents.models import ObligationKind
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from ..breaches import late_by_seconds
from ..told import Told, told_lines

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
def told(obligation) -> list[Told]:
    """Who was told about a breach: one line per step and person, with the channels that delivered and,
    apart, those that did not and why."""
    return told_lines(obligation.notifications.all())  # prefetched, oldest first
