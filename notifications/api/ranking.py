"""``GET /api/v1/reports/ranking/`` (docs/api.md, "Assessment and audit"): a government's departments ranked for a
period by its scoring rule, as JSON, as XLSX (``format=xlsx``) or as the DOCX draft of the 通报 (``format=docx``).

Read by auditors and administrators (any government) and by the people of a government's office (the governments
of their scope), as readiness is.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from incidents.access import caller_of
from incidents.api.permissions import OverseesDepartments
from incidents.models import Department, ObligationKind, Severity
from opinion_tracker.lib.api.views import FileAnswerMixin, ServiceShellMixin
from opinion_tracker.lib.validation import LARGEST_ID

from ..models.scoring import figure_choices
from ..ranking import default_government, ranking
from ..ranking_documents import circular_docx, file_name, ranking_xlsx
from .serializers import ComplianceReportSerializer, ReportQuery
from .views import XLSX, attachment

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
POINTS = {"max_digits": 9, "decimal_places": 2, "coerce_to_string": False}


class RankingQuery(ReportQuery):
    """The compliance report's period, judged alike, and the government whose departments are ranked (by default
    the caller's office's government, or the only government at the top)."""

    department = None
    include_children = None
    severity = None
    government = serializers.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)
    format = serializers.ChoiceField(choices=["json", "xlsx", "docx"], required=False, default="json")

    def validate_government(self, value) -> Department:
        allowed = self.context["caller"].oversight_scope()
        government = Department.objects.filter(pk=value).first()
        if government is None or allowed is False or (allowed is not None and value not in allowed):
            raise serializers.ValidationError(_("No government you may rank has this id."))
        if not government.is_government:
            raise serializers.ValidationError(_("This department is not a government."))
        return government

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("government") is None:
            attrs["government"] = default_government(self.context["caller"])
            if attrs["government"] is None:
                raise serializers.ValidationError({"government": [_("Name the government whose departments to rank.")]})
        return attrs


class WeightSerializer(serializers.Serializer):
    figure = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.DecimalField(**POINTS)


class BreachDeductionSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    points = serializers.DecimalField(**POINTS)


class RuleSerializer(serializers.Serializer):
    """The scoring rule in force: the government's own, the nearest one above, or the national one."""

    id = serializers.IntegerField(source="rule_id", allow_null=True, help_text="null: the documented defaults")
    scope = serializers.CharField(help_text="whose rule: a government's name, or 全国")
    full_marks = serializers.DecimalField(**POINTS)
    weights = serializers.SerializerMethodField()
    breach_deductions = serializers.SerializerMethodField()
    criticism_deduction = serializers.DecimalField(**POINTS)
    interview_deduction = serializers.DecimalField(**POINTS)
    exemption_credit = serializers.DecimalField(**POINTS)
    notice_threshold = serializers.DecimalField(**POINTS)

    @extend_schema_field(WeightSerializer(many=True))
    def get_weights(self, scoring) -> list[dict]:
        labels = dict(figure_choices())
        rows = [
            {"figure": code, "label": str(labels.get(code, code)), "weight": w} for code, w in scoring.weights.items()
        ]
        return WeightSerializer(rows, many=True).data

    @extend_schema_field(BreachDeductionSerializer(many=True))
    def get_breach_deductions(self, scoring) -> list[dict]:
        rows = [{"severity": s, "kind": k, "points": p} for (s, k), p in scoring.deductions.items()]
        return BreachDeductionSerializer(rows, many=True).data


class BreachCountSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    count = serializers.IntegerField()


class DepartmentFiguresSerializer(ComplianceReportSerializer):
    """The compliance report's figures for the department and its sub-departments, and its breaches counted as
    the rule deducts for them."""

    start = end = department = include_children = severity = None
    review_time = breaches = breaches_complete = None
    breaches_by_severity = BreachCountSerializer(many=True, help_text="by the incident's severity and the obligation")


class ScorePartsSerializer(serializers.Serializer):
    weighted = serializers.DecimalField(**POINTS, help_text="full marks × the weighted mean of the figures it has")
    breach_deduction = serializers.DecimalField(**POINTS)
    findings_deduction = serializers.DecimalField(**POINTS, help_text="通报批评 and 约谈整改")
    exemption_credit = serializers.DecimalField(**POINTS, help_text="容错免责")


class LeaderSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.__str__")
    entries = serializers.IntegerField(source="times.entries")
    acknowledged = serializers.IntegerField(source="times.acknowledged")
    median_seconds = serializers.IntegerField(source="times.median_seconds", allow_null=True)


class TimeToAcknowledgeSerializer(serializers.Serializer):
    """Of the escalation entries of the department's incidents addressed to its people, from each entry's first
    message to its acknowledgement; and the same for each of its leaders."""

    entries = serializers.IntegerField(source="acknowledgement.entries")
    acknowledged = serializers.IntegerField(source="acknowledgement.acknowledged")
    median_seconds = serializers.IntegerField(source="acknowledgement.median_seconds", allow_null=True)
    leaders = LeaderSerializer(many=True)


class StandingSerializer(serializers.Serializer):
    department = serializers.IntegerField(source="department.pk")
    department_name = serializers.CharField(source="department.name")
    score = serializers.DecimalField(**POINTS)
    rank = serializers.IntegerField(help_text="standard competition ranking: equal scores share a rank (1, 2, 2, 4)")
    below_threshold = serializers.BooleanField(help_text="named in the 通报")
    score_parts = ScorePartsSerializer(source="parts")
    figures = serializers.SerializerMethodField()
    time_to_acknowledge = TimeToAcknowledgeSerializer(source="*")

    @extend_schema_field(DepartmentFiguresSerializer)
    def get_figures(self, standing) -> dict:
        counted = [{"severity": s, "kind": k, "count": n} for s, k, n in standing.breach_rows]
        return DepartmentFiguresSerializer({**standing.figures, "breaches_by_severity": counted}).data


class RankingSerializer(serializers.Serializer):
    government = serializers.IntegerField(source="government.pk")
    government_name = serializers.CharField(source="government.name")
    start = serializers.DateField()
    end = serializers.DateField()
    rule = RuleSerializer(source="scoring")
    departments = StandingSerializer(source="standings", many=True)


class RankingView(FileAnswerMixin, ServiceShellMixin, APIView):
    """The ranking as JSON, or as the XLSX or the 通报 draft (``format``)."""

    permission_classes = [OverseesDepartments]

    @extend_schema(
        parameters=[RankingQuery],
        summary="A government's departments ranked by its scoring rule",
        responses={
            200: OpenApiResponse(RankingSerializer, description="JSON; with format=xlsx or docx, the file"),
            (200, XLSX): OpenApiTypes.BINARY,
            (200, DOCX): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        query = RankingQuery(data=request.query_params, context={"caller": caller_of(request)})
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        found = ranking(asked["government"], asked["start"], asked["end"], timezone.now())
        if asked["format"] == "json":
            return self.respond(RankingSerializer, found)
        extension = asked["format"]
        content, content_type = (ranking_xlsx(found), XLSX) if extension == "xlsx" else (circular_docx(found), DOCX)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = attachment(
            file_name(found, extension), fallback=f"ranking-{found.start:%Y%m%d}-{found.end:%Y%m%d}.{extension}"
        )
        return response
