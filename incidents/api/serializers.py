"""What incidents, obligations, actions and timeline events look like in the API, and what it accepts."""

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.access import caller_of
from incidents.casework.merging import Link, links_of
from incidents.models import (
    AccountabilityFinding,
    Action,
    ActionKind,
    Department,
    Incident,
    Instruction,
    Obligation,
    Severity,
    TimelineEvent,
)
from opinion_tracker.lib.api.representation import QuickRepresentation
from opinion_tracker.lib.prefetch import read, read_ahead


class TakesOnlyItsFields:
    """Refuses, by name, whatever a body sends that this input does not take, read-only fields included.

    DRF drops such fields silently, so a misspelt field, or one the tracker sets itself (``state``,
    ``is_superuser``), would look accepted. The refusals come with the other fields' errors, in one
    answer. ``refused_fields``, when set, narrows the refusal to those names and lets any other unknown
    name through (intake: monitoring systems send fields of their own).
    """

    not_accepted = _("This field is not accepted here.")
    refused_fields: frozenset[str] | None = None

    def to_internal_value(self, data):
        refused = {name: [self.not_accepted] for name in self.fields_not_taken(data)}
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({**refused, **error.detail}) from error
        if refused:
            raise serializers.ValidationError(refused)
        return attrs

    def fields_not_taken(self, data) -> list[str]:
        if not isinstance(data, Mapping):
            return []  # DRF refuses a body that is not an object by itself
        sent = set(data) - {name for name, field in self.fields.items() if not field.read_only}
        return sorted(sent if self.refused_fields is None else sent & self.refused_fields)


class ReadAheadList(serializers.ListSerializer):
    """A nested list of related objects, taken as ``read_ahead`` left them when it did (``read``)."""

    def get_attribute(self, instance):
        if len(self.source_attrs) != 1:
            return super().get_attribute(instance)
        return read(instance, self.source)


CO_DEPARTMENTS = Incident._meta.get_field("co_departments").verbose_name


# An obligation as the API shows it: its findings, each with the rectification report it asks for.
OBLIGATIONS_AS_SHOWN = Obligation.objects.prefetch_related(
    read_ahead("findings", AccountabilityFinding.objects.select_related("rectification"))
)
# The columns of an obligation the API does not show, those of the enforcement pass: left unread where many are
# shown and nothing else reads them (the incidents' obligations), a sixth of the time their rows took.
NOT_SHOWN = ("clock", "offset", "offset_working_days", "next_step_at", "created_at", "incident_discovered_at")


class RectificationSerializer(QuickRepresentation, serializers.ModelSerializer):
    """The rectification report a 约谈整改 asks for, as the auditor follows it."""

    class Meta:
        model = Obligation
        fields = ["id", "department", "due_at", "provisional", "state", "met_at", "met_by"]
        read_only_fields = fields


class FindingSerializer(QuickRepresentation, serializers.ModelSerializer):
    rectification = serializers.SerializerMethodField(
        help_text="For a 约谈整改: the rectification report it asks for (an obligation); else null."
    )

    class Meta:
        model = AccountabilityFinding
        fields = ["id", "obligation", "kind", "note", "decided_on", "recorded_by", "recorded_at", "rectification"]
        read_only_fields = fields
        list_serializer_class = ReadAheadList

    @extend_schema_field(RectificationSerializer(allow_null=True))
    def get_rectification(self, finding) -> dict | None:
        try:
            return RectificationSerializer(finding.rectification).data
        except Obligation.DoesNotExist:
            return None


class ObligationSerializer(QuickRepresentation, serializers.ModelSerializer):
    accountability = FindingSerializer(source="findings", many=True, read_only=True)
    waiver_kind = serializers.ChoiceField(
        choices=Obligation.Waiver.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it was waived: approved by a leader, regraded, or closed; empty when not waived.",
    )

    original_due_at = serializers.DateTimeField(
        source="deadline_before_extension", read_only=True, help_text="The deadline before any extension."
    )
    extended = serializers.BooleanField(read_only=True, help_text="Whether an approved extension moved it.")
    department = serializers.SerializerMethodField(help_text="The department that owes it.")

    class Meta:
        model = Obligation
        fields = [
            "id",
            "incident",
            "kind",
            "department",
            "clock_started_at",
            "due_at",
            "original_due_at",
            "extended",
            "provisional",
            "state",
            "met_at",
            "met_by",
            "waived_at",
            "waived_reason",
            "waiver_kind",
            "waived_by",
            "accountability",
            "finding",
        ]
        read_only_fields = fields
        list_serializer_class = ReadAheadList

    def get_department(self, obligation) -> int:
        return obligation.owing_department_id


class IncidentSerializer(QuickRepresentation, serializers.ModelSerializer):
    clock_started_at = serializers.DateTimeField(read_only=True)
    source_url = serializers.CharField(read_only=True, help_text="A link, or empty.")
    obligations = ObligationSerializer(many=True, read_only=True)
    co_departments = serializers.SerializerMethodField(label=CO_DEPARTMENTS)
    links = serializers.SerializerMethodField(help_text="Incidents merged into or from this one, its follow-ons.")

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "summary",
            "severity",
            "department",
            "occurred_at",
            "discovered_at",
            "clock_started_at",
            "first_public_response_at",
            "logged_at",
            "logged_by",
            "source_platform",
            "source_url",
            "external_id",
            "state",
            "closed_at",
            "close_reason",
            "co_departments",
            "merged_into",
            "follow_on_of",
            "links",
            "obligations",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(label=CO_DEPARTMENTS)))
    def get_co_departments(self, incident) -> list[int]:
        return [department.pk for department in read(incident, "co_departments")]

    def get_links(self, incident) -> list[Link]:
        return links_of(incident)


class MomentField(serializers.DateTimeField):
    """A time; one without an offset is Beijing time. Times near year 1 overflow when made aware: a 400."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


@extend_schema_field(OpenApiTypes.INT)
class WritableDepartmentField(serializers.PrimaryKeyRelatedField):
    """A department the caller may log incidents for; any other id gets the answer a missing one gets."""

    def get_queryset(self):
        return caller_of(self.context["request"]).writable_departments()


@extend_schema_field(OpenApiTypes.INT)
class WorkedOnDepartmentField(serializers.PrimaryKeyRelatedField):
    """A department the caller works on (the office: its government's); any other id gets the answer a missing
    one gets, so a body never tells whether a department outside one's scope exists."""

    def get_queryset(self):
        return caller_of(self.context["request"]).departments_worked_on()


class IncidentInput(TakesOnlyItsFields, serializers.Serializer):
    """What logging an incident takes; the department must be one the caller may log for."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices)
    discovered_at = MomentField()
    occurred_at = MomentField(required=False, allow_null=True, default=None)
    department = WritableDepartmentField()
    source_platform = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    source_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    co_departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )


class IngestInput(IncidentInput):
    """What logging takes, and the monitoring system's own id; the incident's other fields are the tracker's."""

    refused_fields = frozenset(IncidentSerializer.Meta.fields)
    co_departments = None  # the tracker's people name co-handlers, not a monitoring system
    external_id = serializers.CharField(max_length=100)


class IncidentChangeInput(TakesOnlyItsFields, serializers.Serializer):
    """Details that can be corrected (the service's ``EDITABLE_DETAILS``); anything else is refused by name."""

    not_accepted = _("Only the title, summary and source can be changed; severity changes by regrading.")

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    source_platform = serializers.CharField(max_length=50, required=False, allow_blank=True)
    source_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    co_departments = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), many=True, required=False)


class ActionSerializer(QuickRepresentation, serializers.ModelSerializer):
    evidence_url = serializers.CharField(read_only=True, help_text="A link, or empty.")
    evidence_file = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField(help_text="The draft it was published from, or null.")
    text = serializers.CharField(read_only=True, help_text="The signed-off text it published, or empty.")
    text_sha256 = serializers.CharField(
        read_only=True, help_text="Lowercase hex SHA-256 of the text as UTF-8, or empty: what went out."
    )

    class Meta:
        model = Action
        fields = [
            "id",
            "incident",
            "kind",
            "channel",
            "published_at",
            "evidence_url",
            "evidence_file",
            "summary",
            "department",
            "instruction",
            "finding",
            "draft",
            "text",
            "text_sha256",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_draft(self, action) -> int | None:
        """The draft whose signed-off version this action published, through the reverse one-to-one that
        ``statements.Publication`` declares (``related_name="publication"``).

        It is read by name, never by importing the statements app: statements sits above incidents in the
        layers (``.importlinter``), so incidents knows nothing of it. The accessor raises the related
        model's ``DoesNotExist`` (an ``AttributeError`` too) for an action recorded by hand, hence
        ``getattr`` with a default. Lists ``select_related("publication")`` to keep one query.
        """
        publication = getattr(action, "publication", None)
        return publication.draft_id if publication is not None else None

    def get_evidence_file(self, action) -> str | None:
        """Where the file can be downloaded (by those who may read the incident), or null."""
        if not action.evidence_file:
            return None
        path = reverse("api:action-evidence", args=[action.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ActionInput(TakesOnlyItsFields, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    channel = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    published_at = MomentField()
    evidence_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    instruction = serializers.PrimaryKeyRelatedField(
        queryset=Instruction.objects.all(), required=False, allow_null=True, default=None
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A reply: the addressed department it is for (default: the first the caller works on).",
    )
    finding = serializers.PrimaryKeyRelatedField(
        queryset=AccountabilityFinding.objects.select_related("obligation"),
        required=False,
        allow_null=True,
        default=None,
        help_text="A rectification report: the admonishing interview (约谈整改) it answers.",
    )


class TimelineEventSerializer(QuickRepresentation, serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEvent
        fields = ["id", "at", "actor", "actor_name", "kind", "obligation", "detail", "hash", "prev_hash"]
        read_only_fields = fields

    def get_actor_name(self, event) -> str:
        return str(event.actor) if event.actor else ""


class RegradeInput(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField()


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField()


class FindingInput(TakesOnlyItsFields, serializers.Serializer):
    kind = serializers.ChoiceField(choices=AccountabilityFinding.Kind.choices)
    note = serializers.CharField()
    decided_on = serializers.DateField()
    rectification_due_at = MomentField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A 约谈整改: when its rectification report is due (default: 15 working days from now).",
    )
