"""The ranking as files: an XLSX of two sheets (the ranking; the breaches of the departments below the threshold)
styled as the ledger is, and a DOCX draft of the 通报 naming those departments and their breaches.

Both are filed in Chinese whatever language the browser asks for, as the ledger is (``LEDGER_LANGUAGE``), in the
ledger's and the 舆情专报's own pieces: the title row, bold frozen headings with a filter, widths that fit Chinese
and real date cells (``incidents.reports.ledger``); A4, 宋体 text and 黑体 headings with their East Asian font named
(``statements.bulletins.word``).
"""

import io
from datetime import date

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from incidents.models import ObligationKind
from incidents.reports.ledger import (
    HEADING_FONT,
    LEDGER_LANGUAGE,
    MAX_WIDTH,
    PADDING,
    TIME_FORMAT,
    TIME_WIDTH,
    TITLE_FONT,
    UNSAFE_IN_FILE_NAMES,
    describe,
    display_width,
    inert,
    local,
    styled,
    xlsx_cell,
)
from opinion_tracker.lib.beijing import BEIJING
from opinion_tracker.lib.durations import countdown_patterns, duration_text
from statements.bulletins.content import Table
from statements.bulletins.printing import NOTHING
from statements.bulletins.word import HEI, RED, add_text, prepare, red_rule, table_of

from .models.scoring import figure_choices, on_time
from .ranking import Ranking, Standing, plain
from .told import told_lines

PERCENT_FORMAT = "0.0%"
CHINESE_DIGITS = "零一二三四五六七八九"


def in_chinese(build):
    """Run ``build`` in the ledger's language: the files are filed in Chinese."""

    def built(*args, **kwargs):
        with translation.override(LEDGER_LANGUAGE):
            return build(*args, **kwargs)

    return built


def day(value: date) -> str:
    return _("%(month)d/%(day)d/%(year)d") % {"year": value.year, "month": value.month, "day": value.day}


def period(ranking: Ranking) -> str:
    return _("%(start)s to %(end)s") % {"start": day(ranking.start), "end": day(ranking.end)}


def duration(seconds: int | None) -> str:
    return NOTHING if seconds is None else duration_text(seconds, countdown_patterns())


def leaders_text(standing: Standing) -> str:
    """Each leader's median time to acknowledge, with how many of their entries they acknowledged."""
    return "；".join(
        _("%(person)s %(median)s (%(acknowledged)d of %(entries)d acknowledged)")
        % {
            "person": leader.person,
            "median": duration(leader.times.median_seconds),
            "acknowledged": leader.times.acknowledged,
            "entries": leader.times.entries,
        }
        for leader in standing.leaders
    )


def on_time_kinds(ranking: Ranking) -> list[str]:
    """The obligation kinds any ranked department owed in the period, in the order of docs/rules.md."""
    owed = {row["kind"] for standing in ranking.standings for row in standing.figures["obligations"]}
    return [kind for kind in ObligationKind.values if kind in owed]


def file_name(ranking: Ranking, extension: str) -> str:
    """The Chinese name a download is saved under, without what a file system refuses."""
    with translation.override(LEDGER_LANGUAGE):
        words = {
            "xlsx": _("%(government)s public-opinion response ranking (%(start)s-%(end)s)"),
            "docx": _("%(government)s circular on public-opinion responses (%(start)s-%(end)s)"),
        }[extension]
        name = words % {
            "government": ranking.government.name,
            "start": f"{ranking.start:%Y%m%d}",
            "end": f"{ranking.end:%Y%m%d}",
        }
    return f"{UNSAFE_IN_FILE_NAMES.sub('_', name)}.{extension}"


# The XLSX.


def xlsx_title(ranking: Ranking, words: str) -> str:
    return words % {
        "government": ranking.government.name,
        "start": ranking.start.isoformat(),
        "end": ranking.end.isoformat(),
        "produced": timezone.localtime(ranking.now, BEIJING).strftime(TIME_FORMAT),
    }


def add_sheet(workbook: Workbook, name: str, title: str, columns: list[tuple[str, int]], rows) -> None:
    """A sheet as the ledger's: widths first (write-only mode), a title row, bold headings frozen below it with
    a filter over the table, and each row made inert with its times as date cells."""
    sheet = workbook.create_sheet(name)
    for index, (heading, typical) in enumerate(columns, 1):
        width = min(MAX_WIDTH, max(display_width(heading), typical) + PADDING)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.append([styled(sheet, title, font=TITLE_FONT)])
    sheet.append([styled(sheet, heading, font=HEADING_FONT) for heading, _width in columns])
    last_row = 2
    for row in rows:
        sheet.append([cell(sheet, value) for value in inert(row)])
        last_row += 1
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{last_row}"


class Share(float):
    """A rate, written as a number shown in percent."""


def cell(sheet, value):
    if isinstance(value, Share):
        return styled(sheet, float(value), number_format=PERCENT_FORMAT)
    return xlsx_cell(sheet, value)


def share(rate: float | None):
    return "" if rate is None else Share(rate)


def ranking_columns(kinds: list[str]) -> list[tuple[str, int]]:
    labels = dict(figure_choices())
    return [
        (_("Rank"), 6),
        (_("Department"), 24),
        (_("Score"), 8),
        (_("Weighted figures"), 8),
        (_("Deducted for breaches"), 8),
        (_("Deducted for findings"), 8),
        (_("Credit for exemptions"), 8),
        (_("incidents"), 6),
        (str(labels["response_rate"]), 8),
        *[(str(labels[on_time(kind)]), 10) for kind in kinds],
        (_("breaches"), 6),
        (_("Criticisms (通报批评)"), 6),
        (_("Interviews (约谈整改)"), 6),
        (_("Exemptions (容错免责)"), 6),
        (_("Median time to acknowledge (minutes)"), 8),
        (_("Leaders' time to acknowledge"), 40),
        (_("Named in the circular"), 6),
    ]


def ranking_row(standing: Standing, kinds: list[str]) -> list:
    figures = standing.figures
    rates = {row["kind"]: row["on_time_rate"] for row in figures["obligations"]}
    median = standing.acknowledgement.median_seconds
    return [
        standing.rank,
        standing.department.name,
        float(standing.score),
        float(standing.parts.weighted),
        float(standing.parts.breach_deduction),
        float(standing.parts.findings_deduction),
        float(standing.parts.exemption_credit),
        figures["incidents"],
        share(figures["response_rate"]),
        *[share(rates.get(kind)) for kind in kinds],
        figures["breach_count"],
        figures["findings"]["criticism"],
        figures["findings"]["interview"],
        figures["exempted"],
        "" if median is None else round(median / 60, 1),
        leaders_text(standing),
        pgettext("ledger extended", "yes") if standing.below_threshold else pgettext("ledger extended", "no"),
    ]


def breach_columns() -> list[tuple[str, int]]:
    return [
        (_("Department"), 24),
        (_("Incident no."), 8),
        (_("Incident"), 40),
        (_("Severity"), 8),
        (_("Obligation"), 16),
        (_("due at"), TIME_WIDTH),
        (_("met at"), TIME_WIDTH),
        (_("How it stands"), 24),
        (_("who was told, when"), 40),
        (pgettext("ledger heading", "Accountability"), 40),
    ]


def told_text(obligation) -> str:
    """Who was told at each step, and on which channels it arrived (the compliance page's words)."""
    lines = []
    for line in told_lines(obligation.notifications.all()):
        channels = "、".join(line.delivered_names) or _("not delivered")
        lines.append(f"{local(line.at):%m-%d %H:%M} {line.step_label} {line.recipient}（{channels}）")
    return "；".join(lines)


def findings_text(obligation) -> str:
    return "；".join(f"{f.get_kind_display()} {f.decided_on}：{f.note}" for f in obligation.findings.all())


def breach_row(standing: Standing, obligation, now) -> list:
    incident = obligation.incident
    return [
        standing.department.name,
        incident.pk,
        incident.title,
        str(incident.get_severity_display()),
        str(obligation.get_kind_display()),
        local(obligation.due_at),
        local(obligation.met_at),
        describe(obligation, now),
        told_text(obligation),
        findings_text(obligation),
    ]


@in_chinese
def ranking_workbook(ranking: Ranking) -> Workbook:
    """The ranking sheet and the sheet of the breaches of the departments below the threshold."""
    workbook = Workbook(write_only=True)
    kinds = on_time_kinds(ranking)
    add_sheet(
        workbook,
        _("Ranking"),
        xlsx_title(
            ranking, _("%(government)s public-opinion response ranking (%(start)s to %(end)s), produced %(produced)s")
        ),
        ranking_columns(kinds),
        (ranking_row(standing, kinds) for standing in ranking.standings),
    )
    add_sheet(
        workbook,
        _("Breaches of those named"),
        xlsx_title(
            ranking,
            _("%(government)s breaches of the departments named (%(start)s to %(end)s), produced %(produced)s"),
        ),
        breach_columns(),
        (
            breach_row(standing, obligation, ranking.now)
            for standing, obligations in ranking.breaches_of_named()
            for obligation in obligations
        ),
    )
    return workbook


def ranking_xlsx(ranking: Ranking) -> bytes:
    buffer = io.BytesIO()
    ranking_workbook(ranking).save(buffer)
    return buffer.getvalue()


# The DOCX.


def numeral(n: int) -> str:
    """一 to 九十九, as Chinese documents number their parts (一、 and （一）); beyond that, the digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else f"{CHINESE_DIGITS[tens]}十")
    return prefix + (CHINESE_DIGITS[ones] if ones else "")


def paragraph(document, text: str, *, indent=True, **style):
    line = document.add_paragraph()
    if indent:
        line.paragraph_format.first_line_indent = Pt(24)
    add_text(line, text, **style)
    return line


def heading(document, number: int, text: str) -> None:
    document.add_heading(f"{numeral(number)}、{text}", level=1)


def masthead(document, ranking: Ranking) -> None:
    """The government in red above a red rule, the title, and a line saying this is a draft."""
    issuer = document.add_paragraph()
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(issuer, ranking.government.name, font=HEI, size=26, color=RED)
    red_rule(issuer)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, circular_title(ranking), font=HEI, size=22)
    note = document.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    produced = timezone.localtime(ranking.now, BEIJING).strftime(TIME_FORMAT)
    add_text(
        note,
        _("Draft produced %(produced)s: check it before it is issued.") % {"produced": produced},
        size=10,
        color=RED,
    )


def circular_title(ranking: Ranking) -> str:
    return _("Circular on the public-opinion responses of %(period)s") % {"period": period(ranking)}


def opening(document, ranking: Ranking) -> None:
    scoring = ranking.scoring
    paragraph(document, _("To every department:"), indent=False)
    paragraph(
        document,
        _(
            "Under the scoring rule of %(rule)s (full marks %(full)s; departments scoring below "
            "%(threshold)s are named), the public-opinion responses of the departments of %(government)s "
            "from %(period)s are circulated as follows."
        )
        % {
            "rule": scoring.scope,
            "full": plain(scoring.full_marks),
            "threshold": plain(scoring.notice_threshold),
            "government": ranking.government.name,
            "period": period(ranking),
        },
    )


def overview(document, ranking: Ranking) -> None:
    heading(document, 1, _("Overview"))
    standings = ranking.standings
    paragraph(
        document,
        _(
            "%(departments)d departments were ranked, with %(incidents)d incidents and %(breaches)d breaches; "
            "%(named)d scored below %(threshold)s."
        )
        % {
            "departments": len(standings),
            "incidents": sum(s.figures["incidents"] for s in standings),
            "breaches": sum(s.figures["breach_count"] for s in standings),
            "named": len(ranking.named),
            "threshold": plain(ranking.scoring.notice_threshold),
        },
    )


def percent(rate: float | None) -> str:
    return NOTHING if rate is None else f"{rate * 100:.1f}%"


def ranking_table(document, ranking: Ranking) -> None:
    heading(document, 2, _("The ranking"))
    rows = tuple(
        (
            str(s.rank),
            s.department.name,
            f"{s.score}",
            str(s.figures["incidents"]),
            percent(s.figures["response_rate"]),
            str(s.figures["breach_count"]),
            duration(s.acknowledgement.median_seconds),
        )
        for s in ranking.standings
    )
    headings = (
        _("Rank"),
        _("Department"),
        _("Score"),
        _("incidents"),
        str(dict(figure_choices())["response_rate"]),
        _("breaches"),
        _("Median time to acknowledge"),
    )
    table_of(
        document,
        Table(headings, rows, (0.08, 0.28, 0.1, 0.1, 0.12, 0.1, 0.22), _("No department was ranked.")),
    )


def named_departments(document, ranking: Ranking) -> None:
    threshold = plain(ranking.scoring.notice_threshold)
    heading(document, 3, _("Departments scoring below %(threshold)s") % {"threshold": threshold})
    named = ranking.breaches_of_named()
    if not named:
        paragraph(document, _("No department scored below %(threshold)s.") % {"threshold": threshold})
        return
    for number, (standing, obligations) in enumerate(named, 1):
        words = _("(%(number)s) %(department)s: scored %(score)s, ranked %(rank)d; %(breaches)d breaches.") % {
            "number": numeral(number),
            "department": standing.department.name,
            "score": standing.score,
            "rank": standing.rank,
            "breaches": len(obligations),
        }
        paragraph(document, words, font=HEI)
        rows = tuple(
            (
                obligation.incident.title,
                str(obligation.get_kind_display()),
                local(obligation.due_at).strftime(TIME_FORMAT),
                describe(obligation, ranking.now),
                findings_text(obligation) or NOTHING,
            )
            for obligation in obligations
        )
        headings = (
            _("Incident"),
            _("Obligation"),
            _("due at"),
            _("How it stands"),
            pgettext("ledger heading", "Accountability"),
        )
        table_of(
            document,
            Table(
                headings, rows, (0.3, 0.14, 0.16, 0.2, 0.2), _("No breach recorded; the score comes from the figures.")
            ),
        )


def closing(document, ranking: Ranking) -> None:
    heading(document, 4, _("What is required"))
    office = ranking.government.supervising_office
    paragraph(
        document,
        _(
            "The departments named are to find the causes, put them right and report in writing to %(office)s "
            "by 【date】. Every department is to keep to the response deadlines, publish authoritative information "
            "in time and answer public concerns."
        )
        % {"office": office.name if office else ranking.government.name},
    )
    for text in (ranking.government.name, day(timezone.localdate(ranking.now, BEIJING))):
        line = document.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        add_text(line, text)


@in_chinese
def circular_docx(ranking: Ranking) -> bytes:
    """The 通报 draft: the title, the period, the ranking, the departments below the threshold with their breaches,
    and what is required of them."""
    document = Document()
    prepare(document)
    properties = document.core_properties
    properties.title, properties.author = circular_title(ranking), ranking.government.name
    masthead(document, ranking)
    opening(document, ranking)
    overview(document, ranking)
    ranking_table(document, ranking)
    named_departments(document, ranking)
    closing(document, ranking)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
