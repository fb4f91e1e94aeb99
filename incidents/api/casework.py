"""Casework in the API (docs/api.md, "Casework"): transfers, returns, requests and their decisions.

The services decide who may do what (``incidents.casework.deciders``) and answer PermissionDenied, which
DRF turns into a 403; what a caller may not even read is a 404 before any of that, as everywhere.
"""

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action

from incidents.access import HUMAN_ROLES, caller_of
from incidents.casework.deciders import decidable_among
from incidents.casework.requests import approve, ensure_may_decide, refuse
from incidents.models import CaseRequest, Department, Instruction, Severity
from opinion_tracker.lib.api.views import ServiceShellMixin

from .filters import RequestFilter
from .permissions import RoleAllows
from .serializers import (
    OBLIGATIONS_AS_SHOWN,
    MomentField,
    ObligationSerializer,
    TakesOnlyItsFields,
    WorkedOnDepartmentField,
)


def severity_or_blank(help_text: str) -> serializers.ChoiceField:
    """A severity that may be empty, so the schema lists "" among its values."""
    return serializers.ChoiceField(choices=Severity.choices, allow_blank=True, read_only=True, help_text=help_text)


class CaseRequestSerializer(serializers.ModelSerializer):
    severity = severity_or_blank("A downgrade: the severity asked for; empty for the other kinds.")

    class Meta:
        model = CaseRequest
        fields = [
            "id",
            "kind",
            "state",
            "incident",
            "obligation",
            "severity",
            "due_at",
            "department",
            "requested_by",
            "requested_at",
            "reason",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class AsksMixin:
    """For viewsets whose objects requests are asked about (incidents, obligations)."""

    def ask_with(self, service, input_serializer):
        """Hand the valid input to ``service`` for the object in the URL; answer 201 with the request made."""
        data = self.valid(input_serializer, self.request)
        asked = service(self.get_object(), **data, actor=self.request.user, now=timezone.now())
        return self.respond(CaseRequestSerializer, asked, status.HTTP_201_CREATED)


class InstructionSerializer(serializers.ModelSerializer):
    obligations = serializers.SerializerMethodField()

    class Meta:
        model = Instruction
        fields = ["id", "incident", "text", "departments", "due_at", "given_by", "given_at", "obligations"]
        read_only_fields = fields

    @extend_schema_field(ObligationSerializer(many=True))
    def get_obligations(self, instruction) -> list:
        owed = OBLIGATIONS_AS_SHOWN.filter(instruction=instruction).select_related("incident").order_by("pk")
        return ObligationSerializer(owed, many=True, context=self.context).data


class RequestInput(TakesOnlyItsFields, serializers.Serializer):
    """A request's reason (a return, a waiver): it creates a request, so anything else is refused by name."""

    reason = serializers.CharField()


class InstructionInput(TakesOnlyItsFields, serializers.Serializer):
    text = serializers.CharField()
    departments = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), many=True)
    due_at = MomentField(required=False, allow_null=True, default=None, help_text="Default: 24 hours from now.")


class TransferInput(TakesOnlyItsFields, serializers.Serializer):
    department = WorkedOnDepartmentField()
    reason = serializers.CharField()


class ExtensionInput(TakesOnlyItsFields, serializers.Serializer):
    due_at = MomentField()
    reason = serializers.CharField()


class DecisionInput(TakesOnlyItsFields, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    department = WorkedOnDepartmentField(
        required=False, default=None, help_text="Approving a return: the department that leads from now on."
    )


class RequestViewSet(ServiceShellMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests about incidents the caller may read; those the caller may decide come first."""

    queryset = CaseRequest.objects.select_related("incident__department")
    serializer_class = CaseRequestSerializer
    permission_classes = [RoleAllows]
    roles = {"*": HUMAN_ROLES}
    filterset_class = RequestFilter
    ordering_fields = ["requested_at", "id"]

    def get_queryset(self):
        caller = caller_of(self.request)
        readable = super().get_queryset().filter(caller.incident_filter("incident"))
        if self.action != "list":
            return readable
        decidable = [r.pk for r in decidable_among(caller, readable.filter(state=CaseRequest.State.PENDING))]
        first = Case(When(pk__in=decidable, then=Value(0)), default=Value(1), output_field=IntegerField())
        return readable.annotate(decidable_first=first).order_by("decidable_first", "-requested_at", "-id")

    @extend_schema(request=DecisionInput, responses={200: CaseRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.decide_with(approve)

    @extend_schema(request=DecisionInput, responses={200: CaseRequestSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self.decide_with(refuse)

    def decide_with(self, verdict):
        """A 403 for whoever may not decide, before the body is read; then the decision."""
        asked = self.get_object()
        ensure_may_decide(caller_of(self.request), asked)
        data = self.valid(DecisionInput, self.request)
        if verdict is refuse:
            data.pop("department")  # only an approved return takes one
        decided = verdict(asked, **data, actor=self.request.user, now=timezone.now())
        return self.respond(CaseRequestSerializer, decided)
