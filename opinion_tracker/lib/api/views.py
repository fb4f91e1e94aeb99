"""What API views share: the shell around a domain service, and answers that may be files."""

from typing import TYPE_CHECKING

from rest_framework import status
from rest_framework.response import Response

if TYPE_CHECKING:  # what the mixins are mixed into, for the type checker only
    from rest_framework.generics import GenericAPIView as View
else:
    View = object


class ServiceShellMixin(View):
    """Parse the body with an input serializer, hand it to a service, answer with a serializer.

    Services raise Django's ``ValidationError`` for what the domain refuses; the exception handler
    turns it into the same 400 by field as a serializer's own errors.
    """

    def valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, serializer_class, instance, code=status.HTTP_200_OK) -> Response:
        return Response(serializer_class(instance, context={"request": self.request}).data, code)

    def paginated(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return self.get_paginated_response(data)


class FileAnswerMixin(View):
    """For views whose answer may be a file (CSV, XLSX, PDF…): a client that asks for that type by
    ``Accept`` gets it, rather than a 406 from DRF, whose renderers know only JSON."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
