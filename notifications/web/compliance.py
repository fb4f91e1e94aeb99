"""The auditors' compliance page: the figures of docs/rules.md for a period, department and severity, three
charts, the latest breaches with who was told when, and the ledger to download.

The query is judged by the API's own ``ReportQuery``, so the page and the API accept and refuse alike;
the downloads are the API's CSV and XLSX, fetched with the page's session.
"""

from urllib.parse import urlencode

from django import forms
from django.db.models import Case, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from incidents.forms import department_filter, severity_filter
from incidents.models import Department, Obligation, ObligationKind
from incidents.reports.charts import first_response_chart, monthly_chart, on_time_chart
from incidents.reports.compliance import monthly_figures
from incidents.web.access import PersonPage
from incidents.web.forms import DateInput
from opinion_tracker.lib.contributions import Section, bounded
from opinion_tracker.lib.forms import add_new_service_errors

from ..api.serializers import ReportQuery
from ..report import compliance_report, report_scope
from .findings import findings_form
from .pages import COMPLIANCE


class ComplianceForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=DateInput)
    end = forms.DateField(label=_("to"), widget=DateInput)
    department = department_filter(Department.objects.order_by("name"))
    include_children = forms.BooleanField(label=_("with sub-departments"), required=False)
    severity = severity_filter()


def query_of(params, today) -> dict:
    """The page's query as the API reads it; a first visit asks for this year so far, sub-departments included."""
    if "start" not in params:
        return {"start": f"{today:%Y}-01-01", "end": f"{today:%Y-%m-%d}", "include_children": "true"}
    query = {key: params[key] for key in ("start", "end", "department", "severity") if params.get(key)}
    query["include_children"] = "true" if params.get("include_children") else "false"
    return query


def rectifications(scope) -> Section:
    """The rectification reports asked for on the period's incidents, those still owed first, by deadline."""
    asked = scope.obligations().filter(kind=ObligationKind.RECTIFICATION)
    related = asked.select_related("incident", "department", "finding", "met_by")
    still_owed = Case(When(state__in=Obligation.OPEN_STATES, then=0), default=1)
    return bounded(related.order_by(still_owed, "due_at", "pk"))


class ComplianceView(PersonPage, TemplateView):
    roles = COMPLIANCE.roles
    template_name = "tracker/compliance.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        query = query_of(self.request.GET, timezone.localdate(now))
        form = ComplianceForm({**query, "include_children": query["include_children"] == "true"})
        checked = ReportQuery(data=query)
        context = {**super().get_context_data(**kwargs), "form": form, "now": now}
        if not checked.is_valid():
            form.is_valid()
            add_new_service_errors(form, checked.errors)
            return context
        scope = report_scope(checked.validated_data, self.caller)
        report = compliance_report(scope, now)
        for breach in report["breaches"]:  # each breach row has its own form, prefixed by its id
            breach.finding_form = findings_form(breach)
        ledger = reverse("api:report-compliance")
        return {
            **context,
            "report": report,
            "charts": [
                on_time_chart(report["obligations"]),
                first_response_chart(report),
                monthly_chart(monthly_figures(scope, now)),
            ],
            "rectifications": rectifications(scope),
            "csv_url": f"{ledger}?{urlencode({**query, 'format': 'csv'})}",
            "xlsx_url": f"{ledger}?{urlencode({**query, 'format': 'xlsx'})}",
        }
