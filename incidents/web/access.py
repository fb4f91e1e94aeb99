"""Who may open a page: signed in, with one of the page's roles; objects outside a person's scope are 404,
as in the API (``incidents.access``)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from incidents.access import HUMAN_ROLES, caller_of


class PersonPage(LoginRequiredMixin):
    """A page for signed-in people holding one of ``roles``; anyone else signed in gets 403."""

    roles = HUMAN_ROLES

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not caller_of(request).has_any(self.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def caller(self):
        return caller_of(self.request)
