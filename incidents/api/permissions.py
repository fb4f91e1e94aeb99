"""Role checks for viewsets: each view says which roles may run each of its actions.

A role that may not run an action at all gets 403 before any object is looked up; scope (which
objects) is the querysets' business, so an object outside it is a 404 (see ``access``).

Integration accounts (monitoring systems) may report incidents and nothing else: their token is kept
on another machine, and a leaked one must not read the ledger or act as a person. The intake is the
one view whose ``roles`` name them; every other view refuses them, saying why.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from incidents.access import caller_of
from incidents.models import Role

INTAKE_ONLY = _("An integration account may only report incidents (POST /api/v1/ingest/).")


def is_integration_account(request) -> bool:
    return bool(request.user and request.user.is_authenticated) and Role.INTEGRATION in caller_of(request).roles


def handles(view, method: str) -> bool:
    """Whether ``view`` has a handler for ``method`` (a viewset maps it to an action)."""
    action_map = getattr(view, "action_map", None)
    return method in action_map if action_map is not None else hasattr(view, method)


class RoleAllows(BasePermission):
    """Allows a request when the caller has one of the roles ``view.roles[view.action]`` lists.

    ``view.roles`` maps action names to role sets, with ``"*"`` as the default for the rest.
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if not handles(view, request.method.lower()):
            return True  # no handler runs: DRF answers 405, as for every method a view does not take
        action = getattr(view, "action", None) or request.method.lower()
        allowed = view.roles.get(action, view.roles.get("*", ()))
        if caller_of(request).has_any(allowed):
            return True
        if is_integration_account(request):
            self.message = INTAKE_ONLY  # DRF makes a new instance for each request
        return False


class IntakeOnly(BasePermission):
    """For views that check no roles (signing in, the schema): everyone but integration accounts."""

    message = INTAKE_ONLY

    def has_permission(self, request, view):
        return not is_integration_account(request)


class OverseesDepartments(BasePermission):
    """Administrators, auditors and the people of a government's office (``Caller.oversight_scope``)."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if is_integration_account(request):
            self.message = INTAKE_ONLY
            return False
        return caller_of(request).oversight_scope() is not False
