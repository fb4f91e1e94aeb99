"""舆情专报 / 续报 in the API (docs/api.md, "Statements"): the next one as a document, and sending it.

``GET …/report/?format=docx|pdf`` renders the bulletin as it would be sent now, with the number it would
get (not reserved: a number is taken only when a bulletin is sent); sent bulletins stay downloadable as the
internal report's evidence and from the bulletin page. The incident in the URL is one the caller may read,
else 404; who may send is the service's rule, a 403 before the body is read.
"""

import io

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView

from incidents.access import HUMAN_ROLES, caller_of, readable_incident
from incidents.api.permissions import RoleAllows
from incidents.api.serializers import ActionSerializer, TakesOnlyItsFields
from incidents.models import Incident
from opinion_tracker.lib.api.fields import IdField
from opinion_tracker.lib.api.views import FileAnswerMixin, ServiceShellMixin

from ..bulletins.content import title_of
from ..bulletins.documents import FORMATS, preview
from ..bulletins.sending import MAX_ADVICE, ensure_may_send, send_bulletin
from ..models import Bulletin, BulletinCopy


class ReportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS), help_text="docx or pdf.")


class SendInput(TakesOnlyItsFields, serializers.Serializer):
    recipients = serializers.ListField(
        child=IdField(), help_text="Person ids of leaders of the incident's government, each once."
    )
    advice = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_ADVICE, help_text="Added under 处置建议."
    )


class CopySerializer(serializers.ModelSerializer):
    class Meta:
        model = BulletinCopy
        fields = ["recipient", "email", "email_error", "read_at"]
        read_only_fields = fields


class BulletinSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField(help_text="舆情专报, or 舆情续报 after the first about the incident.")
    action = ActionSerializer(read_only=True)
    copies = CopySerializer(many=True, read_only=True)
    docx_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["id", "number", "year", "title", "incident", "sent_by", "sent_at", "action", "copies"]
        fields += ["docx_url", "pdf_url"]
        read_only_fields = fields

    def get_title(self, bulletin) -> str:
        return title_of(bulletin.follow_up)

    def get_docx_url(self, bulletin) -> str:
        return self.document_url(bulletin, "docx")

    def get_pdf_url(self, bulletin) -> str:
        return self.document_url(bulletin, "pdf")

    def document_url(self, bulletin, extension) -> str:
        """The download page (a signed-in session), which marks a recipient's copy read."""
        return self.context["request"].build_absolute_uri(
            reverse("web:bulletin_document", args=[bulletin.pk, extension])
        )


class ReportIncidentMixin:
    permission_classes = [RoleAllows]
    filter_backends: list = []

    def incident(self) -> Incident:
        return readable_incident(caller_of(self.request), self.kwargs["incident_pk"])


class IncidentReportView(FileAnswerMixin, ReportIncidentMixin, GenericAPIView):
    """The next 舆情专报 / 续报 about the incident, as DOCX or PDF, for anyone who may read the incident."""

    roles = {"get": HUMAN_ROLES}

    @extend_schema(
        parameters=[ReportQuery],
        responses={
            (200, FORMATS["docx"].content_type): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, incident_pk):
        incident = self.incident()
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        form = FORMATS[query.validated_data["format"]]
        content = preview(incident, timezone.now())
        return FileResponse(
            io.BytesIO(form.render(content)),
            as_attachment=True,
            filename=content.file_name(form.extension),
            content_type=form.content_type,
        )


class SendReportView(ServiceShellMixin, ReportIncidentMixin, GenericAPIView):
    """Send the next bulletin to leaders: it is numbered, recorded as the internal report and emailed."""

    roles = {"post": HUMAN_ROLES}  # the service decides who sends
    serializer_class = BulletinSerializer

    @extend_schema(request=SendInput, responses={201: BulletinSerializer})
    def post(self, request, incident_pk):
        incident = self.incident()
        ensure_may_send(caller_of(request), incident)
        data = self.valid(SendInput, request)
        sent = send_bulletin(incident, **data, actor=request.user, now=timezone.now())
        sent = Bulletin.objects.select_related("action").prefetch_related("copies").get(pk=sent.pk)
        return self.respond(BulletinSerializer, sent, status.HTTP_201_CREATED)
