"""A person's escalation entries (docs/api.md, "The record"): one per step of an obligation, acknowledged once."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES
from incidents.api.permissions import RoleAllows
from opinion_tracker.lib.api.views import ServiceShellMixin

from ..acknowledgement import acknowledge_entry
from ..models import EscalationEntry
from ..told import awaiting_acknowledgement, entries_of, entry_view


class NotDeliveredSerializer(serializers.Serializer):
    channel = serializers.CharField()
    reason = serializers.CharField()


class EscalationEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry.pk")
    incident = serializers.IntegerField(source="entry.obligation.incident_id")
    obligation = serializers.IntegerField(source="entry.obligation_id")
    step = serializers.CharField(source="entry.step")
    step_label = serializers.CharField(source="told.step_label")
    told_at = serializers.DateTimeField(source="entry.created_at")
    delivered = serializers.ListField(child=serializers.CharField(), source="told.delivered")
    not_delivered = serializers.SerializerMethodField()
    acknowledged_at = serializers.DateTimeField(source="entry.acknowledged_at", allow_null=True)
    needs_acknowledgement = serializers.BooleanField()

    @extend_schema_field(NotDeliveredSerializer(many=True))
    def get_not_delivered(self, view) -> list[dict]:
        return [{"channel": channel, "reason": reason} for channel, reason in view.told.not_delivered]


class EscalationEntryMixin(ServiceShellMixin):
    permission_classes = [RoleAllows]
    roles = {"*": HUMAN_ROLES}


class EscalationListView(EscalationEntryMixin, ListAPIView):
    """The caller's own entries, newest first."""

    serializer_class = EscalationEntrySerializer
    filter_backends = []

    def get_queryset(self):
        return entries_of(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer([entry_view(entry) for entry in page], many=True).data)


class UnreadCountView(EscalationEntryMixin, APIView):
    @extend_schema(responses=inline_serializer("UnreadCount", {"count": serializers.IntegerField()}))
    def get(self, request):
        return Response({"count": awaiting_acknowledgement(request.user).count()})


class AcknowledgeEntryView(EscalationEntryMixin, APIView):
    """Acknowledges every copy of the entry (the recipient only: anyone else's entry is not found)."""

    @extend_schema(request=None, responses=EscalationEntrySerializer)
    def post(self, request, pk):
        entry = get_object_or_404(EscalationEntry, pk=pk, recipient=request.user)
        acknowledge_entry(entry, request.user, timezone.now())
        return Response(EscalationEntrySerializer(entry_view(entries_of(request.user).get(pk=entry.pk))).data)
