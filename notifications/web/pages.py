"""The notifications app's pages in the top bar (``opinion_tracker.lib.pages``)."""

from django.utils.translation import gettext_lazy as _

from incidents.access import HUMAN_ROLES, caller_of
from incidents.models import Role
from opinion_tracker.lib.pages import Page

from ..report import REPORT_READERS
from ..told import awaiting_acknowledgement

MY_ESCALATIONS = Page(
    "web:escalations",
    _("My escalations"),
    roles=HUMAN_ROLES,
    lands=frozenset({Role.LEADER}),
    order=20,
    badge=lambda request: awaiting_acknowledgement(request.user).count(),
)
COMPLIANCE = Page("web:compliance", _("Compliance"), roles=REPORT_READERS, lands=frozenset({Role.AUDITOR}), order=30)
RANKING = Page(
    "web:ranking",
    _("Department rankings"),
    roles=HUMAN_ROLES,
    order=35,
    opens=lambda request: caller_of(request).oversight_scope() is not False,
)
PAGES = [MY_ESCALATIONS, COMPLIANCE, RANKING]
