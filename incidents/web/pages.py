"""The incidents app's pages in the top bar (``opinion_tracker.lib.pages``)."""

from django.utils.translation import gettext_lazy as _

from incidents.models import Role
from opinion_tracker.lib.pages import Page

from ..access import HUMAN_ROLES

DUTY_BOARD = Page("web:dashboard", _("Duty board"), roles=HUMAN_ROLES, lands=frozenset({Role.DUTY_OFFICER}), order=10)
# Between the duty board (10) and 我的督办 (20, the notifications app's); reviewers start on it, where the gates
# waiting for them are (the statements app's section).
TO_DO = Page(
    "web:todo",
    _("To do"),
    roles=frozenset({Role.DUTY_OFFICER, Role.LEADER, Role.REVIEWER, Role.ADMIN}),
    lands=frozenset({Role.REVIEWER}),
    order=15,
)
PAGES = [DUTY_BOARD, TO_DO]
