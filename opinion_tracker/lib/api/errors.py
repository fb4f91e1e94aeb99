"""Errors in the shapes docs/api.md promises, whichever layer raised them."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


def tracker_exception_handler(exc, context):
    """DRF's handler, plus the domain services' ``ValidationError`` as a 400 by field.

    Services validate everything the domain knows (deadlines, states, evidence) and raise Django's
    ``ValidationError`` with a message per field; the API shows them exactly as a form would.
    """
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(as_field_errors(exc))
    elif isinstance(exc, Http404):
        exc = NotFound()  # Django's message names the model, in English; DRF's is translated
    return exception_handler(exc, context)


def as_field_errors(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    errors = {}
    for field, messages in exc.message_dict.items():
        errors[api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field] = messages
    return errors


class DetailSerializer(serializers.Serializer):
    """The body of 401, 403, 404, 405, 406, 415 and 429 answers."""

    detail = serializers.CharField(help_text=_("What went wrong, in the caller's language."))


class FieldErrorsSerializer(serializers.Serializer):
    """The body of a 400: each field (or ``non_field_errors``) with its messages."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


def not_found(request, exception):
    """Django's 404 for a URL that matches no route: JSON under /api/, as the schema promises."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """A request Django refuses before any view (too many fields, a broken multipart body)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Bad request."))}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Server error."))}, status=500)
    return defaults.server_error(request)
