"""``GET /api/v1/audit/changes/`` (docs/api.md, "Assessment and audit"): the configuration changes, newest first,
for auditors and administrators; ``?object=``, ``?actor=`` and ``?since=`` narrow them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from incidents.api.permissions import RoleAllows

from .audit_changes import CHANGE_READERS, CHANGES, ChangeQuery, as_json, change_of, configuration_changes


class FieldValues(serializers.DictField):
    """Field name → value, as the field holds it (times in ISO 8601, durations in seconds)."""

    def to_representation(self, value):
        return {name: as_json(item) for name, item in value.items()}


class ConfigurationChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True, help_text="The person's id; null: a command.")
    actor_name = serializers.CharField()
    object = serializers.CharField(help_text="The model's name in lower case: department, person, robot, …")
    object_id = serializers.IntegerField()
    object_name = serializers.CharField(help_text="What the object was called when it changed.")
    change = serializers.ChoiceField(choices=list(CHANGES.values()))
    before = FieldValues(help_text="The changed fields before: empty for a creation.")
    after = FieldValues(help_text="The changed fields after: empty for a deletion.")


class ConfigurationChangesView(ListAPIView):
    """Every recorded change of departments, people and their roles, policies, ladders, rosters, robots,
    work-message apps and calendars: who made it, when, before and after (credentials masked)."""

    permission_classes = [RoleAllows]
    roles = {"*": CHANGE_READERS}
    serializer_class = ConfigurationChangeSerializer
    filter_backends = []

    @extend_schema(parameters=[ChangeQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ChangeQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return configuration_changes(query.validated_data)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer([change_of(entry) for entry in page], many=True).data)
