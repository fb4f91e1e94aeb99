"""Drafts of statements in the API (docs/api.md, "Statements"): drafting and revising, the review gates, the
sign-off (签发), publishing the signed-off text, and checking a text against what was approved.

A draft is reachable when its incident is readable by the caller, else 404, as everywhere; who may draft,
review, sign off or publish is the services' decision (``statements.deciders``), a 403 otherwise.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser

from incidents.access import HUMAN_ROLES, caller_of, readable_incident
from incidents.api.permissions import RoleAllows
from incidents.api.serializers import ActionSerializer
from incidents.models import Action, Incident, ReviewGate
from opinion_tracker.lib.api.parsers import TrackerJSONParser
from opinion_tracker.lib.api.views import ServiceShellMixin

from ..drafting import add_version, create_draft
from ..models import Draft, DraftVersion
from ..publishing import check_published_text, publish
from ..review import decide_gate, sign_off
from . import serializers as s
from .filters import DraftFilter

# Everything a draft's answer reads, in a constant number of queries however many drafts are listed.
DRAFTS = Draft.objects.prefetch_related(
    Prefetch("versions", queryset=DraftVersion.objects.order_by("number").prefetch_related("decisions")),
    "publications",
)
GATE = OpenApiParameter("gate", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ReviewGate.values)


class IncidentDraftsView(ServiceShellMixin, GenericAPIView):
    """An incident's drafts, oldest first; drafting one (the lead's and co-handlers' duty officers)."""

    permission_classes = [RoleAllows]
    roles = {"get": HUMAN_ROLES, "post": HUMAN_ROLES}  # the service decides who drafts
    serializer_class = s.DraftSerializer
    filter_backends: list = []

    def incident(self) -> Incident:
        return readable_incident(caller_of(self.request), self.kwargs["incident_pk"])

    @extend_schema(responses={200: s.DraftSerializer(many=True)})
    def get(self, request, incident_pk):
        return self.paginated(DRAFTS.filter(incident=self.incident()).order_by("created_at", "pk"), s.DraftSerializer)

    @extend_schema(request=s.DraftInput, responses={201: s.DraftSerializer})
    def post(self, request, incident_pk):
        incident = self.incident()
        data = self.valid(s.DraftInput, request)
        draft = create_draft(incident, **data, actor=request.user, now=timezone.now())
        return self.respond(s.DraftSerializer, DRAFTS.get(pk=draft.pk), status.HTTP_201_CREATED)


class DraftViewSet(ServiceShellMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Drafts of the incidents the caller may read, and the steps that take one to publication."""

    queryset = DRAFTS
    serializer_class = s.DraftSerializer
    permission_classes = [RoleAllows]
    roles = {"*": HUMAN_ROLES}  # the services decide who drafts, reviews, signs off and publishes
    filterset_class = DraftFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        readable = super().get_queryset().filter(caller_of(self.request).incident_filter("incident"))
        return readable.select_related("incident__department")

    @extend_schema(request=s.VersionInput, responses={201: s.DraftSerializer})
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        """A new version: every gate starts again."""
        draft = self.get_object()
        data = self.valid(s.VersionInput, request)
        add_version(draft, **data, actor=request.user, now=timezone.now())
        return self.draft_response(draft, status.HTTP_201_CREATED)

    @extend_schema(parameters=[GATE], request=s.GateDecisionInput, responses={200: s.DraftSerializer})
    @action(detail=True, methods=["post"], url_path=r"gates/(?P<gate>[^/]+)")
    def gate(self, request, pk=None, gate=None):
        """Approve or return one gate of the current version; a gate the draft does not pass is a 404."""
        draft = self.get_object()
        if gate not in draft.gates:
            raise Http404
        data = self.valid(s.GateDecisionInput, request)
        decide_gate(draft, gate, **data, actor=request.user, now=timezone.now())
        return self.draft_response(draft)

    @extend_schema(request=s.SignOffInput, responses={200: s.DraftSerializer})
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        """签发 the current version: a leader of the lead department or of the government office."""
        draft = self.get_object()
        data = self.valid(s.SignOffInput, request)
        sign_off(draft, **data, actor=request.user, now=timezone.now())
        return self.draft_response(draft)

    @extend_schema(request=s.PublishInput, responses={201: ActionSerializer})
    @action(detail=True, methods=["post"], parser_classes=[TrackerJSONParser, MultiPartParser, FormParser])
    def publish(self, request, pk=None):
        """Record the signed-off version as a statement published on one of its channels, with its evidence."""
        draft = self.get_object()
        data = self.valid(s.PublishInput, request)
        recorded = publish(draft, **data, actor=request.user, now=timezone.now())
        published = Action.objects.select_related("publication").get(pk=recorded.pk)
        return self.respond(ActionSerializer, published, status.HTTP_201_CREATED)

    @extend_schema(request=s.VerifyInput, responses={200: s.VerificationSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Whether a text is, to the byte, the signed-off version: for anyone who may read the incident."""
        draft = self.get_object()
        data = self.valid(s.VerifyInput, request)
        return self.respond(s.VerificationSerializer, check_published_text(draft, data["text"]))

    def draft_response(self, draft, code=status.HTTP_200_OK):
        return self.respond(s.DraftSerializer, DRAFTS.get(pk=draft.pk), code)
