"""How a bulletin prints a moment (Beijing time, to the minute), a value the record does not have, and text
typed anywhere (titles from intake, summaries) into a document."""

import unicodedata

from opinion_tracker.lib.beijing import BEIJING

TIME = "%Y-%m-%d %H:%M"
NOTHING = "—"
KEPT_CONTROLS = frozenset("\n\t")


def at(moment) -> str:
    return moment.astimezone(BEIJING).strftime(TIME) if moment else ""


def without_controls(text: str) -> str:
    """``text`` with control characters other than line breaks and tabs as spaces: XML (both documents are
    XML inside) cannot hold them, and a title pasted from a web page sometimes carries one."""
    return (
        "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") and ch not in KEPT_CONTROLS else ch for ch in text)
        .replace("\ufffe", " ")
        .replace("\uffff", " ")
    )
