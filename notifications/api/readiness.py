"""``GET /api/v1/readiness/`` (docs/api.md, "Reach"): the gaps in who the ladders in force would reach now.

Administrators and auditors read every department's gaps; the people of a government's office those of the
departments under their government, with the gaps of no department (a gateway not configured).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES, SEES_EVERYTHING, caller_of
from incidents.api.permissions import INTAKE_ONLY, is_integration_account

from ..readiness import Kind, readiness


def readiness_scope(caller) -> frozenset[int] | bool | None:
    """The departments whose gaps ``caller`` reads (``None``: all of them), or ``False`` if none."""
    if caller.has_any(SEES_EVERYTHING):
        return None
    if caller.has_any(HUMAN_ROLES) and caller.office_of:
        return caller.department_ids
    return False


class ReadsReadiness(BasePermission):
    """Administrators, auditors and the government office's people."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if is_integration_account(request):
            self.message = INTAKE_ONLY
            return False
        return readiness_scope(caller_of(request)) is not False


class ReadinessGapSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(Kind.ORDER))
    department = serializers.IntegerField(allow_null=True)
    step = serializers.IntegerField(allow_null=True, help_text="The escalation step's id: the first it concerns.")
    person = serializers.IntegerField(allow_null=True)
    channel = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    gaps = ReadinessGapSerializer(many=True)


class ReadinessView(APIView):
    permission_classes = [ReadsReadiness]

    @extend_schema(responses={200: ReadinessSerializer}, summary="Who the ladders in force cannot reach, and why")
    def get(self, request):
        scope = readiness_scope(caller_of(request))
        return Response(readiness().within(scope).as_dict())
