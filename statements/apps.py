from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = _("Statements and reports to leaders")

    def ready(self):
        from . import timeline_text  # noqa: F401 (registers how the timeline words drafts and sign-offs)
        from .web.panels import statements_panel
        from .web.todo import SECTIONS

        # What this app adds to the incidents' pages (opinion_tracker.lib.contributions).
        self.incident_panels = [statements_panel]
        self.todo_sections = SECTIONS
