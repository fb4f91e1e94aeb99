"""The readiness page: the gaps in who the ladders in force would reach now, and for each department that handles
incidents, who each step reaches and on which channels (``notifications.readiness``). Read by those who read the
API's answer: administrators, auditors and the government office's people (theirs only)."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.views.generic import TemplateView

from incidents.access import caller_of
from incidents.web.access import PersonPage

from ..readiness import COUNT_CACHE_KEY, COUNT_CACHE_SECONDS, readiness


class ReadinessView(PersonPage, TemplateView):
    template_name = "tracker/readiness.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and caller_of(request).oversight_scope() is False:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        now = timezone.now()
        scope = self.caller.oversight_scope()
        found = readiness(now)
        if scope is None:
            cache.set(COUNT_CACHE_KEY, len(found.gaps), COUNT_CACHE_SECONDS)  # the banner follows the page
        found = found.within(scope)
        departments = [(found.departments[pk], steps) for pk, steps in found.reach.items()]
        departments.sort(key=lambda item: item[0].code)
        return {
            **super().get_context_data(**kwargs),
            "now": now,
            "readiness": found,
            "gaps": [(gap, found.departments.get(gap.department)) for gap in found.gaps],
            "departments": departments,
        }
