"""The inbox and acknowledgement (docs/api.md, "Notifications") and the reports (docs/api.md, "Reports")."""

import io
from urllib.parse import quote

import django_filters as filters
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.views import APIView

from incidents.access import HUMAN_ROLES, caller_of
from incidents.api.filters import IdFilter
from incidents.api.permissions import RoleAllows
from incidents.reports.ledger import csv_lines, file_name, government_of, title, xlsx_workbook
from incidents.reports.scope import ReportScope
from opinion_tracker.lib.api.views import FileAnswerMixin, ServiceShellMixin

from ..acknowledgement import acknowledge
from ..breaches import breaches
from ..models import Notification
from ..report import REPORT_READERS, compliance_report, report_scope
from .serializers import BreachSerializer, ComplianceReportSerializer, NotificationSerializer, ReportQuery

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NotificationFilter(filters.FilterSet):
    incident = IdFilter(field_name="incident")
    obligation = IdFilter(field_name="obligation")
    recipient = IdFilter(field_name="recipient")

    class Meta:
        model = Notification
        fields = ["incident", "obligation", "recipient", "status"]


class NotificationViewSet(ServiceShellMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A person's own notifications; auditors and administrators see everyone's."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    permission_classes = [RoleAllows]
    roles = {"*": HUMAN_ROLES}
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        if caller_of(self.request).sees_everything:
            return super().get_queryset()
        return super().get_queryset().filter(recipient=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notification = self.get_object()
        if notification.recipient_id != request.user.pk:
            raise PermissionDenied(_("Only the recipient can acknowledge a notification."))
        acknowledge(notification, request.user, timezone.now())
        return self.respond(NotificationSerializer, notification)


class ReportScopeMixin(ServiceShellMixin):
    """Reads the report's query (start, end, department, include_children, severity)."""

    permission_classes = [RoleAllows]
    roles = {"get": REPORT_READERS}

    def report_query(self) -> dict:
        query = ReportQuery(data=self.request.query_params, context={"request": self.request})
        query.is_valid(raise_exception=True)
        return query.validated_data

    def report_scope(self, query) -> ReportScope:
        return report_scope(query, caller_of(self.request))


class ComplianceReportView(FileAnswerMixin, ReportScopeMixin, APIView):
    """The figures as JSON, or the ledger as CSV or XLSX (``format``)."""

    @extend_schema(
        parameters=[ReportQuery],
        responses={
            200: OpenApiResponse(ComplianceReportSerializer, description="JSON; with format=csv or xlsx, the ledger"),
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        query = self.report_query()
        scope = self.report_scope(query)
        now = timezone.now()
        if query["format"] in ("csv", "xlsx"):
            return self.ledger(query, scope, now)
        report = {
            **compliance_report(scope, now),
            "department": query.get("department"),
            "include_children": query["include_children"],
        }
        return self.respond(ComplianceReportSerializer, report)

    def ledger(self, query, scope, now):
        """The ledger as a download named, like its title, after its government and period."""
        government = government_of(query.get("department"), caller_of(self.request).department_ids)
        extension = query["format"]
        response = self.xlsx_ledger(scope, now, government) if extension == "xlsx" else self.csv_ledger(scope, now)
        response["Content-Disposition"] = attachment(
            file_name(government, scope.start, scope.end, extension),
            fallback=f"ledger-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{extension}",
        )
        return response

    @staticmethod
    def csv_ledger(scope, now):
        return StreamingHttpResponse(csv_lines(scope.incidents(), now), content_type="text/csv; charset=utf-8")

    @staticmethod
    def xlsx_ledger(scope, now, government):
        buffer = io.BytesIO()
        xlsx_workbook(scope.incidents(), now, title(government, scope.start, scope.end, now)).save(buffer)
        return HttpResponse(buffer.getvalue(), content_type=XLSX)


def attachment(name: str, fallback: str) -> str:
    """A Content-Disposition saving under ``name`` (UTF-8, RFC 5987's ``filename*``), or under the ASCII
    ``fallback`` for clients that know only ``filename``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class BreachListView(ReportScopeMixin, ListAPIView):
    """Every breach in a report's scope, the latest incident's first, with who was told when."""

    serializer_class = BreachSerializer
    filter_backends = []

    @extend_schema(parameters=[ReportQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return breaches(self.report_scope(self.report_query()).obligations(), timezone.now())
