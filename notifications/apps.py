from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Escalation and notifications")

    def ready(self):
        # Registered here: how the timeline words escalations, and the rankings' scoring rules in the admin.
        from . import admin_scoring, timeline_text  # noqa: F401
        from .web.pages import PAGES

        self.pages = PAGES  # the top bar's entries of this app (opinion_tracker.lib.pages)
