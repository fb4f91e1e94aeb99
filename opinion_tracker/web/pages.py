"""The wiring's own entry in the top bar: Django's admin, for administrators."""

from django.utils.translation import gettext_lazy as _

from incidents.models import Role
from opinion_tracker.lib.pages import Page

ADMINISTRATION = Page(
    "admin:index", _("Administration"), roles=frozenset({Role.ADMIN}), lands=frozenset({Role.ADMIN}), order=90
)
PAGES = [ADMINISTRATION]
