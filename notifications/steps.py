"""Escalation steps in words, as every message, page and report names them.

A step is recorded under a key: its code on the ladder (``overdue_l2``), ``repeat_N`` for the N-th
repeat of the last level, and ``#R`` after it for a step told again in round R, after its deadline moved
(``notifications.ladder.step_key``). People read "超时二级督办", "第3次重复督办", never the key. A step an
administrator added under a code of their own is named by that code.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

STEP_NAMES = {
    "warning": gettext_lazy("Early warning"),
    "due_soon": gettext_lazy("Due soon"),
    "overdue_l1": gettext_lazy("Overdue: first level"),
    "overdue_l2": gettext_lazy("Overdue: second level"),
    "overdue_l3": gettext_lazy("Overdue: third level"),
}
REPEAT = "repeat_"


def split_key(key: str) -> tuple[str, int]:
    """The step's code and its round (1 unless the deadline moved)."""
    code, _hash, round_ = key.partition("#")
    return code, int(round_) if round_.isdigit() else 1


def repeat_number(code: str) -> int | None:
    number = code.removeprefix(REPEAT)
    return int(number) if code.startswith(REPEAT) and number.isdigit() else None


def step_label(key: str) -> str:
    """The step in words, in the active language."""
    code, round_ = split_key(key)
    repeat = repeat_number(code)
    if repeat is not None:
        label = _("Repeated reminder no. %(number)d") % {"number": repeat}
    else:
        label = str(STEP_NAMES.get(code, code))
    if round_ > 1:
        label = _("%(step)s (round %(round)d, after the deadline moved)") % {"step": label, "round": round_}
    return label
