"""The incidents app's page in the top bar (``opinion_tracker.lib.pages``)."""

from django.utils.translation import gettext_lazy as _

from incidents.models import Role
from opinion_tracker.lib.pages import Page

from ..access import HUMAN_ROLES

DUTY_BOARD = Page("web:dashboard", _("Duty board"), roles=HUMAN_ROLES, lands=frozenset({Role.DUTY_OFFICER}), order=10)
PAGES = [DUTY_BOARD]
