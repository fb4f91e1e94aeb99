"""``GET /api/v1/audit/verify/`` (docs/api.md, "Assessment and audit"): the timeline's chains and the daily
seals checked again, with the first event that does not match; ``?incident=`` checks one incident's chain."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import Incident, Role
from incidents.services.audit_verify import verify
from opinion_tracker.lib.validation import LARGEST_ID

from .permissions import RoleAllows


class VerifyQuery(serializers.Serializer):
    incident = serializers.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, help_text="Check only this incident's chain."
    )


class AuditMismatchSerializer(serializers.Serializer):
    event = serializers.IntegerField(allow_null=True, help_text="The event that does not match; null: a seal.")
    incident = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class AuditVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    events_checked = serializers.IntegerField()
    seals_checked = serializers.IntegerField()
    first_mismatch = AuditMismatchSerializer(allow_null=True)


class AuditVerifyView(APIView):
    """Auditors and administrators: read every chain again, in full (a long request on a large timeline;
    ``manage.py verify_audit`` gives the same answer)."""

    permission_classes = [RoleAllows]
    roles = {"get": {Role.AUDITOR, Role.ADMIN}}

    @extend_schema(
        parameters=[VerifyQuery],
        responses={200: AuditVerificationSerializer},
        summary="Verify the timeline's hash chains and the daily seals",
    )
    def get(self, request):
        query = VerifyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        incident = query.validated_data.get("incident")
        if incident is not None and not Incident.objects.filter(pk=incident).exists():
            raise NotFound(_("No such incident."))
        return Response(verify(incident).as_dict())
