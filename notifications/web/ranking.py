"""The ranking page (考核排名) for auditors, administrators and the government office: a government's departments
ranked for a period by its scoring rule, a bar chart of the scores, and the XLSX and the 通报 draft to download.

The query is judged by the API's own ``RankingQuery``, so the page and the API accept and refuse alike; the
downloads are the API's files, fetched with the page's session. The chart is SVG drawn by the template from
``incidents.reports.charts``' geometry: no script and no style attribute, which the CSP refuses. The table takes the
breach list's classes, so that on a phone each department is a card with every cell under its heading.
"""

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from incidents.access import caller_of
from incidents.models import Department
from incidents.reports.charts import Bar, Chart
from incidents.web.access import PersonPage
from incidents.web.forms import DateInput
from opinion_tracker.lib.durations import countdown_patterns, duration_text
from opinion_tracker.lib.forms import add_new_service_errors

from ..api.ranking import RankingQuery
from ..ranking import Ranking, plain, ranking


class RankingForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("from"), widget=DateInput)
    end = forms.DateField(label=gettext_lazy("to"), widget=DateInput)
    government = forms.ModelChoiceField(Department.objects.none(), label=gettext_lazy("government"))

    def __init__(self, *args, caller, **kwargs):
        super().__init__(*args, **kwargs)
        governments = Department.objects.filter(is_government=True).order_by("code")
        allowed = caller.oversight_scope()
        self.fields["government"].queryset = governments if allowed is None else governments.filter(pk__in=allowed)


def query_of(params, today) -> dict:
    """The page's query as the API reads it; a first visit asks for this year so far, of the default government."""
    if "start" not in params:
        return {"start": f"{today:%Y}-01-01", "end": f"{today:%Y-%m-%d}"}
    return {key: params[key] for key in ("start", "end", "government") if params.get(key)}


def score_chart(found: Ranking) -> Chart:
    """Each department's score as a bar of full marks, in rank order."""
    full = found.scoring.full_marks
    bars = [
        Bar(standing.department.name, f"{standing.score}", float(standing.score / full)) for standing in found.standings
    ]
    caption = _("Scores (below %(threshold)s: named in the circular)") % {
        "threshold": plain(found.scoring.notice_threshold)
    }
    return Chart(caption, bars)


def acknowledgement_chart(found: Ranking) -> Chart:
    """Each department's median time to acknowledge, as a share of the slowest one's."""
    medians = [standing.acknowledgement.median_seconds for standing in found.standings]
    slowest = max((median for median in medians if median is not None), default=0) or 1
    patterns = countdown_patterns()
    bars = [
        Bar(
            standing.department.name,
            "—" if median is None else duration_text(median, patterns),
            (median or 0) / slowest,
        )
        for standing, median in zip(found.standings, medians, strict=True)
    ]
    return Chart(_("Median time to acknowledge"), bars)


class RankingView(PersonPage, TemplateView):
    template_name = "tracker/ranking.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and caller_of(request).oversight_scope() is False:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        now = timezone.now()
        query = query_of(self.request.GET, timezone.localdate(now))
        checked = RankingQuery(data=query, context={"caller": self.caller})
        valid = checked.is_valid()
        if valid:
            query["government"] = checked.validated_data["government"].pk
        form = RankingForm(query, caller=self.caller)
        context = {**super().get_context_data(**kwargs), "form": form, "now": now}
        if not valid:
            form.is_valid()
            add_new_service_errors(form, checked.errors)
            return context
        asked = checked.validated_data
        found = ranking(asked["government"], asked["start"], asked["end"], now)
        files = reverse("api:report-ranking")
        return {
            **context,
            "ranking": found,
            "charts": [score_chart(found), acknowledgement_chart(found)],
            "full_marks": plain(found.scoring.full_marks),
            "threshold": plain(found.scoring.notice_threshold),
            "xlsx_url": f"{files}?{urlencode({**query, 'format': 'xlsx'})}",
            "docx_url": f"{files}?{urlencode({**query, 'format': 'docx'})}",
        }
