"""Configuration changes read back (docs/api.md, "Assessment and audit"): what the API's
``/api/v1/audit/changes/`` and the auditors' page list, newest first, with the same filters.

auditlog keeps each value as text; here it is read back through the model's field, so ``before`` and
``after`` hold what the field holds: numbers, booleans, ``None``, lists, times and durations. Masked
credentials stay as they were recorded.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from incidents.api.serializers import MomentField
from incidents.models import Person, Role
from opinion_tracker.lib.validation import LARGEST_ID

from .audit import AUDITED

CHANGE_READERS = frozenset({Role.AUDITOR, Role.ADMIN})
CHANGES = {LogEntry.Action.CREATE: "created", LogEntry.Action.UPDATE: "updated", LogEntry.Action.DELETE: "deleted"}


def audited_objects() -> dict[str, type[models.Model]]:
    """The audited models by the name ``object`` gives them: the model's name in lower case."""
    return {model._meta.model_name: model for model in AUDITED}


class ChangeQuery(serializers.Serializer):
    """The filters of the list: which kind of object, who changed it, and from when."""

    object = serializers.ChoiceField(
        choices=sorted(audited_objects()), required=False, help_text="The model's name in lower case."
    )
    actor = serializers.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, help_text="The id of the person who made the change."
    )
    since = MomentField(
        required=False, help_text="An ISO 8601 time or date (Beijing time without an offset): changes from then on."
    )

    def validate_since(self, value):
        if not 1900 <= value.year <= 2200:
            raise serializers.ValidationError(_("This time is out of range."))
        return value


def configuration_changes(query: dict) -> models.QuerySet[LogEntry]:
    """The changes of the audited models ``query`` (a valid ``ChangeQuery``) asks for, newest first."""
    objects = audited_objects()
    chosen = [objects[query["object"]]] if query.get("object") else list(objects.values())
    entries = LogEntry.objects.filter(
        content_type__in=ContentType.objects.get_for_models(*chosen).values(), action__in=list(CHANGES)
    )
    if query.get("actor"):
        entries = entries.filter(actor_id=query["actor"])
    if query.get("since"):
        entries = entries.filter(timestamp__gte=query["since"])
    return entries.select_related("content_type", "actor").order_by("-timestamp", "-pk")


def actors() -> models.QuerySet[Person]:
    """Everyone who has changed the configuration, for the page's filter."""
    changed = configuration_changes({}).exclude(actor=None).values("actor_id")
    return Person.objects.filter(pk__in=changed).order_by("username")


@dataclass
class Change:
    """One entry as the API and the page show it."""

    at: datetime
    actor: Person | None
    model: type[models.Model]
    object_id: int | str
    object_name: str
    change: str
    before: dict
    after: dict

    @property
    def object(self) -> str:
        return self.model._meta.model_name

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.actor else None

    @property
    def actor_name(self) -> str:
        return str(self.actor) if self.actor else ""


def change_of(entry: LogEntry) -> Change:
    """The entry with ``before`` and ``after`` as field values: nothing before a creation, nothing after a
    deletion, and for an update only the fields that changed."""
    model = entry.content_type.model_class()
    masked = set(auditlog.get_model_fields(model)["mask_fields"]) if auditlog.contains(model) else set()
    before, after = {}, {}
    for name, (old, new) in entry.changes_dict.items():
        before[name], after[name] = (value_of(model, name, stored, masked) for stored in (old, new))
    change = CHANGES[entry.action]
    return Change(
        at=entry.timestamp,
        actor=entry.actor,
        model=model,
        object_id=entry.object_id if entry.object_id is not None else entry.object_pk,
        object_name=entry.object_repr,
        change=change,
        before={} if change == "created" else before,
        after={} if change == "deleted" else after,
    )


def value_of(model, name: str, stored, masked: set[str]):
    """A value as auditlog stored it, read back through the model's field ``name``.

    What is not text (the roles, already a list) and what was masked stay as they are; so does text a field
    does not read back (a choice, a date, a decimal: their text is their value).
    """
    if not isinstance(stored, str) or name in masked:
        return stored
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return stored  # a field since removed
    if stored == "None" and model_field.null:
        return None
    try:
        return read_back(model_field.target_field if model_field.is_relation else model_field, stored)
    except (TypeError, ValueError):
        return stored


def read_back(model_field, stored: str):
    if isinstance(model_field, models.JSONField):
        return json.loads(stored)
    if isinstance(model_field, models.BooleanField):
        return stored == "True"
    if isinstance(model_field, models.IntegerField):
        return int(stored)
    if isinstance(model_field, models.DateTimeField):
        moment = datetime.fromisoformat(stored)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # auditlog keeps UTC, naive
    if isinstance(model_field, models.DurationField):
        return parse_duration(stored) or stored
    return stored


def as_json(value):
    """A field value for the API: times in ISO 8601 (Beijing time), durations in seconds."""
    if isinstance(value, datetime):
        return serializers.DateTimeField().to_representation(value)
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value
