"""Names people read for the escalation steps of the national ladder; a step an administrator added
under another code is shown by its code."""

from django.utils.translation import gettext_lazy as _

STEP_NAMES = {
    "warning": _("Early warning"),
    "due_soon": _("Due soon"),
    "overdue_l1": _("Overdue: first level"),
    "overdue_l2": _("Overdue: second level"),
    "overdue_l3": _("Overdue: third level"),
}


def step_name(code: str) -> str:
    if code.startswith("repeat"):
        return str(_("Repeated reminder"))
    return str(STEP_NAMES.get(code, code))
