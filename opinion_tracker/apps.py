from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WiringConfig(AppConfig):
    """The project wiring as an app: the pages' shell (templates, static files, sign-in), the commands
    that bring the apps together (``load_demo``, ``runtracker``) and the audit of the configuration."""

    name = "opinion_tracker"
    verbose_name = _("Public opinion response tracker")

    def ready(self):
        from django.contrib import admin

        from .audit import register_configuration
        from .web.pages import PAGES

        self.pages = PAGES
        register_configuration()  # every change of the configuration is recorded (docs/rules.md)
        # 系统管理's index starts with readiness (``notifications.readiness``): the gaps, or who each step reaches.
        admin.site.index_template = "admin/tracker/index.html"
