"""``GET /api/v1/readiness/`` (docs/api.md, "Reach"): the gaps in who the ladders in force would reach now.

Administrators and auditors read every department's gaps; the people of a government's office those of the
departments under their government, with the gaps of no department (a gateway not configured).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.access import caller_of
from incidents.api.permissions import OverseesDepartments

from ..readiness import Kind, readiness


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
    permission_classes = [OverseesDepartments]

    @extend_schema(responses={200: ReadinessSerializer}, summary="Who the ladders in force cannot reach, and why")
    def get(self, request):
        scope = caller_of(request).oversight_scope()
        return Response(readiness().within(scope).as_dict())
