"""Rankings (docs/rules.md, "Rankings") on a data set whose scores are worked out by hand below.

江城市人民政府 in March 2026, national rule (full marks 100; weights: response rate 20, on time: internal report 15,
response 15, verification report 10; per 一般 breach: internal report 2, response 4; 通报批评 5, 约谈整改 10; 容错 +2;
named below 60):

- 市交通运输局 (with its 执法支队): two incidents. One answered on time in every obligation (logged in the 支队); the
  other with its internal report an hour late (约谈整改) and no public response at all (通报批评).
  Response rate 1/2, internal report 1/2, response 1/2, verification report 2/2:
  100 × (20·0.5 + 15·0.5 + 15·0.5 + 10·1) / 60 = 58.333…; less 2 + 4 for the two breaches, 5 + 10 for the findings:
  37.33, below 60.
- 市住房和城乡建设局: one incident, its internal report late but excused (容错免责), the rest on time.
  100 × (20·1 + 15·0 + 15·1 + 10·1) / 60 = 75; no breach; +2 for the exemption: 77.00.
- 市委宣传部 and 市政府办公室: no incident, so nothing to judge: full marks, sharing the first rank.
- 江城县人民政府 under the city is a government of its own, and its bureau's breaches are not the city's.

Ranks: 1 市委宣传部, 1 市政府办公室 (equal scores by name), 3 住建局, 4 交通运输局.
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from incidents.models import Role
from incidents.reports.compliance import compliance_figures
from incidents.reports.ledger import LEDGER_LANGUAGE
from incidents.reports.scope import ReportScope
from incidents.services.accountability import record_finding
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from notifications.models import EscalationEntry, Notification, Scoring, ScoringRule
from notifications.ranking import ranking
from notifications.ranking_documents import circular_title, period

from ..clients import browser_for, client_for
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

NOW = beijing(2026, 4, 20, 12, 0)
H = timedelta(hours=1)
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
URL = "/api/v1/reports/ranking/"


def incident(department, discovered, *, internal_after, answered_after=None, title):
    """A 一般 incident with its internal report ``internal_after`` discovery (due in 2 h), a public response
    ``answered_after`` (due in 48 h; None: never) and the verification report the next day (due in 2 working days)."""
    logged = log_incident(
        title=title, severity="general", department=department, discovered_at=discovered, now=discovered + H / 12
    )
    record_action(logged, kind="internal_report", published_at=discovered + internal_after, summary="报告", now=NOW)
    if answered_after is not None:
        published = discovered + answered_after
        record_action(logged, kind="statement", published_at=published, evidence_url="https://gov.cn/1", now=NOW)
    record_action(logged, kind="verification_report", published_at=discovered + 24 * H, summary="核实", now=NOW)
    return logged


def told(obligation, person, at, step, acknowledged_after=None, channels=("in_app",)):
    """An escalation entry with its copies (the first at ``at``), acknowledged ``acknowledged_after`` it."""
    entry = EscalationEntry.objects.create(
        obligation=obligation,
        step=step,
        recipient=person,
        created_at=at,
        acknowledged_at=None if acknowledged_after is None else at + acknowledged_after,
    )
    for offset, channel in enumerate(channels):
        Notification.objects.create(
            incident=obligation.incident,
            obligation=obligation,
            step=step,
            entry=entry,
            recipient=person,
            channel=channel,
            status="sent",
            step_at=at,
            created_at=at + timedelta(seconds=30 * offset),
            latency=timedelta(0),
            available_at=at,
        )
    return entry


@pytest.fixture
def city(org, housing):
    """The data set of the module docstring."""
    unit = DepartmentFactory(name="市交通局执法支队", parent=org.department)
    county = DepartmentFactory(name="江城县人民政府", is_government=True, parent=org.government)
    county_bureau = DepartmentFactory(name="县交通局", parent=county)
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])

    incident(unit, beijing(2026, 3, 2, 9, 0), internal_after=H, answered_after=24 * H, title="支队事件")
    late = incident(org.department, beijing(2026, 3, 9, 9, 0), internal_after=3 * H, title="路面塌陷")
    excused = incident(
        housing.department, beijing(2026, 3, 16, 9, 0), internal_after=3 * H, answered_after=6 * H, title="小区停水"
    )
    log_incident(
        title="县里事件", severity="general", department=county_bureau, discovered_at=beijing(2026, 3, 2, 9), now=NOW
    )
    log_incident(
        title="二月事件", severity="general", department=org.department, discovered_at=beijing(2026, 2, 10, 9), now=NOW
    )

    internal, response = (late.obligations.get(kind=kind) for kind in ("internal_report", "response"))
    decided = {"decided_on": date(2026, 4, 1), "actor": auditor, "now": NOW}
    record_finding(internal, kind="interview", note="约谈整改", **decided)
    record_finding(response, kind="criticism", note="未回应", **decided)
    record_finding(excused.obligations.get(kind="internal_report"), kind="exemption", note="系统故障", **decided)

    # Told about the late internal report: the department's duty officer, both its leaders, and the mayor.
    at = beijing(2026, 3, 9, 11, 0)
    told(internal, org.duty_officer, at, "overdue_l1", acknowledged_after=timedelta(minutes=20))
    told(internal, org.leader, at, "overdue_l1", acknowledged_after=timedelta(minutes=10), channels=("in_app", "email"))
    told(internal, org.deputy, at - H / 2, "due_soon", acknowledged_after=timedelta(minutes=30))
    told(internal, org.mayor, at + 2 * H, "overdue_l3", acknowledged_after=2 * H)
    told(response, org.leader, beijing(2026, 3, 11, 9, 0), "overdue_l1")  # never acknowledged
    with time_machine.travel(NOW, tick=False):
        yield auditor


def by_name(answer) -> dict:
    """The ranked departments of an answer, by name."""
    return {row["department_name"]: row for row in answer.json()["departments"]}


def test_the_scores_are_the_ones_worked_out_by_hand(city, org):
    answer = client_for(city).get(URL, MARCH)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["government"] == org.government.pk
    assert body["rule"]["scope"] == _("National")
    order = [(row["rank"], row["department_name"], row["score"]) for row in body["departments"]]
    assert order == [
        (1, "市委宣传部", 100.0),
        (1, "市政府办公室", 100.0),
        (3, "市住房和城乡建设局", 77.0),
        (4, "市交通运输局", 37.33),
    ]
    rows = by_name(answer)
    transport = rows["市交通运输局"]
    assert transport["score_parts"] == {
        "weighted": 58.33,
        "breach_deduction": 6.0,
        "findings_deduction": 15.0,
        "exemption_credit": 0.0,
    }
    assert transport["below_threshold"] is True
    figures = transport["figures"]
    assert (figures["incidents"], figures["response_rate"], figures["breach_count"]) == (2, 0.5, 2)
    assert {row["kind"]: row["on_time_rate"] for row in figures["obligations"]} == {
        "internal_report": 0.5,
        "response": 0.5,
        "verification_report": 1.0,
        "rectification": None,  # the interview's rectification report, still running: no rate yet, no weight
    }
    assert figures["findings"] == {"criticism": 1, "interview": 1, "exemption": 0}
    assert figures["breaches_by_severity"] == [
        {"severity": "general", "kind": "internal_report", "count": 1},
        {"severity": "general", "kind": "response", "count": 1},
    ]
    housing = rows["市住房和城乡建设局"]
    assert housing["score_parts"] == {
        "weighted": 75.0,
        "breach_deduction": 0.0,
        "findings_deduction": 0.0,
        "exemption_credit": 2.0,
    }
    assert (housing["figures"]["exempted"], housing["below_threshold"]) == (1, False)
    assert rows["市委宣传部"]["figures"]["incidents"] == 0
    assert set(rows) == {"市委宣传部", "市政府办公室", "市住房和城乡建设局", "市交通运输局"}  # no county, no 县交通局


def test_the_figures_are_the_compliance_reports_for_the_department(city, org):
    ranked = by_name(client_for(city).get(URL, MARCH))["市交通运输局"]["figures"]
    report = client_for(city).get("/api/v1/reports/compliance/", {**MARCH, "department": org.department.pk}).json()
    for name in ("incidents", "response_rate", "first_response", "obligations", "breach_count", "findings"):
        assert ranked[name] == report[name]


def test_time_to_acknowledge_counts_the_departments_own_people_from_the_first_message(city, org):
    rows = by_name(client_for(city).get(URL, MARCH))
    times = rows["市交通运输局"]["time_to_acknowledge"]
    # The duty officer 20 min, the leader 10 min (from the first of two copies), the deputy 30 min; the mayor
    # is not the department's, and the entry never acknowledged counts as told but has no time.
    assert (times["entries"], times["acknowledged"], times["median_seconds"]) == (4, 3, 1200)
    leaders = {row["person"]: row for row in times["leaders"]}
    assert set(leaders) == {org.leader.pk, org.deputy.pk}
    assert (leaders[org.leader.pk]["entries"], leaders[org.leader.pk]["acknowledged"]) == (2, 1)
    assert leaders[org.leader.pk]["median_seconds"] == 600
    assert leaders[org.deputy.pk]["median_seconds"] == 1800
    assert rows["市住房和城乡建设局"]["time_to_acknowledge"] == {
        "entries": 0,
        "acknowledged": 0,
        "median_seconds": None,
        "leaders": [],
    }


def in_chinese(words: str) -> str:
    """``words`` as the files have them: they are filed in the ledger's language."""
    with translation.override(LEDGER_LANGUAGE):
        return _(words)


def test_the_xlsx_reads_back_as_a_ledger_with_the_ranking_and_the_breaches(city, org):
    answer = client_for(city).get(URL, {**MARCH, "format": "xlsx"})
    assert answer.status_code == 200
    assert org.government.name in unquote(answer["Content-Disposition"])
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [in_chinese("Ranking"), in_chinese("Breaches of those named")]
    ranked, breaches = book.worksheets
    title = ranked["A1"]
    assert title.font.b
    assert (org.government.name in title.value, "2026-03-01" in title.value) == (True, True)
    assert all(cell.font.b for cell in ranked[2])
    assert (ranked.freeze_panes, breaches.freeze_panes) == ("A3", "A3")
    assert ranked.auto_filter.ref == f"A2:{ranked.cell(2, ranked.max_column).column_letter}6"
    assert ranked.column_dimensions["B"].width >= 24
    heading = [cell.value for cell in ranked[2]]
    rows = [dict(zip(heading, row, strict=True)) for row in ranked.iter_rows(min_row=3)]
    rank, department, score = (in_chinese(words) for words in ("Rank", "Department", "Score"))
    assert [(row[rank].value, row[department].value, row[score].value) for row in rows] == [
        (1, "市委宣传部", 100),
        (1, "市政府办公室", 100),
        (3, "市住房和城乡建设局", 77),
        (4, "市交通运输局", 37.33),
    ]
    transport = rows[3]
    rate = transport[in_chinese("Response rate")]
    assert (rate.value, rate.number_format) == (0.5, "0.0%")
    assert transport[in_chinese("Median time to acknowledge (minutes)")].value == 20
    named = in_chinese("Named in the circular")
    assert transport[named].value != rows[2][named].value

    listed = [[cell.value for cell in row] for row in breaches.iter_rows(min_row=3)]
    assert [(row[0], row[2], row[4]) for row in listed] == [
        ("市交通运输局", "路面塌陷", in_chinese("Response")),
        ("市交通运输局", "路面塌陷", in_chinese("Internal report")),
    ]
    assert [row[5] for row in listed] == [datetime(2026, 3, 11, 9, 0), datetime(2026, 3, 9, 11, 0)]  # date cells
    kinds = [in_chinese(label) for label in ("Circulated criticism (通报批评)", "Admonishing interview (约谈整改)")]
    assert [row[9] for row in listed] == [f"{kinds[0]} 2026-04-01：未回应", f"{kinds[1]} 2026-04-01：约谈整改"]


def test_the_docx_draft_names_the_departments_below_the_threshold_with_their_breaches(city, org):
    answer = client_for(city).get(URL, {**MARCH, "format": "docx"})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(answer.content))
    text = [paragraph.text for paragraph in document.paragraphs]
    found = ranking(org.government, date(2026, 3, 1), date(2026, 3, 31), NOW)
    with translation.override(LEDGER_LANGUAGE):
        title, when = circular_title(found), period(found)
    assert text[:2] == [org.government.name, title]
    assert when in title
    named = [line for line in text if "市交通运输局" in line]
    assert len(named) == 1
    assert "37.33" in named[0]
    assert not [line for line in text if "市住房和城乡建设局" in line]  # above the threshold: only in the table
    ranking_table, breach_table = document.tables
    table = [[cell.text for cell in row.cells[1:3]] for row in ranking_table.rows[1:]]
    assert table == [
        ["市委宣传部", "100.00"],
        ["市政府办公室", "100.00"],
        ["市住房和城乡建设局", "77.00"],
        ["市交通运输局", "37.33"],
    ]
    assert [row.cells[0].text for row in breach_table.rows[1:]] == ["路面塌陷", "路面塌陷"]
    assert org.office.name in text[-3]  # the closing paragraph asks for a report to the office
    today = NOW.date()
    assert text[-2:] == [
        org.government.name,
        in_chinese("%(month)d/%(day)d/%(year)d") % {"year": today.year, "month": today.month, "day": today.day},
    ]
    runs = [run._element.rPr for paragraph in document.paragraphs for run in paragraph.runs]
    fonts = {properties.rFonts.get(qn("w:eastAsia")) for properties in runs if properties is not None}
    assert fonts == {"宋体", "黑体"}
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


def test_a_governments_own_rule_made_in_the_admin_wins_and_starts_from_the_national_numbers(city, org, admin_client):
    management = {
        f"{prefix}-{name}": "0" for prefix in ("weights", "deductions") for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    numbers = {"full_marks": "100", "criticism_deduction": "5", "interview_deduction": "10", "exemption_credit": "2"}
    added = admin_client.post(
        reverse("admin:notifications_scoringrule_add"),
        {"government": org.government.pk, **numbers, "notice_threshold": "80", **management},
    )
    assert added.status_code == 302
    saved = ScoringRule.objects.get(government=org.government)
    change_page = admin_client.get(reverse("admin:notifications_scoringrule_change", args=[saved.pk])).content.decode()
    assert 'name="notice_threshold" value="80.00"' in change_page
    assert 'name="deductions-27-points"' in change_page  # the 28 national deductions, editable as rows
    rule = saved.scoring()
    national = ScoringRule.objects.get(government=None).scoring()
    assert (rule.weights, rule.deductions) == (national.weights, national.deductions)
    body = client_for(city).get(URL, MARCH).json()
    assert (body["rule"]["id"], body["rule"]["scope"], body["rule"]["notice_threshold"]) == (
        rule.rule_id,
        org.government.name,
        80.0,
    )
    named = [row["department_name"] for row in body["departments"] if row["below_threshold"]]
    assert named == ["市住房和城乡建设局", "市交通运输局"]


def test_a_threshold_above_full_marks_is_refused_in_the_admin(org, admin_client):
    management = {
        f"{prefix}-{name}": "0" for prefix in ("weights", "deductions") for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    numbers = {"full_marks": "100", "criticism_deduction": "5", "interview_deduction": "10", "exemption_credit": "2"}
    refused = admin_client.post(
        reverse("admin:notifications_scoringrule_add"),
        {"government": org.government.pk, **numbers, "notice_threshold": "120", **management},
    )
    assert refused.status_code == 200
    assert not ScoringRule.objects.filter(government=org.government).exists()


def test_the_seeded_national_rule_is_the_documented_default(db):
    seeded = ScoringRule.objects.get(government=None).scoring()
    default = Scoring.defaults()
    numbers = ("weights", "deductions", "full_marks", "criticism_deduction", "interview_deduction")
    numbers += ("exemption_credit", "notice_threshold")
    assert [getattr(seeded, name) for name in numbers] == [getattr(default, name) for name in numbers]
    assert sum(seeded.weights.values()) == Decimal(100)
    assert (seeded.deductions[("general", "response")], seeded.deductions[("especially_major", "follow_up")]) == (4, 5)


def test_without_any_rule_row_the_documented_defaults_score(city, org):
    ScoringRule.objects.all().delete()
    answer = client_for(city).get(URL, MARCH)
    assert answer.json()["rule"]["id"] is None
    assert by_name(answer)["市交通运输局"]["score"] == 37.33


def test_each_department_costs_the_compliance_reports_queries_once(city, org):
    march = (date(2026, 3, 1), date(2026, 3, 31))
    with CaptureQueriesContext(connection) as one_report:
        compliance_figures(ReportScope(*march, department_ids=frozenset({org.department.pk})), NOW)
    with CaptureQueriesContext(connection) as four:
        ranking(org.government, *march, NOW)
    DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    DepartmentFactory(name="市教育局", parent=org.government)
    with CaptureQueriesContext(connection) as six:
        ranking(org.government, *march, NOW)
    assert len(six) - len(four) == 2 * len(one_report)
    # Besides: the government's lineage, the rule and its rows, the organisation, breaches, entries, leaders.
    assert len(four) - 4 * len(one_report) <= 9


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "1900-01-01", "end": "2026-03-01"}, "start"),
        ({**MARCH, "format": "pdf"}, "format"),
        ({**MARCH, "government": "abc"}, "government"),
        ({**MARCH, "government": "0"}, "government"),
    ],
)
def test_a_bad_query_is_refused_by_field(city, query, field):
    answer = client_for(city).get(URL, query)
    assert answer.status_code == 400
    assert list(answer.json()) == [field]


def test_refusals_are_worded_in_chinese_or_in_english(city, org):
    assert client_for(city).get(URL, {"start": "2026-03-31", "end": "2026-03-01"}).json() == {
        "end": ["结束日期早于开始日期。"]
    }
    english = client_for(city, language="en")
    assert english.get(URL, {"start": "2026-03-31", "end": "2026-03-01"}).json() == {
        "end": ["The end date is before the start date."]
    }
    assert english.get(URL, {**MARCH, "government": org.department.pk}).json() == {
        "government": ["This department is not a government."]
    }
    assert english.get(URL, {**MARCH, "government": 10**9}).json() == {
        "government": ["No government you may rank has this id."]
    }


def test_with_two_top_governments_one_must_be_named_unless_the_caller_works_in_an_office(city, org):
    auditor = PersonFactory(department=org.department, roles=[Role.AUDITOR])
    assert client_for(auditor).get(URL, MARCH).json()["government"] == org.government.pk  # the only one on top
    DepartmentFactory(name="河州市人民政府", is_government=True)
    answer = client_for(auditor, language="en").get(URL, MARCH)
    assert answer.json() == {"government": ["Name the government whose departments to rank."]}
    assert client_for(city).get(URL, MARCH).json()["government"] == org.government.pk  # its office's


def test_the_office_ranks_its_own_government_and_those_under_it_only(city, org):
    office = client_for(PersonFactory(department=org.office, roles=[Role.DUTY_OFFICER]))
    assert office.get(URL, MARCH).json()["government"] == org.government.pk  # its government by default
    county = org.government.children.get(name="江城县人民政府")
    assert office.get(URL, {**MARCH, "government": county.pk}).status_code == 200
    elsewhere = DepartmentFactory(name="河州市人民政府", is_government=True)
    refused = office.get(URL, {**MARCH, "government": elsewhere.pk})
    assert (refused.status_code, list(refused.json())) == (400, ["government"])
    assert client_for(org.leader).get(URL, MARCH).status_code == 403
    robot = PersonFactory(department=org.department, roles=[Role.INTEGRATION])
    assert client_for(robot).get(URL, MARCH).status_code == 403


def test_the_page_shows_the_ranking_a_chart_and_the_downloads_to_auditors_and_the_office(city, org):
    page = browser_for(city).get("/reports/ranking/", MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("市委宣传部", "市政府办公室", "市住房和城乡建设局", "市交通运输局", "37.33", "<svg", 'class="bar"'):
        assert shown in html
    for download in ("format=xlsx", "format=docx"):
        assert (
            f"/api/v1/reports/ranking/?start=2026-03-01&amp;end=2026-03-31&amp;government={org.government.pk}&amp;{download}"
            in html
        )
    assert browser_for(org.office_head).get("/reports/ranking/", MARCH).status_code == 200
    assert browser_for(org.leader).get("/reports/ranking/").status_code == 403
    assert (
        browser_for(PersonFactory(department=org.department, roles=[Role.AUDITOR])).get("/reports/ranking/").status_code
        == 200
    )
    compliance = browser_for(city).get("/compliance/", MARCH).content.decode()
    assert "/reports/ranking/?start=2026-03-01&amp;end=2026-03-31" in compliance


def test_the_page_shows_a_refused_period_on_its_form(city):
    page = browser_for(city).get("/reports/ranking/", {"start": "2026-03-31", "end": "2026-03-01"}).content.decode()
    assert "结束日期早于开始日期。" in page
    assert "<svg" not in page


def test_the_top_bar_offers_the_rankings_to_whoever_may_open_them(org):
    def offered(person) -> bool:
        page = browser_for(person).get("/escalations/")
        assert page.status_code == 200
        return 'href="/reports/ranking/"' in page.content.decode()

    assert offered(PersonFactory(department=org.office, roles=[Role.DUTY_OFFICER]))  # the government's office
    assert offered(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    assert not offered(org.duty_officer), "a department's duty officer may not open them"
    assert not offered(org.leader)
