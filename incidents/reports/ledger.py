"""The ledger (台账): one row per incident in a report's scope, as CSV (UTF-8 with BOM) or XLSX.

Rows are read in chunks with their obligations and findings prefetched per chunk, so a year's
ledger streams in constant memory (CSV) or builds in openpyxl's write-only mode (XLSX). The XLSX
reads like a ledger on paper: a title row naming the government, the period and when it was produced,
then bold headings frozen in place with a filter over the table.

An extension is never silently an on-time (docs/rules.md, "Casework"): each extended obligation's cell says
so, and three columns give whether the incident had one (延期), the deadline before it (原定期限) and the
deadline it was extended to (延期后期限), as date cells (with several extended obligations, each named).
"""

import csv
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from incidents.models import Department, Obligation, ObligationKind
from incidents.models.organisation import walk_up
from opinion_tracker.lib.beijing import BEIJING

from .scope import with_clock_start

CHUNK = 2000
BOM = "\ufeff"
# The ledger is filed in Chinese whatever language the auditor's browser asks for (docs/api.md).
LEDGER_LANGUAGE = "zh-hans"
TIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
# Widths are in Excel's units (about one Latin character); a CJK character takes two.
TIME_WIDTH = len("2026-01-01 00:00")
MAX_WIDTH = 50
PADDING = 2
# More governments than this make a title nobody reads: the ledger is then of 全部单位.
MAX_NAMED_GOVERNMENTS = 3
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True)


def columns() -> list[tuple[str, int]]:
    """Each heading, in the ledger's language, with the width its cells typically need."""
    with translation.override(LEDGER_LANGUAGE):
        return _columns()


def _columns() -> list[tuple[str, int]]:
    return [
        (pgettext("ledger heading", "No."), 8),
        (pgettext("ledger heading", "Title"), 40),
        (pgettext("ledger heading", "Responsible department"), 24),
        (pgettext("ledger heading", "Severity"), 8),
        (pgettext("ledger heading", "State"), 10),
        (pgettext("ledger heading", "Occurred at"), TIME_WIDTH),
        (pgettext("ledger heading", "Discovered at"), TIME_WIDTH),
        (pgettext("ledger heading", "Logged at"), TIME_WIDTH),
        (pgettext("ledger heading", "Logging delay (minutes)"), 8),
        (pgettext("ledger heading", "First public response at"), TIME_WIDTH),
        (pgettext("ledger heading", "Time to first public response (hours)"), 8),
        *[(str(label), 24) for label in ObligationKind.labels],
        (pgettext("ledger heading", "Extended"), 6),
        (pgettext("ledger heading", "Original deadline"), TIME_WIDTH),
        (pgettext("ledger heading", "Extended deadline"), TIME_WIDTH),
        (pgettext("ledger heading", "Accountability"), 40),
        (pgettext("ledger heading", "Source platform"), 12),
        (pgettext("ledger heading", "Source link"), 40),
    ]


def headings() -> list[str]:
    return [heading for heading, _width in columns()]


def display_width(text: str) -> int:
    """How many Latin characters' room ``text`` takes: CJK (wide and full-width) characters count double."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_widths() -> list[int]:
    """Each column wide enough for its heading and its typical cell, within ``MAX_WIDTH``.

    Widths are decided before any row is written, as openpyxl's write-only mode requires (the ``<cols>``
    element precedes the rows): scanning a year's rows first would undo the constant memory the mode
    is there for. So the widths come from the headings and a typical cell per column; a longer cell shows
    its start and keeps the whole text.
    """
    return [min(MAX_WIDTH, max(display_width(heading), typical) + PADDING) for heading, typical in columns()]


def local(value) -> datetime | None:
    """A time as Beijing wall-clock time without its zone: spreadsheets hold no time zones, and the ledger
    is read in Beijing time."""
    return timezone.localtime(value, BEIJING).replace(tzinfo=None) if value else None


def lateness(delay) -> str:
    minutes = int(delay.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)d h %(minutes)d min late") % {"hours": hours, "minutes": minutes}


def met_late(delay) -> str:
    """Met late, in the words of the incident page ("超时完成（晚 2小时13分）")."""
    return _("met %(duration)s late") % {"duration": duration(delay)}


def duration(delay) -> str:
    minutes = int(delay.total_seconds() // 60)
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def describe(obligation: Obligation, now) -> str:
    """How an obligation stands: its state; how late it was met; or, past its deadline, only how late it is
    (the lateness says it is overdue). An extended one says so first, and, met by the extended deadline but
    after the original one, how long after the original it was met: that is not on time."""
    text = _describe(obligation, now)
    return _("extended, %(state)s") % {"state": text} if obligation.extended else text


def _describe(obligation: Obligation, now) -> str:
    if obligation.state == Obligation.State.MET_LATE:
        return met_late(obligation.met_at - obligation.due_at)
    if obligation.is_open and obligation.due_at <= now:
        return lateness(now - obligation.due_at)
    if (
        obligation.extended
        and obligation.state == Obligation.State.MET
        and obligation.met_at > obligation.original_due_at
    ):
        return _("met by the extended deadline, %(duration)s after the original one") % {
            "duration": duration(obligation.met_at - obligation.original_due_at)
        }
    return str(obligation.get_state_display())


def extension_cells(extended: list[Obligation]) -> list:
    """延期, 原定期限 and 延期后期限 of an incident's extended obligations: date cells for one (the usual case:
    by default only the verification report may be extended); for several, each deadline after its obligation."""
    if not extended:
        return [pgettext("ledger extended", "no"), "", ""]
    if len(extended) == 1:
        [obligation] = extended
        return [pgettext("ledger extended", "yes"), local(obligation.original_due_at), local(obligation.due_at)]
    return [
        pgettext("ledger extended", "yes"),
        *[
            "；".join(f"{o.get_kind_display()} {local(getattr(o, deadline)):{TIME_FORMAT}}" for o in extended)
            for deadline in ("original_due_at", "due_at")
        ],
    ]


def ledger_rows(incidents, now) -> Iterator[list]:
    rows = (
        with_clock_start(incidents)
        .select_related("department")
        .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.prefetch_related("findings")))
        .order_by("discovered_at", "pk")
    )
    for incident in rows.iterator(chunk_size=CHUNK):
        with translation.override(LEDGER_LANGUAGE):
            row = ledger_row(incident, now)
        yield row


def ledger_row(incident, now) -> list:
    obligations = {kind: [] for kind in ObligationKind.values}
    findings = []
    extended = []
    for obligation in incident.obligations.all():
        obligations[obligation.kind].append(describe(obligation, now))
        if obligation.extended:
            extended.append(obligation)
        findings += [
            f"{obligation.get_kind_display()}: {f.get_kind_display()} {f.decided_on}" for f in obligation.findings.all()
        ]
    first = incident.first_public_response_at
    return [
        incident.pk,
        incident.title,
        incident.department.name,
        str(incident.get_severity_display()),
        str(incident.get_state_display()),
        local(incident.occurred_at),
        local(incident.discovered_at),
        local(incident.logged_at),
        round((incident.logged_at - incident.discovered_at).total_seconds() / 60),
        local(first),
        round((first - incident.clock_start).total_seconds() / 3600, 2) if first else "",
        *["；".join(obligations[kind]) for kind in ObligationKind.values],
        *extension_cells(extended),
        "；".join(findings),
        incident.source_platform,
        incident.source_url,
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(row: list) -> list:
    """Text a spreadsheet would run as a formula (a title from a monitoring system, say) is kept as text,
    and control characters, which a spreadsheet cannot hold, are left out."""
    return [inert_text(value) if isinstance(value, str) else value for value in row]


def inert_text(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def government_of(department_id: int | None, visible: frozenset[int] | None) -> str:
    """Whose ledger it is, for its title and file name.

    With a department filter, the government that department answers to (itself if it is one); otherwise
    the governments over what the caller may see (``visible``, None for everything), the topmost of them, so
    a city's ledger is the city's and not also its counties'. A department with no government above it
    stands for itself. None found, or more than ``MAX_NAMED_GOVERNMENTS``: 全部单位. The organisation is read
    in one query (a few thousand rows at most) rather than one per department in scope.
    """
    tree = {pk: (parent, is_government, name) for pk, parent, is_government, name in _organisation()}
    ids = {department_id} if department_id is not None else (tree.keys() if visible is None else visible)
    nearest = {_nearest_government(pk, tree) for pk in ids if pk in tree}
    topmost = [pk for pk in tree if pk in nearest and not nearest & set(_lineage(pk, tree)[1:])]
    if not topmost or len(topmost) > MAX_NAMED_GOVERNMENTS:
        with translation.override(LEDGER_LANGUAGE):
            return pgettext("ledger title", "All departments")
    return "、".join(tree[pk][2] for pk in topmost)


def _organisation():
    return Department.objects.order_by("code").values_list("pk", "parent_id", "is_government", "name")


def _lineage(pk: int, tree: dict) -> list[int]:
    return list(walk_up(pk, lambda department: tree[department][0]))


def _nearest_government(pk: int, tree: dict) -> int:
    """The nearest government at or above ``pk``; the top of its tree when none is."""
    lineage = _lineage(pk, tree)
    return next((d for d in lineage if tree[d][1]), lineage[-1])


def title(government: str, start: date, end: date, now) -> str:
    """The title row: whose ledger, of which period, produced when (Beijing time)."""
    with translation.override(LEDGER_LANGUAGE):
        return _("%(government)s public-opinion response ledger (%(start)s to %(end)s), produced %(produced)s") % {
            "government": government,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "produced": timezone.localtime(now, BEIJING).strftime(TIME_FORMAT),
        }


UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def file_name(government: str, start: date, end: date, extension: str) -> str:
    """The Chinese name a download is saved under, without what a file system refuses."""
    with translation.override(LEDGER_LANGUAGE):
        name = pgettext("ledger file name", "%(government)s public-opinion response ledger (%(start)s-%(end)s)") % {
            "government": government,
            "start": f"{start:%Y%m%d}",
            "end": f"{end:%Y%m%d}",
        }
    return f"{UNSAFE_IN_FILE_NAMES.sub('_', name)}.{extension}"


class Echo:
    """A file-like object that hands back what is written, for streaming CSV."""

    def write(self, value):
        return value


def csv_value(value):
    return value.strftime(TIME_FORMAT) if isinstance(value, datetime) else value


def csv_lines(incidents, now) -> Iterator[str]:
    """One header row and the rows: a CSV is read by programs as much as by people, so no title row."""
    writer = csv.writer(Echo())
    yield BOM + writer.writerow(headings())
    for row in ledger_rows(incidents, now):
        yield writer.writerow([csv_value(value) for value in inert(row)])


def xlsx_workbook(incidents, now, heading: str) -> Workbook:
    """The ledger under the title ``heading`` (see ``title``): headings frozen and filtered, real date cells.

    Widths and the frozen panes go before the first row, as write-only mode needs; the filter's range is
    written at the end, once the number of rows is known.
    """
    workbook = Workbook(write_only=True)
    with translation.override(LEDGER_LANGUAGE):
        sheet = workbook.create_sheet(_("Ledger"))
    names = headings()
    for index, width in enumerate(column_widths(), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.append([styled(sheet, heading, font=TITLE_FONT)])
    sheet.append([styled(sheet, name, font=HEADING_FONT) for name in names])
    last_row = 2
    for row in ledger_rows(incidents, now):
        sheet.append([xlsx_cell(sheet, value) for value in inert(row)])
        last_row += 1
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(names))}{last_row}"
    return workbook


def styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def xlsx_cell(sheet, value):
    """Times as date cells a spreadsheet can sort and compute with; everything else as it is."""
    return styled(sheet, value, number_format=XLSX_TIME_FORMAT) if isinstance(value, datetime) else value
