"""Durations in words, as every page, message and report says them ("1小时12分", "5分0秒").

One formatter for all: the pages' clocks, the messages' "剩余…"/"超时…", the ledger and the admin's
timeline. ``countdown_patterns`` are also handed to the browser, which keeps counting with the same words.
"""

from django.utils.translation import gettext as _


def countdown_patterns() -> dict[str, str]:
    """The texts of a running clock, in the page's language, for the server and the browser alike."""
    return {
        "left": _("%(duration)s left"),
        "overdue": _("overdue %(duration)s"),
        "hours": _("%(hours)s h %(minutes)s min"),
        "minutes": _("%(minutes)s min %(seconds)s s"),
    }


def duration_text(seconds: int, patterns: dict[str, str]) -> str:
    """Hours and minutes, or minutes and seconds under an hour (rounded down: never more time than there is)."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return patterns["hours"] % {"hours": seconds // 3600, "minutes": seconds % 3600 // 60}
    return patterns["minutes"] % {"minutes": seconds // 60, "seconds": seconds % 60}
