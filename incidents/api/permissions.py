"""Role checks for viewsets: each view says which roles may run each of its actions.

A role that may not run an action at all gets 403 before any object is looked up; scope (which
objects) is the querysets' business, so an object outside it is a 404 (see ``access``).
"""

from rest_framework.permissions import BasePermission

from incidents.access import caller_of


class RoleAllows(BasePermission):
    """Allows a request when the caller has one of the roles ``view.roles[view.action]`` lists.

    ``view.roles`` maps action names to role sets, with ``"*"`` as the default for the rest.
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None) or request.method.lower()
        allowed = view.roles.get(action, view.roles.get("*", ()))
        return caller_of(request).has_any(allowed)
