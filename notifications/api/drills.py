"""``POST /api/v1/drills/`` (docs/api.md, "Reach"): administrators send a test message through the channels, and
get every result once every send has an answer or the drill's time limit is up (``notifications.drills``)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView

from incidents.api.permissions import RoleAllows
from incidents.api.serializers import TakesOnlyItsFields
from incidents.models import Person, Role
from opinion_tracker.lib.api.fields import IdField
from opinion_tracker.lib.api.views import ServiceShellMixin

from ..drills import DRILLABLE, MAX_PEOPLE, run_drill
from ..models import ChannelKind, Drill, DrillResult


class DrillInput(TakesOnlyItsFields, serializers.Serializer):
    channels = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Channel codes to drill: " + ", ".join(DRILLABLE) + "; empty or left out: all of them.",
    )
    people = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        help_text="Ids of active people to send the test message to (SMS, email, work messages).",
    )

    def validate_channels(self, codes):
        unknown = [code for code in codes if code not in ChannelKind.values]
        if unknown:
            raise serializers.ValidationError(_("Unknown channels: %(codes)s.") % {"codes": ", ".join(unknown)})
        undrillable = [code for code in codes if code not in DRILLABLE]
        if undrillable:
            raise serializers.ValidationError(
                _("These channels cannot be drilled: %(codes)s (drillable: %(drillable)s).")
                % {"codes": ", ".join(undrillable), "drillable": ", ".join(DRILLABLE)}
            )
        return list(dict.fromkeys(codes))

    def validate_people(self, ids):
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_PEOPLE:
            raise serializers.ValidationError(_("At most %(limit)d people in one drill.") % {"limit": MAX_PEOPLE})
        found = Person.objects.filter(pk__in=ids, is_active=True).in_bulk()
        unknown = [str(pk) for pk in ids if pk not in found]
        if unknown:
            message = _("No active person has these ids: %(ids)s.") % {"ids": ", ".join(unknown)}
            raise serializers.ValidationError(message)
        return [found[pk] for pk in ids]


class DrillResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillResult
        fields = ["id", "target", "channel", "status", "error", "answer", "robot", "work_app", "person", "answered_at"]
        read_only_fields = fields


class DrillSerializer(serializers.ModelSerializer):
    results = DrillResultSerializer(many=True, read_only=True)

    class Meta:
        model = Drill
        fields = ["id", "started_by", "started_at", "channels", "people", "results"]
        read_only_fields = fields


class DrillView(ServiceShellMixin, GenericAPIView):
    """Send a drill's test messages now; the answer comes once every send has its own, or within
    ``DRILL_TIME_LIMIT_SECONDS`` with the sends not started in time skipped."""

    permission_classes = [RoleAllows]
    roles = {"post": {Role.ADMIN}}
    serializer_class = DrillSerializer
    filter_backends: list = []

    @extend_schema(request=DrillInput, responses={201: DrillSerializer}, summary="Send a drill's test messages")
    def post(self, request):
        data = self.valid(DrillInput, request)
        drill = run_drill(data["channels"], data["people"], request.user, timezone.now())
        drill = Drill.objects.prefetch_related("results", "people").get(pk=drill.pk)
        return self.respond(DrillSerializer, drill, status.HTTP_201_CREATED)
