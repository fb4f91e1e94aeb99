"""The pages of the top bar, each declared once by the app that owns it.

A ``Page`` says who may open it (its view checks the same ``roles``), and so who sees it in the top bar,
and who starts on it after signing in. Each app lists its pages on its ``AppConfig`` (``pages``, set in
``ready``); the wiring's shell reads them all, so no app names another app's pages.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.http import HttpRequest


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str
    roles: frozenset[str]  # who may open it, and sees it in the top bar
    lands: frozenset[str] = frozenset()  # who starts here after signing in
    order: int = 50  # its place in the top bar; of several start pages, the first wins
    badge: Callable[[HttpRequest], int] | None = None  # a count shown beside the label (e.g. unread entries)
    # Who of ``roles`` may open it, where that depends on more than a role (the people of a government's office).
    opens: Callable[[HttpRequest], bool] | None = None

    def shown_to(self, request: HttpRequest, roles) -> bool:
        return bool(self.roles & roles) and (self.opens is None or self.opens(request))


def declared_pages() -> list[Page]:
    """Every installed app's pages, in the top bar's order."""
    declared = (page for config in apps.get_app_configs() for page in getattr(config, "pages", ()))
    return sorted(declared, key=lambda page: page.order)
