"""What drafts look like in the API, and what drafting, reviewing, signing off and publishing take.

A draft is answered with every version and, for its current (latest) version, the state of each gate
and the sign-off: what a reviewer or a leader needs to decide, in one object. Texts are taken exactly as
sent (no trimming), since the SHA-256 that proves what was approved is of the text as stored.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.serializers import MomentField, TakesOnlyItsFields
from incidents.models import ReviewGate

from ..models import Draft, DraftVersion, GateDecision, HoldingTemplate
from ..review import gate_states

# Values only: they are codes for programs (the pages word them).
GATE_STATES = ["pending", *GateDecision.Decision.values]
DECISIONS = ["approve", "return"]


class FlagSerializer(serializers.Serializer):
    phrase = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True, help_text="Why reviewers are warned about it.")


class VersionSerializer(serializers.ModelSerializer):
    flags = FlagSerializer(many=True, read_only=True, help_text="Flagged phrases in this text: they warn, never block.")
    sha256 = serializers.CharField(read_only=True, help_text="Lowercase hex SHA-256 of the text as UTF-8.")

    class Meta:
        model = DraftVersion
        fields = ["number", "text", "sha256", "created_by", "created_at", "flags"]
        read_only_fields = fields


class GateSerializer(serializers.Serializer):
    """A gate of the current version (``review.GateState``): pending, or approved or returned by someone."""

    gate = serializers.ChoiceField(choices=ReviewGate.choices, read_only=True)
    state = serializers.ChoiceField(choices=GATE_STATES, read_only=True)
    by = serializers.IntegerField(source="decision.decided_by_id", read_only=True, allow_null=True)
    at = serializers.DateTimeField(source="decision.decided_at", read_only=True, allow_null=True)
    comment = serializers.CharField(source="decision.comment", read_only=True, allow_null=True)


def current_of(draft) -> DraftVersion:
    """The latest version, from the prefetched versions (``DRAFTS``): no query per draft in a list."""
    return list(draft.versions.all())[-1]


class DraftSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)
    versions = VersionSerializer(many=True, read_only=True, help_text="Every version, oldest first; none overwritten.")
    gates = serializers.SerializerMethodField(help_text="The gates of the current version, in the policy's order.")
    signed_off_by = serializers.SerializerMethodField(help_text="Who signed off the current version, or null.")
    signed_off_at = serializers.SerializerMethodField()
    gates_skipped = serializers.SerializerMethodField(
        help_text="Gates a holding statement's sign-off went ahead without (current version)."
    )
    flags_acknowledged = serializers.SerializerMethodField(
        help_text="Whether the current version's flags were acknowledged at its sign-off."
    )
    publications = serializers.SerializerMethodField(help_text="The ids of the actions it was published as.")

    class Meta:
        model = Draft
        fields = [
            "id",
            "incident",
            "kind",
            "channels",
            "template",
            "created_by",
            "created_at",
            "versions",
            "gates",
            "state",
            "signed_off_by",
            "signed_off_at",
            "gates_skipped",
            "flags_acknowledged",
            "publications",
        ]
        read_only_fields = fields

    @extend_schema_field(GateSerializer(many=True))
    def get_gates(self, draft) -> list:
        return GateSerializer(gate_states(draft, current_of(draft)), many=True).data

    def get_signed_off_by(self, draft) -> int | None:
        return current_of(draft).signed_off_by_id

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_signed_off_at(self, draft):
        signed_off_at = current_of(draft).signed_off_at
        return serializers.DateTimeField().to_representation(signed_off_at) if signed_off_at else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ReviewGate.choices)))
    def get_gates_skipped(self, draft) -> list:
        return list(current_of(draft).gates_skipped)

    def get_flags_acknowledged(self, draft) -> bool:
        return current_of(draft).flags_acknowledged

    def get_publications(self, draft) -> list[int]:
        return [publication.action_id for publication in draft.publications.all()]


def text_field(**options) -> serializers.CharField:
    """A statement's text, kept exactly as sent: its hash is of these very characters."""
    return serializers.CharField(trim_whitespace=False, **options)


class DraftInput(TakesOnlyItsFields, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Draft.Kind.choices)
    channels = serializers.ListField(
        child=serializers.CharField(allow_blank=True), help_text="Where it will go out, e.g. weibo, website."
    )
    text = text_field(
        required=False,
        allow_blank=True,
        default="",
        help_text="May be left empty for a holding statement made from a template: the template prefills it.",
    )
    template = serializers.PrimaryKeyRelatedField(
        queryset=HoldingTemplate.objects.filter(enabled=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="A holding-statement template of the incident's government (or a national one).",
    )


def seen_field() -> serializers.IntegerField:
    """The version number the caller read: a decision on a version since replaced is refused (400)."""
    return serializers.IntegerField(
        source="seen",
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Optional: the version number read; refused when it is no longer the current version.",
    )


class VersionInput(TakesOnlyItsFields, serializers.Serializer):
    text = text_field()


class GateDecisionInput(TakesOnlyItsFields, serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when returning: what to change."
    )
    version = seen_field()


class SignOffInput(TakesOnlyItsFields, serializers.Serializer):
    acknowledge_flags = serializers.BooleanField(
        required=False, default=False, help_text="Required (true) when the version has flagged phrases."
    )
    version = seen_field()


class PublishInput(TakesOnlyItsFields, serializers.Serializer):
    """As recording a statement by hand takes it (``POST /incidents/{id}/actions/``); the text is the draft's."""

    channel = serializers.CharField(help_text="One of the draft's channels.")
    published_at = MomentField()
    evidence_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(required=False, allow_null=True, default=None)
    version = seen_field()


class VerifyInput(TakesOnlyItsFields, serializers.Serializer):
    text = text_field(allow_blank=True, help_text="The text as it went out, compared to the byte.")


class VerificationSerializer(serializers.Serializer):
    matches = serializers.BooleanField(help_text="Whether the text is exactly the signed-off version's.")
    sha256 = serializers.CharField(help_text="SHA-256 of the text sent.")
    approved_sha256 = serializers.CharField(allow_null=True, help_text="The signed-off version's, or null.")
    version = serializers.IntegerField(allow_null=True, help_text="The signed-off version's number, or null.")
