"""The top bar of every page: the pages the signed-in person may open (by their roles, as the API and the
pages judge them, ``incidents.access``: a superuser counts as an administrator), each with its count."""

from incidents.access import caller_of
from opinion_tracker.lib.pages import declared_pages


def top_bar(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    roles = caller_of(request).roles
    pages = [page for page in declared_pages() if page.shown_to(request, roles)]
    return {"top_bar": [(page, page.badge(request) if page.badge else 0) for page in pages]}
