"""What a scheduled report says (日报, 周报, 月报): its subject, the summary of the period's figures the email and the
group robot both carry, the 日报's audit-seal line, and the ledger attached to the email.

The figures are the compliance report's (``compliance_report``) for the government's departments and every one
below them, as the 合规统计 page shows them filtered to the government with its sub-departments; the ledger is the
one that page downloads. Like the ledger, a report is filed in Chinese whatever the site's language
(``LEDGER_LANGUAGE``).
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.access import scope_ids
from incidents.models import ObligationKind
from incidents.reports.ledger import LEDGER_LANGUAGE, file_name, title, xlsx_workbook
from incidents.reports.scope import ReportScope
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from .channels.group_text import inert
from .models import ReportKind, SentReport
from .report import compliance_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FIGURE = "—"

SUBJECTS: dict[str, Promise] = {
    ReportKind.DAILY: gettext_lazy("%(government)s public-opinion response daily report (%(day)s)"),
    ReportKind.WEEKLY: gettext_lazy("%(government)s public-opinion response weekly report (%(start)s to %(end)s)"),
    ReportKind.MONTHLY: gettext_lazy("%(government)s public-opinion response monthly report (%(month)d/%(year)d)"),
}


@dataclass(frozen=True)
class ReportText:
    """A report's words: ``subject`` (the robot message's title too) and ``lines``, the summary of its figures."""

    subject: str
    robot_title: str  # the subject, the government's name made inert: group robots render markdown
    lines: list[str]
    scope: ReportScope
    attached: str  # the email's last line, saying the ledger is attached

    def email_body(self) -> str:
        return "\n".join([self.subject, "", *self.lines, "", self.attached])

    def robot_text(self) -> str:
        return "\n".join(self.lines)


def report_text(report: SentReport, now: datetime) -> ReportText:
    """The words of ``report``, its figures as of ``now``, in the ledger's language."""
    scope = ReportScope(report.period_start, report.period_end, department_ids=scope_ids(report.government_id))
    with translation.override(LEDGER_LANGUAGE):
        lines = summary_lines(compliance_report(scope, now, at_once=False))
        if report.kind == ReportKind.DAILY:
            lines += [line for line in [seal_line(report.period_start, now)] if line]
        lines.append(_("See the figures in the tracker: %(url)s") % {"url": compliance_url(report)})
        attached = _("The ledger of the period is attached.")
        return ReportText(subject(report), subject(report, clean=inert), lines, scope, attached)


def subject(report: SentReport, clean=str) -> str:
    """「江城市人民政府政务舆情回应日报（2026-03-10）」; a 周报 names its Monday and Sunday, a 月报 its month. The
    government's name, typed by people, is on one line (a header is) and passed through ``clean``."""
    start, end = report.period_start, report.period_end
    return SUBJECTS[report.kind] % {
        "government": clean(" ".join(report.government.name.split())),
        "day": start.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "month": start.month,
        "year": start.year,
    }


def summary_lines(figures: dict) -> list[str]:
    """The period, the incidents and their public responses, how soon they came, the breaches, and the on-time
    rate of each obligation owed in the period."""
    first = figures["first_response"]
    lines = [
        _("Period: %(start)s to %(end)s") % {"start": figures["start"], "end": figures["end"]},
        _("Incidents: %(incidents)d, of which %(responded)d responded publicly (%(rate)s)")
        % {
            "incidents": figures["incidents"],
            "responded": figures["responded"],
            "rate": rate(figures["response_rate"]),
        },
        _("Time to first public response: median %(median)s, 90th percentile %(p90)s")
        % {"median": duration(first["median_seconds"]), "p90": duration(first["p90_seconds"])},
        _("Breaches: %(breaches)d; excused (容错): %(exempted)d; waived: %(waived)d")
        % {"breaches": figures["breach_count"], "exempted": figures["exempted"], "waived": figures["waived"]},
    ]
    rates = [f"{ObligationKind(row['kind']).label} {rate(row['on_time_rate'])}" for row in figures["obligations"]]
    if rates:
        lines.append(_("On-time rate by obligation: %(rates)s") % {"rates": "，".join(rates)})
    return lines


def rate(share: float | None) -> str:
    """A share as a percentage to a tenth at most (66.7%, 100%), or a dash when nothing was counted."""
    return NO_FIGURE if share is None else f"{round(share * 100, 1):g}%"


def duration(seconds: int | None) -> str:
    return NO_FIGURE if seconds is None else duration_text(seconds, countdown_patterns())


def seal_line(day: date, now: datetime) -> str:
    """The 日报's line naming the audit seal of ``day`` (every chain's head, sealed into one digest), or "" when
    there is none: a day before the first seal, or a database where the timeline is not chained."""
    # Imported here, not at the top: the seal belongs to the tamper-evident timeline, which the reports do not
    # otherwise need, and the line is empty wherever that module is not (yet) part of the installation.
    try:
        from incidents.services.audit_seal import seal_for
    except ImportError:
        return ""
    seal = seal_for(day, now)
    if seal is None:
        return ""
    return _("Audit seal of %(day)s: %(digest)s (%(chains)d chains)") % {
        "day": day.isoformat(),
        "digest": seal.digest,
        "chains": seal.chains,
    }


def compliance_url(report: SentReport) -> str:
    """The 合规统计 page of the report's period and government, sub-departments included (a sign-in)."""
    query = {
        "start": report.period_start.isoformat(),
        "end": report.period_end.isoformat(),
        "department": report.government_id,
        "include_children": "true",
    }
    return f"{settings.SITE_URL.rstrip('/')}{reverse('web:compliance')}?{urlencode(query)}"


def ledger_attachment(report: SentReport, scope: ReportScope, now: datetime) -> tuple[str, bytes, str]:
    """The period's ledger as the page downloads it: its file name, the XLSX and its content type."""
    government = report.government.name
    heading = title(government, scope.start, scope.end, now)
    buffer = io.BytesIO()
    xlsx_workbook(scope.incidents(), now, heading).save(buffer)
    return file_name(government, scope.start, scope.end, "xlsx"), buffer.getvalue(), XLSX
