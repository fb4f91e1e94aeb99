"""What apps add to another app's pages without that app naming them: panels on the incident page, sections of
待办. As with the top bar (``pages``), each app lists its own on its ``AppConfig`` (``incident_panels``,
``todo_sections``, set in ``ready``) and the page that shows them reads every installed app's, so the
dependency stays one way (``statements`` adds to ``incidents``' pages; ``incidents`` never imports it).

A section of 待办, whoever draws it, is a ``Section``: its rows cut at ``LIMIT``, saying when there were more.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps

LIMIT = 100  # rows per section at most; the page says when there are more


@dataclass(frozen=True)
class Section:
    rows: list
    more: bool = False  # rows were left off past ``LIMIT``


def bounded(rows) -> Section:
    """The first ``LIMIT`` rows (of a queryset or a list), and whether there were more."""
    rows = list(rows[: LIMIT + 1])
    return Section(rows[:LIMIT], len(rows) > LIMIT)


# (request, caller, incident, now) → (template name, its context), or None where the caller gets no panel.
IncidentPanel = Callable[[Any, Any, Any, Any], tuple[str, dict] | None]


@dataclass(frozen=True)
class ToDoSection:
    """A section of 待办 an app contributes: its anchor (``todo-<name>``), heading, the text when empty, the
    template drawing one row (given ``row``), and the rows for a caller (None: the section is not theirs)."""

    name: str
    title: str
    empty: str
    row_template: str
    rows: Callable[[Any, Any], Section | None]  # (caller, now)
    order: int = 50


def incident_panels() -> list[IncidentPanel]:
    """Every installed app's incident-page panels, in the order the apps are installed."""
    return [panel for config in apps.get_app_configs() for panel in getattr(config, "incident_panels", ())]


def todo_sections() -> list[ToDoSection]:
    """Every installed app's 待办 sections, in their order."""
    declared = (section for config in apps.get_app_configs() for section in getattr(config, "todo_sections", ()))
    return sorted(declared, key=lambda section: section.order)
