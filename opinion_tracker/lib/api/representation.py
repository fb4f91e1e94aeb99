"""Model serializers that show a page of rows quickly: the same output as DRF's, without its machinery per field.

DRF shows every field of every row through ``field.get_attribute`` and ``field.to_representation``, with the
checks those make for the general case (dotted sources, dictionaries, callables, defaults); and a related field
first builds a ``PKOnlyObject`` to read a key the row already holds. A page of 50 incidents with their 170
obligations is about 4,000 such fields: 10 ms of the list's 31 ms of CPU here. ``QuickRepresentation`` works out once
per serializer which fields are a column or a property of the model, and shows those by reading the attribute (a foreign
key's own column for a related field) and calling the field's ``to_representation``; every other field (method
fields, nested serializers, dotted sources) goes DRF's way. tests/api/test_quick_representation.py holds it to
DRF's output.
"""

import functools
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField
from rest_framework.settings import api_settings

MOMENT = object()  # in a plan: a time, shown by ``moment``
PROPERTIES = (property, functools.cached_property, cached_property)

# How a plan shows one field: (its name, the attribute to read, how to show what was read: a function of the value,
# MOMENT, or None for as it is read, the field). Without an attribute, the field goes DRF's way.
Step = tuple[Any, str | None, Any, serializers.Field]


# A mixin for ``ModelSerializer`` (first in the bases). A comment, not a docstring: drf-spectacular would take the
# first docstring in a serializer's bases as the description of its schema component.
class QuickRepresentation:
    Meta: Any
    _readable_fields: Any

    @cached_property
    def _quick_plan(self) -> list[Step]:
        """The plan of every readable field, worked out once per serializer (a list's child serves every row)."""
        model = self.Meta.model
        columns = {column.name: column for column in model._meta.concrete_fields}
        plan: list[Step] = []
        for field in self._readable_fields:
            column = columns.get(field.source)
            if type(field) is PrimaryKeyRelatedField:
                key = column.attname if column is not None and column.is_relation and field.pk_field is None else None
                plan.append((field.field_name, key, None, field))
                continue
            attribute = column is not None or isinstance(getattr(model, field.source, None), PROPERTIES)
            if attribute and type(field).get_attribute is serializers.Field.get_attribute:
                show = MOMENT if is_moment(field) else field.to_representation
                plan.append((field.field_name, field.source, show, field))
            else:
                plan.append((field.field_name, None, None, field))
        return plan

    def to_representation(self, instance) -> dict:
        shown: dict = {}
        zone = timezone.get_current_timezone()  # what DRF asks again for every time it shows
        for name, attribute, show, field in self._quick_plan:
            if attribute is not None:
                try:
                    value = getattr(instance, attribute)
                except (AttributeError, KeyError, ObjectDoesNotExist):
                    pass  # DRF's way below, with its defaults, nulls and omissions
                else:
                    shown[name] = shown_value(value, show, field, zone)
                    continue
            try:  # DRF's way, as Serializer.to_representation has it
                value = field.get_attribute(instance)
            except SkipField:
                continue
            key = value.pk if isinstance(value, PKOnlyObject) else value
            shown[name] = None if key is None else field.to_representation(value)
        return shown


def shown_value(value, show, field: serializers.Field, zone):
    if value is None or show is None:
        return value
    if show is MOMENT:
        aware = isinstance(value, datetime) and value.tzinfo is not None
        return moment(value, zone) if aware else field.to_representation(value)
    return show(value)


def is_moment(field: serializers.Field) -> bool:
    """Whether ``field`` shows times as DRF's ``DateTimeField`` does by default (ISO 8601 in the current zone)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        isinstance(field, serializers.DateTimeField)
        and type(field).to_representation is serializers.DateTimeField.to_representation
        and type(field).enforce_timezone is serializers.DateTimeField.enforce_timezone
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    )


def moment(value: datetime, zone) -> str:
    """An aware time as DRF's ``DateTimeField`` shows it: ISO 8601 in ``zone``, ``Z`` for UTC."""
    shown = value.astimezone(zone).isoformat()
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown
