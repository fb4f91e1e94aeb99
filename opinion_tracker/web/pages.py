"""The wiring's own entries in the top bar: the configuration changes, for auditors and administrators, and
Django's admin, for administrators."""

from django.utils.translation import gettext_lazy as _

from incidents.models import Role
from opinion_tracker.lib.pages import Page

from ..audit_changes import CHANGE_READERS

CONFIGURATION_CHANGES = Page("web:audit_changes", _("Configuration changes"), roles=CHANGE_READERS, order=80)
ADMINISTRATION = Page(
    "admin:index", _("Administration"), roles=frozenset({Role.ADMIN}), lands=frozenset({Role.ADMIN}), order=90
)
PAGES = [CONFIGURATION_CHANGES, ADMINISTRATION]
