from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and deadlines")

    def ready(self):
        from .web.pages import PAGES

        self.pages = PAGES  # the top bar's entries of this app (opinion_tracker.lib.pages)
