from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.serializers import FindingSerializer
from incidents.models import Department, Obligation, ObligationKind, Severity
from opinion_tracker.lib.validation import LARGEST_ID

from ..breaches import late_by_seconds
from ..models import Notification
from ..steps import step_label
from ..told import reason_of, told_lines


class CopySerializer(serializers.ModelSerializer):
    """What every notification (channel copy) says of itself in words: its step and why it did not arrive."""

    step_label = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()

    def get_step_label(self, notification) -> str:
        return step_label(notification.step)

    def get_reason(self, notification) -> str:
        return reason_of(notification)


class NotificationSerializer(CopySerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "incident",
            "obligation",
            "entry",
            "step",
            "step_label",
            "recipient",
            "channel",
            "status",
            "reason",
            "attempts",
            "created_at",
            "held_until",
            "sent_at",
            "acknowledged_at",
            "error",
            "fallback_for",
        ]
        read_only_fields = fields


class ToldSerializer(CopySerializer):
    """One escalation notification of a breach: who, at which step, on which channel, and whether it arrived."""

    recipient_name = serializers.CharField(source="recipient.__str__", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "step",
            "step_label",
            "recipient",
            "recipient_name",
            "channel",
            "status",
            "reason",
            "created_at",
            "sent_at",
            "acknowledged_at",
        ]
        read_only_fields = fields


class ToldLineSerializer(serializers.Serializer):
    """A person told at a step: only the channels that delivered."""

    recipient = serializers.IntegerField(source="recipient.pk")
    step = serializers.CharField()
    step_label = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField(), source="delivered")
    at = serializers.DateTimeField()


class NotDeliveredCopySerializer(serializers.Serializer):
    recipient = serializers.IntegerField(source="recipient_id")
    step = serializers.CharField()
    channel = serializers.CharField()
    reason = serializers.SerializerMethodField()

    def get_reason(self, notification) -> str:
        return reason_of(notification)


class BreachSerializer(serializers.ModelSerializer):
    obligation = serializers.IntegerField(source="pk", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    department = serializers.IntegerField(source="incident.department_id", read_only=True)
    department_name = serializers.CharField(source="incident.department.name", read_only=True)
    late_by_seconds = serializers.SerializerMethodField()
    escalated_to = ToldSerializer(source="notifications", many=True, read_only=True)
    told = serializers.SerializerMethodField()
    not_delivered = serializers.SerializerMethodField()
    accountability = FindingSerializer(source="findings", many=True, read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "obligation",
            "incident",
            "incident_title",
            "department",
            "department_name",
            "kind",
            "state",
            "due_at",
            "met_at",
            "late_by_seconds",
            "escalated_to",
            "told",
            "not_delivered",
            "accountability",
        ]
        read_only_fields = fields

    @extend_schema_field(ToldLineSerializer(many=True))
    def get_told(self, obligation) -> list[dict]:
        lines = [line for line in told_lines(obligation.notifications.all()) if line.delivered]
        return ToldLineSerializer(lines, many=True).data

    @extend_schema_field(NotDeliveredCopySerializer(many=True))
    def get_not_delivered(self, obligation) -> list[dict]:
        copies = [n for n in obligation.notifications.all() if n.status != Notification.Status.SENT]
        return NotDeliveredCopySerializer(copies, many=True).data

    def get_late_by_seconds(self, obligation) -> int:
        return late_by_seconds(obligation, self.context.get("now") or timezone.now())


FIRST_YEAR, LAST_YEAR = 1990, 2099


def within_reportable_years(day):
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise serializers.ValidationError(
            _("Dates from %(first)d to %(last)d only.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return day


class ReportQuery(serializers.Serializer):
    """The scope of a report: Beijing dates (inclusive), and optionally a department and a severity."""

    start = serializers.DateField()
    end = serializers.DateField()
    department = serializers.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)
    include_children = serializers.BooleanField(required=False, default=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], required=False, default="json")

    def validate_start(self, value):
        return within_reportable_years(value)

    def validate_end(self, value):
        return within_reportable_years(value)

    def validate_department(self, value):
        if not Department.objects.filter(pk=value).exists():
            raise serializers.ValidationError(_("No department has this id."))
        return value

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end date is before the start date.")]})
        return attrs


class DurationFiguresSerializer(serializers.Serializer):
    median_seconds = serializers.IntegerField(allow_null=True)
    p90_seconds = serializers.IntegerField(allow_null=True)
    max_seconds = serializers.IntegerField(allow_null=True)


class ShareSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="count / incidents in scope, 0–1; null with none")


class FirstResponseSerializer(DurationFiguresSerializer):
    within_5h = ShareSerializer()
    within_24h = ShareSerializer()
    within_48h = ShareSerializer()


class ObligationFiguresSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    decided = serializers.IntegerField(
        help_text="met, met late, or past the deadline (for an extended one, the original); the on-time rate's base"
    )
    met_on_time = serializers.IntegerField(help_text="never extended, met by the deadline")
    met_late = serializers.IntegerField(help_text="never extended")
    overdue = serializers.IntegerField(help_text="never extended")
    running = serializers.IntegerField(help_text="never extended, open and not yet due: not judged")
    waived = serializers.IntegerField(help_text="every waived one, extended or not")
    on_time_rate = serializers.FloatField(
        allow_null=True,
        help_text="(met_on_time + extended_on_time) / decided: extended ones judged by the original deadline",
    )


class ExtendedKindFiguresSerializer(serializers.Serializer):
    """A kind's obligations with an approved extension, counted apart: an extension is never an on-time."""

    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    extended = serializers.IntegerField(help_text="had an approved extension, not waived")
    extended_met = serializers.IntegerField(help_text="met by the extended deadline")
    extended_missed = serializers.IntegerField(help_text="met after the extended deadline, or open past it")
    extended_running = serializers.IntegerField(help_text="open, the extended deadline not yet passed")
    extended_on_time = serializers.IntegerField(help_text="met by the original deadline: counted on time")


class FindingCountsSerializer(serializers.Serializer):
    criticism = serializers.IntegerField()
    interview = serializers.IntegerField()
    exemption = serializers.IntegerField()


class ReviewTimeSerializer(serializers.Serializer):
    """From a draft's first version to its first sign-off, over the drafts of the incidents in scope."""

    drafts = serializers.IntegerField(help_text="drafts signed off")
    gates_skipped = serializers.IntegerField(help_text="holding statements signed off without their gates")
    median_seconds = serializers.IntegerField(allow_null=True)
    p90_seconds = serializers.IntegerField(allow_null=True)


class ComplianceReportSerializer(serializers.Serializer):
    """The figures of docs/rules.md ("Compliance figures") for one scope."""

    start = serializers.DateField()
    end = serializers.DateField()
    department = serializers.IntegerField(allow_null=True)
    include_children = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=Severity.choices, allow_null=True)
    incidents = serializers.IntegerField()
    responded = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    first_response = FirstResponseSerializer()
    obligations = ObligationFiguresSerializer(many=True)
    extended_by_kind = ExtendedKindFiguresSerializer(
        many=True, help_text="the extended figures of each kind of `obligations`, in the same order"
    )
    breach_count = serializers.IntegerField()
    exempted = serializers.IntegerField(help_text="late, but excused by a documented 容错 exemption")
    waived = serializers.IntegerField()
    extended = serializers.IntegerField(help_text="obligations with an approved extension, not waived: counted apart")
    extended_met = serializers.IntegerField()
    extended_missed = serializers.IntegerField()
    extended_running = serializers.IntegerField()
    extended_on_time = serializers.IntegerField()
    findings = FindingCountsSerializer()
    logging_delay = DurationFiguresSerializer()
    review_time = ReviewTimeSerializer()
    breaches = BreachSerializer(
        many=True, help_text="The first 100 breaches, the latest incident's first; all at /reports/breaches/"
    )
    breaches_complete = serializers.BooleanField()
