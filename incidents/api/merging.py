"""Merging duplicates and opening follow-ons in the API (docs/api.md, "Casework").

The incident in the URL is one the caller may read (else 404); who may merge, or open a follow-on, is the
services' decision (``incidents.casework.merging``), a 403 otherwise.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES, caller_of, readable_incident
from incidents.casework.merging import merge, open_follow_on
from incidents.models import Incident
from opinion_tracker.lib.api.views import ServiceShellMixin

from . import serializers as s
from .incidents import IncidentViewSet
from .permissions import RoleAllows


@extend_schema_field(OpenApiTypes.INT)
class ReadableIncidentField(serializers.PrimaryKeyRelatedField):
    """An incident the caller may read; any other id gets the answer a missing one gets."""

    def get_queryset(self):
        return Incident.objects.filter(caller_of(self.context["request"]).incident_filter())


class MergeInput(s.TakesOnlyItsFields, serializers.Serializer):
    into = ReadableIncidentField(help_text="The incident this one duplicates: open, and not merged itself.")
    reason = serializers.CharField()


class FollowOnInput(s.IncidentInput):
    """What logging takes; the department defaults to the closed incident's."""

    department = s.WritableDepartmentField(required=False, default=None)


class IncidentChangeView(ServiceShellMixin, APIView):
    """A change that answers with an incident, for an incident the caller may read."""

    permission_classes = [RoleAllows]
    roles = {"post": HUMAN_ROLES}  # the services decide who may

    def incident(self) -> Incident:
        return readable_incident(caller_of(self.request), self.kwargs["pk"])

    def answer(self, incident, code=status.HTTP_200_OK):
        """The incident as the incidents endpoints show it."""
        return self.respond(s.IncidentSerializer, IncidentViewSet.queryset.get(pk=incident.pk), code)


class MergeView(IncidentChangeView):
    """Merge this duplicate into another incident: it closes, its open obligations waived as merged."""

    @extend_schema(request=MergeInput, responses={200: s.IncidentSerializer})
    def post(self, request, pk):
        incident = self.incident()
        data = self.valid(MergeInput, request)
        return self.answer(merge(incident, **data, actor=request.user, now=timezone.now()))


class FollowOnView(IncidentChangeView):
    """Open a follow-on of this closed incident, with clocks of its own from its own discovery."""

    @extend_schema(request=FollowOnInput, responses={201: s.IncidentSerializer})
    def post(self, request, pk):
        incident = self.incident()
        data = self.valid(FollowOnInput, request)
        follow_on = open_follow_on(incident, **data, actor=request.user, now=timezone.now())
        return self.answer(follow_on, status.HTTP_201_CREATED)
