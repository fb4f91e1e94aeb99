"""Extended obligations in the compliance figures and the ledger (docs/rules.md, "Casework": an extension is never
silently an on-time; "Compliance figures").

A week of ten general incidents, discovered Monday 9 to Friday 13 March 2026, each with its internal report and
its response on time, and a verification report (2 working days, extendable by up to 3 more) that fares as the
table below says. Extensions go through the casework: the lead's duty officer asks before the deadline, the
department's principal leader approves. The report is read on Thursday 19 March at noon.

| incident | discovered | verification report |
|---|---|---|
| A | Mon 10:00 | extended by 2 working days; met after the original deadline, before the new one |
| B | Mon 11:00 | the same |
| C | Tue 10:00 | extended by 2 working days; met after the new deadline too (a breach) |
| D | Tue 11:00 | extended by 2 working days; never met (a breach) |
| E | Wed 10:00 | extended by 2 working days; met before even the original deadline (on time) |
| F | Wed 11:00 | met on time; and a leader's instruction on it, replied to in time |
| G | Thu 10:00 | met late; and an instruction on it, never replied to (a breach) |
| H | Thu 11:00 | never met (a breach) |
| J | Fri 10:00 | extended by 3 working days; the new deadline still running, the original one past |
| K | Fri 11:00 | extended by 3 working days, then waived by a leader |

Figures by hand, verification report: never extended F on time, G late, H overdue; waived K; extended A, B, C, D,
E, J (6), of which met by the new deadline A, B, E (3), missed C, D (2), running J (1), on time by the original
deadline E (1). The on-time rate judges the extended ones by the original deadline: decided F, G, H and the six
extended (9, J too: its original deadline has passed), on time F and E: 2/9. Breaches: G, H, C, D and G's
instruction: 5. Outside the period, an incident of Monday 16 March with an extended verification report.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation
from openpyxl import load_workbook

from incidents.casework.instructions import give_instruction
from incidents.casework.requests import approve, ask_extension
from incidents.models import Obligation, ObligationKind, Role
from incidents.reports import ledger
from incidents.reports.compliance import compliance_figures, monthly_figures
from incidents.reports.scope import ReportScope
from incidents.services.actions import record_action
from incidents.services.obligations import mark_due_obligations_overdue, waive
from notifications.report import compliance_report

from ..clients import client_for
from ..conftest import beijing
from ..factories import PersonFactory

H = timedelta(hours=1)
DAY = timedelta(days=1)
REPORT_AT = beijing(2026, 3, 19, 12, 0)
QUERY = {"start": "2026-03-09", "end": "2026-03-13"}
SCOPE = ReportScope(date(2026, 3, 9), date(2026, 3, 13))


def extend(org, obligation, due_at, now):
    """Asked for by the lead's duty officer before the deadline, approved by the department's principal leader."""
    request = ask_extension(obligation, due_at=due_at, reason="需补充调查取证", actor=org.duty_officer, now=now)
    approve(request, note="同意延期", actor=org.leader, now=now)
    obligation.refresh_from_db()
    assert (obligation.extended, obligation.due_at) == (True, due_at)
    return obligation


def verify(incident, at):
    record_action(incident, kind="verification_report", published_at=at, summary="核查报告", now=at)


@pytest.fixture
def week(org, log):
    """The incidents of the table above, by letter, each with its verification report obligation."""
    made = {}
    for letter, discovered in [
        ("A", beijing(2026, 3, 9, 10)),
        ("B", beijing(2026, 3, 9, 11)),
        ("C", beijing(2026, 3, 10, 10)),
        ("D", beijing(2026, 3, 10, 11)),
        ("E", beijing(2026, 3, 11, 10)),
        ("F", beijing(2026, 3, 11, 11)),
        ("G", beijing(2026, 3, 12, 10)),
        ("H", beijing(2026, 3, 12, 11)),
        ("J", beijing(2026, 3, 13, 10)),
        ("K", beijing(2026, 3, 13, 11)),
        ("Z", beijing(2026, 3, 16, 10)),  # outside the period
    ]:
        incident = log(title=f"事件{letter}", severity="general", discovered_at=discovered)
        record_action(incident, kind="internal_report", published_at=discovered + H, summary="报告", now=discovered + H)
        statement = discovered + 3 * H
        record_action(
            incident, kind="statement", published_at=statement, evidence_url="https://gov.cn/1", now=statement
        )
        made[letter] = (incident, incident.obligations.get(kind=ObligationKind.VERIFICATION_REPORT))
    ends = {letter: obligation.due_at for letter, (_incident, obligation) in made.items()}
    # The deadlines of "2 working days" from each discovery day (24:00 Beijing time of the second working day).
    assert [ends[letter] for letter in "ACEGJ"] == [beijing(2026, 3, day) for day in (12, 13, 14, 17, 18)]

    def extended(letter, to):
        incident, obligation = made[letter]
        asked = incident.discovered_at + 2 * H
        made[letter] = (incident, extend(org, obligation, to, asked))

    extended("A", beijing(2026, 3, 14))  # to the end of Friday
    extended("B", beijing(2026, 3, 14))
    extended("C", beijing(2026, 3, 17))  # to the end of Monday
    extended("D", beijing(2026, 3, 17))
    extended("E", beijing(2026, 3, 18))  # to the end of Tuesday
    extended("J", beijing(2026, 3, 21))  # to the end of Friday 20: the 3 further working days allowed
    extended("K", beijing(2026, 3, 21))
    extended("Z", beijing(2026, 3, 20))

    verify(made["A"][0], beijing(2026, 3, 12, 15))  # 15 h after the original deadline
    verify(made["B"][0], beijing(2026, 3, 13, 10))
    verify(made["C"][0], beijing(2026, 3, 18, 9))  # 33 h after the extended deadline
    verify(made["E"][0], beijing(2026, 3, 13, 9))  # before the original deadline
    verify(made["F"][0], beijing(2026, 3, 12, 10))
    verify(made["G"][0], beijing(2026, 3, 17, 10))
    verify(made["Z"][0], beijing(2026, 3, 19, 9))  # after its original deadline (end of Wed 18)

    _k, waived = made["K"]
    waive(waived, reason="经核实为重复线索，领导批准免于核查", approver=org.leader, now=beijing(2026, 3, 16, 9))

    for letter, replied in (("F", True), ("G", False)):
        incident = made[letter][0]
        given = incident.discovered_at + 2 * H
        instruction = give_instruction(
            incident, text="请核实并报告", departments=[org.department], actor=org.mayor, now=given
        )
        if replied:
            at = given + 6 * H
            record_action(
                incident,
                kind="instruction_reply",
                published_at=at,
                summary="已核实",
                now=at,
                department=org.department,
                instruction=instruction,
            )
    mark_due_obligations_overdue(REPORT_AT)
    return {letter: Obligation.objects.get(pk=obligation.pk) for letter, (_incident, obligation) in made.items()}


@pytest.fixture
def auditor(org):
    return client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))


VERIFICATION = {
    "kind": "verification_report",
    "decided": 9,
    "met_on_time": 1,
    "met_late": 1,
    "overdue": 1,
    "running": 0,
    "waived": 1,
    "on_time_rate": round(2 / 9, 4),
    "extended": 6,
    "extended_met": 3,
    "extended_missed": 2,
    "extended_running": 1,
    "extended_on_time": 1,
}
INSTRUCTION = {
    "kind": "instruction",
    "decided": 2,
    "met_on_time": 1,
    "met_late": 0,
    "overdue": 1,
    "running": 0,
    "waived": 0,
    "on_time_rate": 0.5,
    "extended": 0,
    "extended_met": 0,
    "extended_missed": 0,
    "extended_running": 0,
    "extended_on_time": 0,
}
ON_TIME_FOR_ALL = {
    "decided": 10,
    "met_on_time": 10,
    "met_late": 0,
    "overdue": 0,
    "running": 0,
    "waived": 0,
    "on_time_rate": 1.0,
    "extended": 0,
    "extended_met": 0,
    "extended_missed": 0,
    "extended_running": 0,
    "extended_on_time": 0,
}
TOTALS = {"extended": 6, "extended_met": 3, "extended_missed": 2, "extended_running": 1, "extended_on_time": 1}
EXTENDED_NAMES = tuple(TOTALS)


def test_the_figures_count_extended_obligations_apart_in_process(week):
    figures = compliance_figures(SCOPE, REPORT_AT)

    assert figures["incidents"] == 10
    by_kind = {row["kind"]: row for row in figures["obligations"]}
    assert list(by_kind) == ["internal_report", "response", "verification_report", "instruction"]
    assert by_kind["verification_report"] == VERIFICATION
    assert by_kind["instruction"] == INSTRUCTION
    assert by_kind["internal_report"] == {"kind": "internal_report", **ON_TIME_FOR_ALL}
    assert by_kind["response"] == {"kind": "response", **ON_TIME_FOR_ALL}
    assert {name: figures[name] for name in TOTALS} == TOTALS
    assert figures["extended_by_kind"] == [
        {name: row[name] for name in ("kind", *EXTENDED_NAMES)} for row in figures["obligations"]
    ]
    assert figures["waived"] == 1
    assert figures["breach_count"] == 5  # G and H, C and D extended but missed, G's instruction
    assert figures["exempted"] == 0


def test_every_obligation_is_in_exactly_one_count(week):
    figures = compliance_figures(SCOPE, REPORT_AT)
    in_scope = Obligation.objects.filter(incident__title__in=[f"事件{letter}" for letter in "ABCDEFGHJK"])
    for row in figures["obligations"]:
        parts = ("met_on_time", "met_late", "overdue", "running", "waived", "extended")
        assert sum(row[name] for name in parts) == in_scope.filter(kind=row["kind"]).count()
        assert row["extended"] == row["extended_met"] + row["extended_missed"] + row["extended_running"]


def test_an_extension_never_makes_an_on_time(week):
    """A and B were met by their extended deadline but after the original one: the rate counts them as not on
    time, exactly as had they not been extended and been met late (2 / 9 either way)."""
    verification = next(
        row for row in compliance_figures(SCOPE, REPORT_AT)["obligations"] if row["kind"] == "verification_report"
    )
    assert verification["met_on_time"] + verification["extended_on_time"] == 2  # F and E, not A and B
    assert verification["on_time_rate"] == 0.2222
    assert week["A"].state == Obligation.State.MET, "met by the extended deadline, as the incident page says"


def test_the_api_gives_the_same_figures(week, auditor):
    with time_machine.travel(REPORT_AT, tick=False):
        answer = auditor.get("/api/v1/reports/compliance/", QUERY)
        in_process = compliance_report(SCOPE, REPORT_AT)
    assert answer.status_code == 200, answer.json()
    report = answer.json()

    by_kind = {row["kind"]: row for row in report["obligations"]}
    first_wave = ("kind", "decided", "met_on_time", "met_late", "overdue", "running", "waived", "on_time_rate")
    assert by_kind["verification_report"] == {name: VERIFICATION[name] for name in first_wave}
    assert by_kind["instruction"] == {name: INSTRUCTION[name] for name in first_wave}
    assert {name: report[name] for name in TOTALS} == TOTALS
    extended_by_kind = {row["kind"]: row for row in report["extended_by_kind"]}
    assert list(extended_by_kind) == list(by_kind)
    assert extended_by_kind["verification_report"] == {"kind": "verification_report", **TOTALS}
    assert extended_by_kind["instruction"] == {"kind": "instruction", **dict.fromkeys(EXTENDED_NAMES, 0)}
    assert report["breach_count"] == in_process["breach_count"] == 5
    assert report["waived"] == 1
    breached = {(b["incident_title"], b["kind"]) for b in report["breaches"]}
    assert breached == {
        ("事件C", "verification_report"),
        ("事件D", "verification_report"),
        ("事件G", "verification_report"),
        ("事件H", "verification_report"),
        ("事件G", "instruction"),
    }
    assert report["extended_by_kind"] == in_process["extended_by_kind"]
    assert report["obligations"] == [{name: row[name] for name in first_wave} for row in in_process["obligations"]]


def test_the_monthly_rate_judges_extended_obligations_by_the_original_deadline(week):
    [march] = monthly_figures(SCOPE, REPORT_AT)
    # internal reports 10/10, responses 10/10, verification reports 2/9, instructions 1/2
    assert march["incidents"] == 10
    assert march["on_time_rate"] == round((10 + 10 + 2 + 1) / (10 + 10 + 9 + 2), 4)


def test_an_extended_obligation_still_before_its_original_deadline_is_not_judged(org, log):
    discovered = beijing(2026, 3, 9, 10)
    incident = log(title="事件L", severity="general", discovered_at=discovered)
    record_action(incident, kind="internal_report", published_at=discovered + H, summary="报告", now=discovered + H)
    report = incident.obligations.get(kind=ObligationKind.VERIFICATION_REPORT)
    extend(org, report, beijing(2026, 3, 14), discovered + H)
    on_monday = discovered + 4 * H

    [row] = [r for r in compliance_figures(SCOPE, on_monday)["obligations"] if r["kind"] == "verification_report"]

    assert (row["extended"], row["extended_running"], row["decided"], row["on_time_rate"]) == (1, 1, 0, None)
    [march] = monthly_figures(SCOPE, on_monday)
    assert march["on_time_rate"] == 1.0  # the internal report alone is decided


def ledger_sheet(auditor):
    with time_machine.travel(REPORT_AT, tick=False):
        response = auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "xlsx"})
        text = b"".join(auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "csv"}).streaming_content)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headings = list(rows[1])
    by_title = {row[headings.index("标题")]: dict(zip(headings, row, strict=True)) for row in rows[2:]}
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    csv_by_title = {line[1]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    return sheet, headings, by_title, csv_by_title


def test_the_ledger_shows_each_extension(week, auditor):
    sheet, headings, rows, csv_rows = ledger_sheet(auditor)

    assert (
        headings.index("延期") < headings.index("原定期限") < headings.index("延期后期限") < headings.index("问责处理")
    )
    assert headings.index("领导批示") < headings.index("延期")
    assert len(rows) == 10
    assert {title: row["延期"] for title, row in rows.items()} == {
        f"事件{letter}": "是" if letter in "ABCDEJK" else "否" for letter in "ABCDEFGHJK"
    }
    a = rows["事件A"]
    assert a["原定期限"] == datetime(2026, 3, 12, 0, 0)  # date cells in Beijing time
    assert a["延期后期限"] == datetime(2026, 3, 14, 0, 0)
    column = headings.index("原定期限") + 1
    assert sheet.cell(row=3, column=column).is_date
    assert sheet.cell(row=3, column=column).number_format == "yyyy-mm-dd hh:mm"
    assert (rows["事件F"]["原定期限"], rows["事件F"]["延期后期限"]) == (None, None)

    report = "核实调查报告"
    assert a[report] == "已延期，延期时限内完成（晚于原定期限 15小时0分）"
    assert rows["事件E"][report] == "已延期，按时完成"
    assert rows["事件C"][report] == "已延期，超时完成（晚 33小时0分）"
    assert rows["事件D"][report] == "已延期，超时60小时0分"  # since the end of Monday 16
    assert rows["事件K"][report] == "已延期，已豁免"
    assert rows["事件F"][report] == "按时完成"
    assert rows["事件F"]["领导批示"] == "按时完成"
    assert rows["事件G"]["领导批示"].startswith("超时")

    assert list(csv_rows["事件A"]) == headings  # one header row, the same columns
    assert csv_rows["事件A"]["延期"] == "是"
    assert csv_rows["事件A"]["原定期限"] == "2026-03-12 00:00"
    assert csv_rows["事件A"]["延期后期限"] == "2026-03-14 00:00"
    assert csv_rows["事件F"]["延期"] == "否"
    assert csv_rows["事件F"]["原定期限"] == ""


def test_several_extended_obligations_of_one_incident_are_each_named():
    """By default only the verification report may be extended; a government's policy may allow more."""
    report = Obligation(
        kind=ObligationKind.VERIFICATION_REPORT,
        original_due_at=beijing(2026, 3, 12),
        due_at=beijing(2026, 3, 14),
    )
    internal = Obligation(
        kind=ObligationKind.INTERNAL_REPORT,
        original_due_at=beijing(2026, 3, 11, 9),
        due_at=beijing(2026, 3, 12, 9),
    )
    with translation.override("zh-hans"):
        cells = ledger.extension_cells([internal, report])
    assert cells == [
        "是",
        "内部报告 2026-03-11 09:00；核实调查报告 2026-03-12 00:00",
        "内部报告 2026-03-12 09:00；核实调查报告 2026-03-14 00:00",
    ]


def test_the_compliance_page_shows_the_extended_counts(week, org, client):
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    client.force_login(auditor)
    with time_machine.travel(REPORT_AT, tick=False):
        page = client.get("/compliance/", {**QUERY, "include_children": "on"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<th>延期</th>" in html
    assert "<th>延期时限内完成</th>" in html
    assert (
        "<td>核实调查报告</td><td>1</td><td>1</td><td>1</td><td>0</td><td>1</td><td>6</td><td>3</td><td>22%</td>"
        in html
    )
    assert "<td>领导批示</td>" in html
    assert "延期事项单独统计" in html
    assert "已延期，原定期限 2026-03-13 00:00" in html  # C, in the breaches: extended from the end of Thursday 12
