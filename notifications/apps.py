from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Escalation and notifications")

    def ready(self):
        from . import timeline_text  # noqa: F401 (registers how the timeline words escalations)
        from .web.pages import PAGES

        self.pages = PAGES  # the top bar's entries of this app (opinion_tracker.lib.pages)
