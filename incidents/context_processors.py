"""The signed-in person's roles for every page's navigation, as the API and the pages judge them
(``incidents.access``: a superuser counts as an administrator), worked out once per request."""

from incidents.access import caller_of


def caller_roles(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"caller_roles": caller_of(request).roles}
