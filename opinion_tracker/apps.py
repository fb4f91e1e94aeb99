from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WiringConfig(AppConfig):
    """The project wiring as an app: the pages' shell (templates, static files, sign-in) and the commands
    that bring both apps together (``load_demo``, ``runtracker``)."""

    name = "opinion_tracker"
    verbose_name = _("Public opinion response tracker")

    def ready(self):
        from .web.pages import PAGES

        self.pages = PAGES
