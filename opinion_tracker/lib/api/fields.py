"""Input fields the endpoints share."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..validation import LARGEST_ID


@extend_schema_field(OpenApiTypes.INT)
class IdField(serializers.Field):
    """An id as a JSON number: ``"7"`` is refused, as is ``true``, rather than read as 7 or 1; and a number no
    id column holds (0, negative, past 2^63 − 1, where SQLite overflows) is refused before any query sees it."""

    default_error_messages = {
        "invalid": _("An id is a whole number."),
        "out_of_range": _("No record has this id."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if not 0 < data <= LARGEST_ID:
            self.fail("out_of_range")
        return data

    def to_representation(self, value):
        return value
