"""The incidents API as a duty officer, leader and auditor use it (docs/api.md, "Incidents")."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Department, Incident, Role

from ..clients import client_for
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

NOW = beijing(2026, 5, 1, 12, 0)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def officer(org):
    return client_for(org.duty_officer)


def new_incident(officer, org, **overrides):
    body = {
        "title": "网传隧道渗水",
        "severity": "major",
        "discovered_at": "2026-05-01T10:00:00",
        "department": org.department.pk,
        **overrides,
    }
    return officer.post("/api/v1/incidents/", body, format="json")


def test_logging_gives_the_obligations_with_beijing_times(officer, org):
    response = new_incident(officer, org, occurred_at="2026-05-01T09:00:00+08:00")

    assert response.status_code == 201, response.json()
    incident = response.json()
    assert incident["state"] == "open"
    assert incident["clock_started_at"] == "2026-05-01T09:00:00+08:00"
    assert incident["discovered_at"] == "2026-05-01T10:00:00+08:00"  # no offset given: Beijing time
    assert incident["logged_at"] == "2026-05-01T12:00:00+08:00"
    due = {o["kind"]: o["due_at"] for o in incident["obligations"]}
    assert due["first_statement"] == "2026-05-01T14:00:00+08:00"
    assert due["press_conference"] == "2026-05-02T09:00:00+08:00"
    assert due["internal_report"] == "2026-05-01T12:00:00+08:00"
    assert {o["state"] for o in incident["obligations"] if o["kind"] == "internal_report"} == {"overdue"}


def test_bad_input_is_400_by_field_in_chinese_or_english(officer, org):
    chinese = new_incident(officer, org, severity="catastrophic", discovered_at="2026-05-02T10:00:00", title="")
    assert chinese.status_code == 400
    errors = chinese.json()
    assert set(errors) == {"severity", "title"}
    assert "不是合法选项" in errors["severity"][0]

    english = client_for(org.duty_officer, "en")
    future = new_incident(english, org, discovered_at="2026-05-01T13:00:00")
    assert future.status_code == 400
    assert future.json() == {
        "discovered_at": ["This time is in the future; times may be at most 5 minutes ahead of now."]
    }
    assert Incident.objects.count() == 0


def test_a_department_outside_the_subtree_is_refused_like_a_missing_one(officer, org):
    elsewhere = DepartmentFactory(name="邻市交通局")
    outside = new_incident(officer, org, department=elsewhere.pk)
    missing = new_incident(officer, org, department=999999)

    assert outside.status_code == missing.status_code == 400
    assert outside.json()["department"] == [
        m.replace("999999", str(elsewhere.pk)) for m in missing.json()["department"]
    ]


def test_statement_with_an_uploaded_file_meets_the_first_statement(officer, org):
    incident = new_incident(officer, org).json()
    pdf = SimpleUploadedFile("通报.pdf", PDF, content_type="application/pdf")

    response = officer.post(
        f"/api/v1/incidents/{incident['id']}/actions/",
        {"kind": "statement", "channel": "weibo", "published_at": "2026-05-01T11:30:00", "evidence_file": pdf},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    evidence = officer.get(response.json()["evidence_file"])
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content) == PDF
    detail = officer.get(f"/api/v1/incidents/{incident['id']}/").json()
    states = {o["kind"]: o["state"] for o in detail["obligations"]}
    assert states["first_statement"] == "met"
    assert {o["kind"] for o in detail["obligations"]} >= {"follow_up"}


def test_evidence_files_are_checked_by_content_and_size(officer, org, settings):
    incident = new_incident(officer, org).json()
    url = f"/api/v1/incidents/{incident['id']}/actions/"
    body = {"kind": "statement", "published_at": "2026-05-01T11:30:00"}

    disguised = SimpleUploadedFile("通报.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    refused = officer.post(url, {**body, "evidence_file": disguised}, format="multipart")
    assert refused.status_code == 400
    assert list(refused.json()) == ["evidence_file"]

    settings.EVIDENCE_MAX_BYTES = 10
    too_big = officer.post(url, {**body, "evidence_file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart")
    assert too_big.status_code == 400
    assert "evidence_file" in too_big.json()

    program = officer.post(
        url, {**body, "evidence_file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")}, format="multipart"
    )
    assert program.status_code == 400
    assert officer.get(url).json()["count"] == 0


def test_a_public_action_without_evidence_is_refused(officer, org):
    incident = new_incident(officer, org).json()
    response = officer.post(
        f"/api/v1/incidents/{incident['id']}/actions/",
        {"kind": "statement", "published_at": "2026-05-01T11:30:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "evidence_url" in response.json()


def test_regrade_close_and_timeline(officer, org, frozen_now):
    incident = new_incident(officer, org, severity="general").json()
    url = f"/api/v1/incidents/{incident['id']}"

    regraded = officer.post(f"{url}/regrade/", {"severity": "major", "reason": "舆情升温"}, format="json")
    assert regraded.status_code == 200
    assert {o["kind"] for o in regraded.json()["obligations"] if o["state"] != "waived"} >= {"first_statement"}

    refused = officer.post(f"{url}/close/", {"reason": "处置完毕"}, format="json")
    assert refused.status_code == 400
    assert "non_field_errors" in refused.json()

    timeline = officer.get(f"{url}/timeline/").json()
    kinds = [event["kind"] for event in timeline["results"]]
    assert kinds[0] == "logged"
    assert "regraded" in kinds
    assert timeline["results"][0]["actor"] == org.duty_officer.pk


def test_details_change_but_severity_only_by_regrading(officer, org):
    incident = new_incident(officer, org).json()
    url = f"/api/v1/incidents/{incident['id']}/"

    assert (
        officer.patch(url, {"title": "网传隧道渗水（更正）"}, format="json").json()["title"] == "网传隧道渗水（更正）"
    )
    refused = officer.patch(url, {"severity": "general"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["severity"]


def test_list_filters_and_pagination(officer, org):
    sub = DepartmentFactory(name="市交通局执法支队", parent=org.department)
    for hour in range(3):
        new_incident(officer, org, discovered_at=f"2026-05-01T0{hour}:00:00", title=f"事件{hour}")
    new_incident(officer, org, department=sub.pk, severity="general", title="支队事件")

    everything = officer.get("/api/v1/incidents/", {"page_size": 2}).json()
    assert everything["count"] == 4
    assert len(everything["results"]) == 2
    assert everything["next"]
    only_department = officer.get("/api/v1/incidents/", {"department": org.department.pk, "include_children": "false"})
    assert only_department.json()["count"] == 3
    assert officer.get("/api/v1/incidents/", {"department": org.department.pk}).json()["count"] == 4
    assert officer.get("/api/v1/incidents/", {"severity": "general"}).json()["count"] == 1
    assert officer.get("/api/v1/incidents/", {"q": "支队"}).json()["count"] == 1
    window = {"discovered_after": "2026-05-01T01:00:00", "discovered_before": "2026-05-01T02:00:00"}
    assert officer.get("/api/v1/incidents/", window).json()["count"] == 2
    assert officer.get("/api/v1/incidents/", {"page_size": 501}).json()["count"] == 4
    oldest_first = officer.get("/api/v1/incidents/", {"ordering": "discovered_at"}).json()["results"]
    assert oldest_first[0]["title"] == "事件0"


def test_a_list_by_department_reads_the_department_tree_once(officer, org):
    """The caller's scope and the subtree asked for come from one read of the tree (a province's is thousands of
    departments)."""
    sub = DepartmentFactory(name="市交通局执法支队", parent=org.department)
    new_incident(officer, org, department=sub.pk, title="支队事件")
    table, parent = (connection.ops.quote_name(name) for name in (Department._meta.db_table, "parent_id"))
    with CaptureQueriesContext(connection) as captured:
        listed = officer.get("/api/v1/incidents/", {"department": org.department.pk}).json()
    assert [incident["title"] for incident in listed["results"]] == ["支队事件"]
    tree_reads = [query for query in captured if f"{table}.{parent} AS" in query["sql"]]
    assert len(tree_reads) == 1


def test_leader_waives_and_auditor_records_a_finding(officer, org, frozen_now):
    incident = new_incident(officer, org).json()
    internal = next(o for o in incident["obligations"] if o["kind"] == "internal_report")
    first = next(o for o in incident["obligations"] if o["kind"] == "first_statement")

    waived = client_for(org.leader).post(f"/api/v1/obligations/{first['id']}/waive/", {"reason": "并案"}, format="json")
    assert waived.status_code == 200
    assert waived.json()["state"] == "waived"
    assert waived.json()["waived_by"] == org.leader.pk

    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    finding = {"kind": "criticism", "note": "内部报告超时", "decided_on": "2026-05-01"}
    recorded = auditor.post(f"/api/v1/obligations/{internal['id']}/accountability/", finding, format="json")
    assert recorded.status_code == 201, recorded.json()
    listed = auditor.get(f"/api/v1/obligations/{internal['id']}/").json()
    assert [f["kind"] for f in listed["accountability"]] == ["criticism"]

    not_breached = auditor.post(f"/api/v1/obligations/{first['id']}/accountability/", finding, format="json")
    assert not_breached.status_code == 400


def test_obligation_filters(officer, org, frozen_now):
    new_incident(officer, org)
    frozen_now.shift(timedelta(minutes=1))
    obligations = officer.get("/api/v1/obligations/", {"state": "overdue"}).json()
    assert [o["kind"] for o in obligations["results"]] == ["internal_report"]
    due_soon = officer.get("/api/v1/obligations/", {"due_before": "2026-05-01T15:00:00", "kind": "first_statement"})
    assert due_soon.json()["count"] == 1
