"""Assessments (研判/会商) in the API (docs/api.md, "Casework"): recorded on an incident, listed with it.

The incident in the URL is one the caller may read (else 404, as everywhere); who may record one is the
service's decision (``incidents.casework.assessments``), a 403 otherwise.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView

from incidents.access import HUMAN_ROLES, caller_of, readable_incident
from incidents.casework.assessments import record_assessment
from incidents.models import Assessment, Department, Incident, Person, Severity
from opinion_tracker.lib.api.views import ServiceShellMixin

from .casework import severity_or_blank
from .permissions import RoleAllows
from .serializers import MomentField, TakesOnlyItsFields


class AssessmentSerializer(serializers.ModelSerializer):
    severity = severity_or_blank("The severity it decided; empty when it decided none.")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "incident",
            "held_at",
            "participants",
            "participants_text",
            "conclusion",
            "response_line",
            "severity",
            "co_departments",
            "request",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class AssessmentInput(TakesOnlyItsFields, serializers.Serializer):
    held_at = MomentField()
    participants = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), many=True, required=False, default=list, help_text="Person ids."
    )
    participants_text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Participants who are not people of the tracker."
    )
    conclusion = serializers.CharField()
    response_line = serializers.CharField(required=False, allow_blank=True, default="", help_text="口径.")
    severity = serializers.ChoiceField(
        choices=Severity.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The severity it decided; a lower one is a downgrade request unless the caller may decide one.",
    )
    co_departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        many=True,
        required=False,
        help_text="The co-handling departments it decided: they replace the incident's. Absent: not decided.",
    )


class AssessmentsView(ServiceShellMixin, GenericAPIView):
    """An incident's assessments, oldest first; recording one applies what it decided."""

    permission_classes = [RoleAllows]
    roles = {"get": HUMAN_ROLES, "post": HUMAN_ROLES}  # the service decides who records one
    serializer_class = AssessmentSerializer
    filter_backends: list = []

    def incident(self) -> Incident:
        return readable_incident(caller_of(self.request), self.kwargs["pk"])

    @extend_schema(responses={200: AssessmentSerializer(many=True)})
    def get(self, request, pk):
        assessments = self.incident().assessments.prefetch_related("participants", "co_departments")
        return self.paginated(assessments.order_by("held_at", "pk"), AssessmentSerializer)

    @extend_schema(request=AssessmentInput, responses={201: AssessmentSerializer})
    def post(self, request, pk):
        incident = self.incident()
        data = self.valid(AssessmentInput, request)
        assessment = record_assessment(incident, **data, actor=request.user, now=timezone.now())
        return self.respond(AssessmentSerializer, assessment, status.HTTP_201_CREATED)
