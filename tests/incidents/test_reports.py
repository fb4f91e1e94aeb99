"""The compliance report on a data set whose figures are known in advance (docs/rules.md, "Compliance figures").

100 general incidents, shaped like the 人民网 benchmark: 87 answered publicly, 57 within 24 hours and
73 within 48 hours of the event (20 of them within 5 hours); half the internal reports on time; 15
logged two hours after discovery, the rest after ten minutes.
"""

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection, transaction
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from incidents.access import scope_ids, subtree_ids
from incidents.models import Incident, Role
from incidents.reports.compliance import compliance_figures
from incidents.reports.scope import ReportScope
from incidents.reports.stats import SORT_MEMORY, aggregate_with_durations
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from notifications.enforcement import enforce
from notifications.report import compliance_report

from ..clients import client_for
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

START = beijing(2026, 3, 1, 8, 0)
LATER = beijing(2026, 4, 20, 12, 0)
H = timedelta(hours=1)
# (how many incidents, hours from the event to the first public response or None)
RESPONSES = [(20, 3), (37, 10), (16, 30), (14, 60), (13, None)]
QUERY = {"start": "2026-03-01", "end": "2026-03-31", "severity": "general"}


def build(org, sub_department):
    n = 0
    for count, hours in RESPONSES:
        for _ in range(count):
            occurred = START + n * 6 * H
            discovered = occurred + H
            logged = discovered + (2 * H if n % 100 >= 85 else timedelta(minutes=10))
            department = sub_department if n % 2 else org.department
            incident = log_incident(
                title=f"事件{n}",
                severity="general",
                department=department,
                occurred_at=occurred,
                discovered_at=discovered,
                now=logged,
                actor=org.duty_officer,
            )
            if n % 2 == 0:
                record_action(
                    incident, kind="internal_report", published_at=discovered + H, summary="报告", now=logged + H
                )
            if hours is not None:
                published = occurred + hours * H
                record_action(
                    incident, kind="statement", published_at=published, evidence_url="https://gov.cn/1", now=published
                )
            n += 1


@pytest.fixture
def auditor(org):
    sub = DepartmentFactory(name="市交通局执法支队", parent=org.department)
    build(org, sub)
    # Outside the report: another severity, and an incident discovered before the period.
    log_incident(title="重大事件", severity="major", department=org.department, discovered_at=START, now=START)
    early = START - 10 * 24 * H
    log_incident(title="二月事件", severity="general", department=org.department, discovered_at=early, now=early)
    with time_machine.travel(LATER, tick=False):
        yield client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))


def test_the_figures_are_exactly_the_known_ones(auditor):
    report = auditor.get("/api/v1/reports/compliance/", QUERY)
    assert report.status_code == 200, report.json()
    figures = report.json()

    assert figures["incidents"] == 100
    assert figures["responded"] == 87
    assert figures["response_rate"] == 0.87
    first = figures["first_response"]
    assert first["within_5h"] == {"count": 20, "share": 0.2}
    assert first["within_24h"] == {"count": 57, "share": 0.57}
    assert first["within_48h"] == {"count": 73, "share": 0.73}
    assert first["median_seconds"] == 10 * 3600  # rank 44 of 87
    assert first["p90_seconds"] == 60 * 3600  # rank 79 of 87
    assert first["max_seconds"] == 60 * 3600

    by_kind = {row["kind"]: row for row in figures["obligations"]}
    assert by_kind["response"] == {
        "kind": "response",
        "decided": 100,
        "met_on_time": 73,
        "met_late": 14,
        "overdue": 13,
        "running": 0,
        "waived": 0,
        "on_time_rate": 0.73,
    }
    assert by_kind["internal_report"]["on_time_rate"] == 0.5
    assert figures["logging_delay"] == {"median_seconds": 600, "p90_seconds": 7200, "max_seconds": 7200}
    assert figures["breach_count"] == 14 + 13 + 50 + 100  # responses late or missing, internal and verification reports


def test_a_response_at_the_windows_last_microsecond_is_within_it(org, log):
    start = beijing(2026, 3, 10, 8, 0)
    for title, after in [("五小时整回应", 5 * H), ("晚一微秒回应", 5 * H + timedelta(microseconds=1))]:
        incident = log(title=title, severity="general", occurred_at=start, discovered_at=start + H)
        published = start + after
        record_action(
            incident, kind="statement", published_at=published, evidence_url="https://gov.cn/1", now=published
        )
    figures = compliance_figures(ReportScope(start.date(), start.date()), start + 10 * H)
    assert figures["first_response"]["within_5h"] == {"count": 1, "share": 0.5}
    assert figures["first_response"]["max_seconds"] == 5 * 3600


def test_durations_are_whole_seconds_rounded_half_to_even_on_every_database(org, log):
    """Logged 0.5, 2.5, 3.5 and 4.5 seconds after discovery: the median is the second of the four (2.5 s, so 2),
    the 90th percentile and the maximum the fourth (4.5 s, so 4), as Python's ``round`` gives them on SQLite and
    as PostgreSQL gives them from the whole seconds it ranks (rounded half up, they would be 3 and 5)."""
    start = beijing(2026, 3, 10, 8, 0)
    for n, delay in enumerate([3.5, 0.5, 4.5, 2.5]):
        log(title=f"事件{n}", discovered_at=start + n * H, now=start + n * H + timedelta(seconds=delay))
    figures = compliance_figures(ReportScope(start.date(), start.date()), start + 10 * H)
    assert figures["logging_delay"] == {"median_seconds": 2, "p90_seconds": 4, "max_seconds": 4}


def test_department_scope_with_and_without_sub_departments(auditor, org):
    with_children = auditor.get("/api/v1/reports/compliance/", {**QUERY, "department": org.department.pk}).json()
    alone = auditor.get(
        "/api/v1/reports/compliance/", {**QUERY, "department": org.department.pk, "include_children": "false"}
    ).json()
    assert with_children["incidents"] == 100
    assert alone["incidents"] == 50
    everything = auditor.get("/api/v1/reports/compliance/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert everything["incidents"] == 101


def test_the_topmost_government_reports_all_under_it_as_the_report_of_everything(auditor, org):
    """The government with every department under it is read without a filter by department (a province's four
    thousand): the same figures as asking for no department."""
    query = {"start": "2026-03-01", "end": "2026-03-31"}
    government = auditor.get("/api/v1/reports/compliance/", {**query, "department": org.government.pk}).json()
    everything = auditor.get("/api/v1/reports/compliance/", query).json()
    assert (government.pop("department"), everything.pop("department")) == (org.government.pk, None)
    assert government == everything
    assert government["incidents"] == 101
    assert scope_ids(org.government.pk) is None
    elsewhere = DepartmentFactory(name="海城市人民政府", is_government=True)
    assert scope_ids(org.government.pk) == subtree_ids(org.government.pk) != subtree_ids(elsewhere.pk)


def ledger(client, query):
    """The ledger's sheet as a spreadsheet program opens it, and the response it came in."""
    response = client.get("/api/v1/reports/compliance/", {**query, "format": "xlsx"})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).active, response


def column(sheet, heading) -> int:
    return next(cell.column for cell in sheet[2] if cell.value == heading)


def test_the_ledger_as_xlsx_and_csv(auditor):
    sheet, xlsx = ledger(auditor, QUERY)
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("编号", "标题", "责任部门", "等级")
    assert "首次公开回应时间" in rows[1]
    assert "问责处理" in rows[1]
    assert len(rows) == 2 + 100
    assert rows[2][1] == "事件0"

    text = b"".join(auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "csv"}).streaming_content)
    assert text.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0] == list(rows[1])  # one header row, no title
    assert len(lines) == 1 + 100
    assert lines[1][6] == "2026-03-01 09:00"  # discovered at, Beijing time


def test_the_xlsx_ledger_has_a_title_row_and_bold_frozen_filtered_headings(auditor):
    sheet, _response = ledger(auditor, QUERY)
    assert sheet["A1"].value == "江城市人民政府 政务舆情回应台账（2026-03-01 至 2026-03-31） 生成于 2026-04-20 12:00"
    assert sheet["A1"].font.b
    assert all(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:{get_column_letter(sheet.max_column)}{2 + 100}"


def test_ledger_times_are_date_cells_in_beijing_time(auditor):
    sheet, _response = ledger(auditor, QUERY)
    discovered = sheet.cell(row=3, column=column(sheet, "发现时间"))
    assert discovered.is_date
    assert discovered.value == datetime(2026, 3, 1, 9, 0)  # 01:00 UTC
    assert discovered.number_format == "yyyy-mm-dd hh:mm"


def test_ledger_columns_are_wide_enough_for_chinese_text(auditor):
    sheet, _response = ledger(auditor, QUERY)
    width = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[2]}
    assert width["责任部门"] > width["编号"]
    assert width["首次公开回应用时（小时）"] >= 2 * len("首次公开回应用时（小时）")
    assert width["标题"] <= 50


def test_the_ledger_says_how_late_as_the_pages_do(org, log):
    discovered = beijing(2026, 3, 2, 9, 0)
    incident = log(discovered_at=discovered)
    report = incident.obligations.get(kind="internal_report")
    met = report.due_at + 2 * H + timedelta(minutes=13)
    record_action(incident, kind="internal_report", published_at=met, summary="报告", now=met)
    statement = incident.obligations.get(kind="first_statement")
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    with time_machine.travel(statement.due_at + 48 * H + timedelta(minutes=6), tick=False):
        sheet, _response = ledger(auditor, {"start": "2026-03-02", "end": "2026-03-02"})

    assert sheet.cell(row=3, column=column(sheet, "首次权威发布")).value == "超时48小时6分"
    assert sheet.cell(row=3, column=column(sheet, "内部报告")).value == "超时完成（晚 2小时13分）"


def test_the_ledger_downloads_under_a_chinese_name(auditor):
    for extension in ("xlsx", "csv"):
        response = auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": extension})
        disposition = response["Content-Disposition"]
        assert f'filename="ledger-20260301-20260331.{extension}"' in disposition
        encoded = disposition.split("filename*=UTF-8''")[1]
        assert unquote(encoded) == f"江城市人民政府政务舆情回应台账（20260301-20260331）.{extension}"


def test_the_ledger_title_names_the_government_of_its_department(org):
    county = DepartmentFactory(name="江城市青山区人民政府", is_government=True, parent=org.government)
    bureau = DepartmentFactory(name="青山区交通局", parent=county)
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    query = {"start": "2026-03-01", "end": "2026-03-31"}
    with time_machine.travel(LATER, tick=False):
        assert ledger(auditor, {**query, "department": bureau.pk})[0]["A1"].value.startswith("江城市青山区人民政府 ")
        assert ledger(auditor, query)[0]["A1"].value.startswith("江城市人民政府 ")  # the topmost, not its county
        for n in range(3):
            DepartmentFactory(name=f"其他市{n}人民政府", is_government=True)
        assert ledger(auditor, query)[0]["A1"].value.startswith("全部单位 ")


def test_a_formula_in_a_title_stays_text_in_the_ledger(org):
    now = beijing(2026, 3, 2, 9, 0)
    log_incident(
        title='=HYPERLINK("http://x")', severity="general", department=org.department, discovered_at=now, now=now
    )
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    sheet, _response = ledger(auditor, QUERY)
    title = sheet.cell(row=3, column=2)
    assert title.data_type == "s"
    assert title.value == '\'=HYPERLINK("http://x")'


def test_breaches_say_who_was_told_and_what_was_decided(org, log):
    discovered = beijing(2026, 3, 5, 9, 0)
    incident = log(discovered_at=discovered)
    late = discovered + 7 * H
    enforce(late)
    first = incident.obligations.get(kind="first_statement")
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    with time_machine.travel(late, tick=False):
        finding = {"kind": "interview", "note": "约谈整改", "decided_on": "2026-03-05"}
        assert (
            auditor.post(f"/api/v1/obligations/{first.pk}/accountability/", finding, format="json").status_code == 201
        )
        report = auditor.get("/api/v1/reports/compliance/", {"start": "2026-03-05", "end": "2026-03-05"}).json()
        listed = auditor.get("/api/v1/reports/breaches/", {"start": "2026-03-05", "end": "2026-03-05"}).json()

    breach = next(b for b in report["breaches"] if b["obligation"] == first.pk)
    assert breach["late_by_seconds"] == 2 * 3600
    assert breach["accountability"][0]["kind"] == "interview"
    assert report["findings"] == {"criticism": 0, "interview": 1, "exemption": 0}
    told = {(t["step"], t["recipient"]) for t in breach["escalated_to"]}
    assert ("overdue_l1", org.leader.pk) in told
    assert ("overdue_l2", org.office_head.pk) in told
    assert report["breaches_complete"] is True
    assert listed["count"] == report["breach_count"]


def test_bad_report_queries_are_400(auditor, org):
    assert set(auditor.get("/api/v1/reports/compliance/").json()) == {"start", "end"}
    backwards = auditor.get("/api/v1/reports/compliance/", {"start": "2026-03-31", "end": "2026-03-01"})
    assert list(backwards.json()) == ["end"]
    unknown = auditor.get("/api/v1/reports/compliance/", {**QUERY, "department": 99999, "format": "pdf"})
    assert set(unknown.json()) == {"department", "format"}
    assert client_for(org.leader).get("/api/v1/reports/compliance/", QUERY).status_code == 403


def test_breaches_come_latest_incident_first_then_latest_deadline(org, log):
    """The order that lets the report read a year's breaches from its index (docs/decisions.md)."""
    earlier = log(discovered_at=beijing(2026, 3, 5, 9, 0))
    later = log(discovered_at=beijing(2026, 3, 5, 10, 0))
    log(discovered_at=beijing(2026, 3, 6, 9, 0))  # outside the period
    now = beijing(2026, 3, 6, 12, 0)
    enforce(now)
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    with time_machine.travel(now, tick=False):
        report = auditor.get("/api/v1/reports/compliance/", {"start": "2026-03-05", "end": "2026-03-05"}).json()
        listed = auditor.get("/api/v1/reports/breaches/", {"start": "2026-03-05", "end": "2026-03-05"}).json()

    order = [(b["incident"], b["kind"]) for b in report["breaches"]]
    assert order == [
        (incident.pk, kind)
        for incident in (later, earlier)
        for kind in ("press_conference", "first_statement", "internal_report")
    ]
    assert [(b["incident"], b["kind"]) for b in listed["results"]] == order
    assert report["breach_count"] == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="sort memory is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_reports_sort_memory_ends_with_its_figures():
    """The percentiles rank a province's year in more sort memory than the server's, for their own transaction only:
    the connection's next query, or a pooler's next client on it, has the server's again."""
    server = show_work_mem()
    seen = []

    def note_work_mem(execute, sql, params, many, context):
        if "percentile_disc" in sql:
            seen.append(show_work_mem(context["cursor"]))
        return execute(sql, params, many, context)

    durations = {"logging_delay": ("logged_at", "discovered_at")}
    with connection.execute_wrapper(note_work_mem):
        aggregate_with_durations(Incident.objects.all(), {}, durations)
        with transaction.atomic():  # within a caller's transaction, whose savepoint alone would keep it
            aggregate_with_durations(Incident.objects.all(), {}, durations)
            assert show_work_mem() == server
    assert seen == [SORT_MEMORY, SORT_MEMORY] != [server, server]
    assert show_work_mem() == server


def show_work_mem(cursor=None) -> str:
    if cursor is None:
        with connection.cursor() as cursor:
            return show_work_mem(cursor)
    cursor.execute("SHOW work_mem")
    return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections side by side are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_report_asked_for_computes_the_incidents_aggregate_beside_the_rest_with_the_same_figures(
    national_defaults, auditor
):
    """The incidents' aggregate runs on a connection of its own beside the obligations' counts, the time in review
    and the breaches, and the report is the one read one after the other on one connection."""
    enforce(LATER)
    scope = ReportScope(START.date(), beijing(2026, 3, 31, 0, 0).date(), severity="general")
    on_this_connection = []

    def note(execute, sql, params, many, context):
        on_this_connection.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        at_once = compliance_report(scope, LATER)
    assert at_once == compliance_report(scope, LATER, at_once=False)
    assert at_once["incidents"] == 100
    assert at_once["breaches"]
    assert not [sql for sql in on_this_connection if "logging_delay" in sql]
    assert [sql for sql in on_this_connection if "GROUP BY" in sql]
