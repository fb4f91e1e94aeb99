"""The compliance report on a data set whose figures are known in advance (RULES.md, "Compliance figures").

100 general incidents, shaped like the 人民网 benchmark: 87 answered publicly, 57 within 24 hours and
73 within 48 hours of the event (20 of them within 5 hours); half the internal reports on time; 15
logged two hours after discovery, the rest after ten minutes.
"""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from incidents.models import Role
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from notifications.enforcement import enforce

from .api import client_for
from .conftest import beijing
from .factories import DepartmentFactory, PersonFactory

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


def test_department_scope_with_and_without_sub_departments(auditor, org):
    with_children = auditor.get("/api/v1/reports/compliance/", {**QUERY, "department": org.department.pk}).json()
    alone = auditor.get(
        "/api/v1/reports/compliance/", {**QUERY, "department": org.department.pk, "include_children": "false"}
    ).json()
    assert with_children["incidents"] == 100
    assert alone["incidents"] == 50
    everything = auditor.get("/api/v1/reports/compliance/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert everything["incidents"] == 101


def test_the_ledger_as_xlsx_and_csv(auditor):
    xlsx = auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "标题", "责任单位", "级别")
    assert "首次公开回应时间" in rows[0]
    assert len(rows) == 1 + 100
    assert rows[1][1] == "事件0"

    text = b"".join(auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "csv"}).streaming_content)
    assert text.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0] == list(rows[0])
    assert len(lines) == 1 + 100


def test_a_formula_in_a_title_stays_text_in_the_ledger(org):
    now = beijing(2026, 3, 2, 9, 0)
    log_incident(
        title='=HYPERLINK("http://x")', severity="general", department=org.department, discovered_at=now, now=now
    )
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    xlsx = auditor.get("/api/v1/reports/compliance/", {**QUERY, "format": "xlsx"})
    title = load_workbook(io.BytesIO(xlsx.content)).active.cell(row=2, column=2)
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
