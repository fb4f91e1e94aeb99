"""Intake from monitoring systems (docs/api.md, "Intake from monitoring systems")."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.views import APIView

from incidents.casework.merging import merged_end
from incidents.models import Role
from incidents.services.intake import ingest_incident
from opinion_tracker.lib.api.views import ServiceShellMixin

from . import serializers as s
from .incidents import IncidentViewSet
from .permissions import RoleAllows


class IngestView(ServiceShellMixin, APIView):
    """An incident reported by a monitoring system: 201 the first time, 200 with it ever after (with the
    incident it was merged into, once a duplicate: the report lives on there)."""

    permission_classes = [RoleAllows]
    roles = {"post": {Role.INTEGRATION, Role.ADMIN}}

    @extend_schema(
        request=s.IngestInput,
        responses={201: s.IncidentSerializer, 200: s.IncidentSerializer},
        description="The same external_id from the same account never makes a second incident; a merged "
        "duplicate's answers with the incident it was merged into.",
    )
    def post(self, request):
        data = self.valid(s.IngestInput, request)
        incident, created = ingest_incident(account=request.user, now=timezone.now(), **data)
        incident = merged_end(incident)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return self.respond(s.IncidentSerializer, IncidentViewSet.queryset.get(pk=incident.pk), code)
