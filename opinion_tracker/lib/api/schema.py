"""The OpenAPI schema: every operation documents the errors it can answer with, not only success."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema

from .errors import DetailSerializer, FieldErrorsSerializer

ERRORS = {
    "400": (FieldErrorsSerializer, _("Invalid input: messages by field.")),
    "401": (DetailSerializer, _("Not signed in.")),
    "403": (DetailSerializer, _("The caller's role does not allow this.")),
    "404": (DetailSerializer, _("No such object within the caller's scope.")),
    "405": (DetailSerializer, _("Method not allowed.")),
    "406": (DetailSerializer, _("The requested media type cannot be produced.")),
    "415": (DetailSerializer, _("Unsupported media type.")),
    "429": (DetailSerializer, _("Too many attempts; try again later.")),
}


class TrackerAutoSchema(AutoSchema):
    """drf-spectacular's schema with the standard error answers added to each operation.

    Every operation may answer 400 (a bad body or query parameter), 401, 403, 404 (an id, or a page,
    that is not there), 405, 406 and 429; one that reads a body, 415 for a body of the wrong type.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                serializer, description = ERRORS[code]
                responses[code] = self._get_response_for_code(serializer, code, direction=direction)
                responses[code]["description"] = description
        return responses

    def error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "405", "406", "429"]
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body:
            codes.append("415")
        return codes
