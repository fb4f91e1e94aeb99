"""Incidents, their actions and timeline, and obligations (docs/api.md, "Incidents")."""

from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES, INCIDENT_HANDLERS, caller_of
from incidents.casework.co_handling import acting_department, set_co_departments
from incidents.casework.instructions import give_instruction
from incidents.casework.regrading import regrade_or_ask
from incidents.casework.requests import ask_extension, ask_return, ask_waiver
from incidents.casework.transfer import ensure_may_transfer, transfer
from incidents.models import Action, CaseRequest, Department, Incident, Role
from incidents.services.accountability import record_finding
from incidents.services.actions import record_action
from incidents.services.incidents import close, edit_details, log_incident
from incidents.services.obligations import waive
from opinion_tracker.lib.api.parsers import TrackerJSONParser
from opinion_tracker.lib.api.views import FileAnswerMixin, ServiceShellMixin

from . import serializers as s
from .casework import (
    AsksMixin,
    CaseRequestSerializer,
    ExtensionInput,
    InstructionInput,
    InstructionSerializer,
    RequestInput,
    TransferInput,
)
from .filters import IncidentFilter, ObligationFilter
from .permissions import RoleAllows


class IncidentViewSet(
    AsksMixin,
    ServiceShellMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Duty officers log and handle incidents of their subtree; leaders read theirs; auditors read all."""

    queryset = Incident.objects.prefetch_related(
        s.read_ahead("obligations", s.OBLIGATIONS_AS_SHOWN.defer(*s.NOT_SHOWN)),
        s.read_ahead("co_departments", Department.objects.only("pk")),
        s.read_ahead("merged_from", Incident.objects.only("pk", "merged_into")),
        s.read_ahead("follow_ons", Incident.objects.only("pk", "follow_on_of")),
    )
    serializer_class = s.IncidentSerializer
    permission_classes = [RoleAllows]
    roles = {
        "list": HUMAN_ROLES,
        "retrieve": HUMAN_ROLES,
        "timeline": HUMAN_ROLES,
        "actions": HUMAN_ROLES,  # recording one is checked in ``actions`` itself
        # Casework's services decide who may (the office, the leaders who decide downgrades).
        "regrade": HUMAN_ROLES,
        "transfer": HUMAN_ROLES,
        "return_lead": HUMAN_ROLES,
        "instructions": HUMAN_ROLES,
        "partial_update": HUMAN_ROLES,  # details are checked in ``partial_update`` itself
        "*": INCIDENT_HANDLERS,
    }
    filterset_class = IncidentFilter
    ordering_fields = ["discovered_at", "logged_at", "id", "title"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [TrackerJSONParser, MultiPartParser, FormParser]

    @extend_schema(request=s.IncidentInput, responses={201: s.IncidentSerializer})
    def create(self, request):
        data = self.valid(s.IncidentInput, request)
        incident = log_incident(**data, actor=request.user, now=timezone.now())
        return self.incident_response(incident, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentChangeInput, responses={200: s.IncidentSerializer})
    def partial_update(self, request, pk=None):
        """Details, by the lead's handlers; co-handling departments, by them or the government office."""
        changes = self.valid(s.IncidentChangeInput, request)
        co_departments = changes.pop("co_departments", None)
        incident = self.incident_to_change() if changes else self.get_object()
        now = timezone.now()
        with transaction.atomic():
            if changes:
                incident = edit_details(incident, changes=changes, actor=request.user, now=now)
            if co_departments is not None:
                incident = set_co_departments(incident, departments=co_departments, actor=request.user, now=now)
        return self.incident_response(incident)

    @extend_schema(request=s.RegradeInput, responses={200: s.IncidentSerializer, 202: CaseRequestSerializer})
    @action(detail=True, methods=["post"])
    def regrade(self, request, pk=None):
        """Raising applies at once; lowering, by someone who may not decide it, is a request (202)."""
        data = self.valid(s.RegradeInput, request)
        outcome = regrade_or_ask(self.get_object(), **data, actor=request.user, now=timezone.now())
        if isinstance(outcome, CaseRequest):
            return self.respond(CaseRequestSerializer, outcome, status.HTTP_202_ACCEPTED)
        return self.incident_response(outcome)

    @extend_schema(request=TransferInput, responses={200: s.IncidentSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        incident = self.get_object()
        ensure_may_transfer(caller_of(request), incident)  # a 403 before the body is read
        data = self.valid(TransferInput, request)
        return self.incident_response(transfer(incident, **data, actor=request.user, now=timezone.now()))

    @extend_schema(request=RequestInput, responses={201: CaseRequestSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_lead(self, request, pk=None):
        return self.ask_with(ask_return, RequestInput)

    @extend_schema(request=s.ReasonInput, responses={200: s.IncidentSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self.change_with(close, s.ReasonInput)

    @extend_schema(responses={200: s.TimelineEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=[])
    def timeline(self, request, pk=None):
        incident = self.get_object()
        events = incident.timeline.select_related("actor").order_by("at", "pk")
        return self.paginated(events, s.TimelineEventSerializer)

    @extend_schema(methods=["GET"], responses={200: s.ActionSerializer(many=True)})
    @extend_schema(methods=["POST"], request=s.ActionInput, responses={201: s.ActionSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, ordering_fields=[])
    def actions(self, request, pk=None):
        if request.method == "GET":
            actions = self.get_object().actions.select_related("publication").order_by("published_at", "pk")
            return self.paginated(actions, s.ActionSerializer)
        incident = self.get_object()
        data = self.valid(s.ActionInput, request)
        data["department"] = acting_department(
            caller_of(request), incident, data["kind"], data["instruction"], data["department"], data["finding"]
        )
        recorded = record_action(incident, **data, actor=request.user, now=timezone.now())
        return self.respond(s.ActionSerializer, recorded, status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: InstructionSerializer(many=True)})
    @extend_schema(methods=["POST"], request=InstructionInput, responses={201: InstructionSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, ordering_fields=[])
    def instructions(self, request, pk=None):
        incident = self.get_object()
        if request.method == "GET":
            return self.paginated(incident.instructions.order_by("given_at", "pk"), InstructionSerializer)
        data = self.valid(InstructionInput, request)
        given = give_instruction(incident, **data, actor=request.user, now=timezone.now())
        return self.respond(InstructionSerializer, given, status.HTTP_201_CREATED)

    def get_queryset(self):
        """Incidents of the caller's scope, and those they were told about (read only: see ``incident_to_change``)."""
        return self.queryset.filter(caller_of(self.request).incident_filter())

    def incident_to_change(self):
        """The incident in the URL, if this caller may change it: 404 unseen, 403 seen but not theirs."""
        incident = self.get_object()
        if not caller_of(self.request).may_act(INCIDENT_HANDLERS, incident.department_id):
            self.permission_denied(self.request)
        return incident

    def change_with(self, service, input_serializer):
        """Hand the request's valid input to ``service`` for the incident in the URL, and answer with the
        incident as it now stands."""
        incident = self.incident_to_change()
        data = self.valid(input_serializer, self.request)
        service(incident, **data, actor=self.request.user, now=timezone.now())
        return self.incident_response(incident)

    def incident_response(self, incident, code=status.HTTP_200_OK):
        return self.respond(s.IncidentSerializer, self.queryset.get(pk=incident.pk), code)


class ObligationViewSet(
    AsksMixin,
    ServiceShellMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deadlines in the caller's scope; leaders waive them, auditors record findings on breaches."""

    queryset = s.OBLIGATIONS_AS_SHOWN.select_related("incident")  # whose department owes it, when none is named
    serializer_class = s.ObligationSerializer
    permission_classes = [RoleAllows]
    roles = {
        "list": HUMAN_ROLES,
        "retrieve": HUMAN_ROLES,
        "waive": {Role.LEADER, Role.ADMIN},
        "extensions": HUMAN_ROLES,  # the services check for the lead's duty officers
        "waiver_requests": HUMAN_ROLES,
        "accountability": {Role.AUDITOR, Role.ADMIN},
    }
    filterset_class = ObligationFilter
    ordering_fields = ["due_at", "id"]

    def get_queryset(self):
        """Those of the caller's incidents, and those their departments owe (an instruction addressed to them)."""
        caller = caller_of(self.request)
        if caller.sees_everything:
            return super().get_queryset()
        scope = Q(incident__department__in=caller.department_ids) | Q(department__in=caller.department_ids)
        return super().get_queryset().filter(scope)

    @extend_schema(request=s.ReasonInput, responses={200: s.ObligationSerializer})
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        obligation = self.get_object()
        if not caller_of(request).may_act({Role.LEADER}, obligation.incident.department_id):
            self.permission_denied(request)
        data = self.valid(s.ReasonInput, request)
        waive(obligation, **data, approver=request.user, now=timezone.now())
        return self.respond(s.ObligationSerializer, self.get_queryset().get(pk=obligation.pk))

    @extend_schema(request=ExtensionInput, responses={201: CaseRequestSerializer})
    @action(detail=True, methods=["post"])
    def extensions(self, request, pk=None):
        return self.ask_with(ask_extension, ExtensionInput)

    @extend_schema(request=RequestInput, responses={201: CaseRequestSerializer})
    @action(detail=True, methods=["post"], url_path="waiver-requests")
    def waiver_requests(self, request, pk=None):
        return self.ask_with(ask_waiver, RequestInput)

    @extend_schema(request=s.FindingInput, responses={201: s.FindingSerializer})
    @action(detail=True, methods=["post"])
    def accountability(self, request, pk=None):
        obligation = self.get_object()
        data = self.valid(s.FindingInput, request)
        finding = record_finding(obligation, **data, actor=request.user, now=timezone.now())
        return self.respond(s.FindingSerializer, finding, status.HTTP_201_CREATED)


class EvidenceView(FileAnswerMixin, APIView):
    """An action's evidence file, for those who may read its incident; never served publicly."""

    permission_classes = [RoleAllows]
    roles = {"get": HUMAN_ROLES}

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        actions = Action.objects.filter(caller_of(request).incident_filter("incident"))
        recorded = get_object_or_404(actions, pk=pk)
        if not recorded.evidence_file:
            raise Http404
        try:
            return FileResponse(recorded.evidence_file.open("rb"), as_attachment=True)
        except FileNotFoundError:
            raise Http404 from None
