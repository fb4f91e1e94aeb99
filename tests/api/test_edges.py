"""Hostile and odd input to the API: each case is refused with a 4xx or handled, never a 500, never a leak."""

import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from incidents.models import Action, Person, Role
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from incidents.signin import LoginGuard

from ..clients import client_for
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

NOW = beijing(2026, 5, 1, 12, 0)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def elsewhere(org):
    """An incident of another city, with an overdue internal report."""
    city = DepartmentFactory(name="河州市人民政府", is_government=True)
    department = DepartmentFactory(name="河州市交通局", parent=city)
    return log_incident(
        title="河州事件", severity="major", department=department, discovered_at=NOW - timedelta(hours=3), now=NOW
    )


def statement(**extra):
    return {"kind": "statement", "published_at": "2026-05-01T12:00:00", **extra}


def test_reading_everything_as_an_auditor_gives_no_right_to_change_it(org, elsewhere):
    both = client_for(PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER, Role.AUDITOR]))
    url = f"/api/v1/incidents/{elsewhere.pk}"
    assert both.get(f"{url}/").status_code == 200
    assert both.post(f"{url}/regrade/", {"severity": "general", "reason": "x"}, format="json").status_code == 403
    assert both.patch(f"{url}/", {"title": "改"}, format="json").status_code == 403
    assert both.post(f"{url}/actions/", statement(evidence_url="https://x.cn"), format="json").status_code == 403
    assert both.post(f"{url}/close/", {"reason": "x"}, format="json").status_code == 403

    leader = client_for(PersonFactory(department=org.department, roles=[Role.LEADER, Role.AUDITOR]))
    obligation = elsewhere.obligations.get(kind="internal_report")
    waive = leader.post(f"/api/v1/obligations/{obligation.pk}/waive/", {"reason": "x"}, format="json")
    assert waive.status_code == 403
    elsewhere.refresh_from_db()
    assert elsewhere.severity == "major"
    assert elsewhere.title == "河州事件"


def test_filters_answer_the_same_for_ids_elsewhere_and_ids_nowhere(org, elsewhere):
    officer = client_for(org.duty_officer)
    for url, key, value in [
        ("/api/v1/notifications/", "incident", elsewhere.pk),
        ("/api/v1/people/", "department", elsewhere.department_id),
        ("/api/v1/obligations/", "incident", elsewhere.pk),
        ("/api/v1/incidents/", "department", elsewhere.department_id),
    ]:
        there = officer.get(url, {key: value})
        nowhere = officer.get(url, {key: 424242})
        assert (there.status_code, there.json()["count"]) == (nowhere.status_code, nowhere.json()["count"]) == (200, 0)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/incidents/", {"department": "99999999999999999999"}),
        ("/api/v1/incidents/", {"department": "1.5"}),
        ("/api/v1/obligations/", {"incident": "1e30"}),
        ("/api/v1/incidents/", {"discovered_after": "0001-01-01T00:00:00+08:00"}),
        ("/api/v1/incidents/", {"discovered_before": "9999-12-31T23:59:59-10:00"}),
        ("/api/v1/obligations/", {"due_before": "0001-01-01"}),
        ("/api/v1/notifications/", {"recipient": "-1"}),
    ],
)
def test_out_of_range_filters_are_400(org, url, query):
    response = client_for(org.duty_officer).get(url, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


@pytest.mark.parametrize("field", ["discovered_at", "occurred_at"])
def test_times_near_year_one_are_400(org, field):
    body = {
        "title": "t",
        "severity": "general",
        "department": org.department.pk,
        "discovered_at": "2026-05-01T10:00:00",
        field: "0001-01-01T00:00:00",
    }
    response = client_for(org.duty_officer).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(("start", "end"), [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-12-31")])
def test_report_dates_out_of_range_are_400(org, start, end):
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    for path in ("compliance", "breaches"):
        assert auditor.get(f"/api/v1/reports/{path}/", {"start": start, "end": end}).status_code == 400


def test_a_control_character_in_a_title_leaves_the_xlsx_ledger_whole(org):
    log_incident(title="网传\u000b事件", severity="general", department=org.department, discovered_at=NOW, now=NOW)
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    xlsx = auditor.get("/api/v1/reports/compliance/", {"start": "2026-05-01", "end": "2026-05-01", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert (
        load_workbook(io.BytesIO(xlsx.content)).active.cell(row=3, column=2).value == "网传事件"
    )  # below the title row and the headings


def test_files_are_given_by_accept_header_too(org):
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    query = {"start": "2026-05-01", "end": "2026-05-01", "format": "csv"}
    response = auditor.get("/api/v1/reports/compliance/", query, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_an_excused_late_response_is_counted_apart_from_breaches(org, elsewhere):
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    query = {"start": "2026-05-01", "end": "2026-05-01"}
    before = auditor.get("/api/v1/reports/compliance/", query).json()
    internal = elsewhere.obligations.get(kind="internal_report")
    exemption = {"kind": "exemption", "note": "经批准的容错", "decided_on": "2026-05-01"}
    assert (
        auditor.post(f"/api/v1/obligations/{internal.pk}/accountability/", exemption, format="json").status_code == 201
    )
    after = auditor.get("/api/v1/reports/compliance/", query).json()
    assert after["breach_count"] == before["breach_count"] - 1
    assert after["exempted"] == 1
    assert internal.pk not in {b["obligation"] for b in after["breaches"]}


def test_a_calendar_lists_each_date_once_and_worked_days_are_weekend_days(org):
    admin = client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]))
    twice = admin.put(
        "/api/v1/calendar/2032/", {"holidays": ["2032-01-01", "2032-01-01"], "workdays": []}, format="json"
    )
    assert twice.status_code == 200
    assert twice.json()["holidays"] == ["2032-01-01"]
    weekday = admin.put("/api/v1/calendar/2032/", {"holidays": [], "workdays": ["2032-01-07"]}, format="json")
    assert weekday.status_code == 400
    assert list(weekday.json()) == ["workdays"]


def test_look_alike_usernames_and_mixed_integration_accounts_are_refused(org):
    admin = client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]))
    PersonFactory(username="boss", department=org.office)
    body = {"username": "ｂｏｓｓ", "password": "Jiangcheng-2026!", "department": org.department.pk}
    look_alike = admin.post("/api/v1/people/", body, format="json")
    assert look_alike.status_code == 400
    assert list(look_alike.json()) == ["username"]
    mixed = admin.post(
        "/api/v1/people/", {**body, "username": "monitor", "roles": ["integration", "duty_officer"]}, format="json"
    )
    assert mixed.status_code == 400
    assert list(mixed.json()) == ["roles"]


def test_a_new_password_ends_the_old_token(org):
    admin = client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]))
    officer = client_for(org.duty_officer)
    assert officer.get("/api/v1/incidents/").status_code == 200
    changed = admin.patch(f"/api/v1/people/{org.duty_officer.pk}/", {"password": "Another-secret-2026"}, format="json")
    assert changed.status_code == 200
    assert officer.get("/api/v1/incidents/").status_code == 401


def test_a_full_width_username_shares_the_lockout(org, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    person = PersonFactory(username="admin", department=org.office, is_staff=True, is_superuser=True)
    browser = Client()
    for _attempt in range(2):
        browser.post("/admin/login/", {"username": "admin", "password": "guess"})
    signed_in = browser.post("/admin/login/", {"username": "ａｄｍｉｎ", "password": "correct-horse-battery"})
    assert signed_in.status_code == 429
    assert person.pk


def test_attempts_in_flight_count_before_their_passwords_are_checked(rf, settings, db):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    request = rf.post("/api/v1/auth/token/")
    guards = [LoginGuard(request, "leader") for _ in range(6)]
    admitted = [guard.admit() for guard in guards]  # six guesses at once, none answered yet
    assert admitted == [True] * 5 + [False]
    guards[0].succeeded()
    assert LoginGuard(request, "leader").admit()


def test_evidence_names_and_contents(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    officer = client_for(org.duty_officer)
    incident = log_incident(title="t", severity="general", department=org.department, discovered_at=NOW, now=NOW)
    url = f"/api/v1/incidents/{incident.pk}/actions/"

    long_name = SimpleUploadedFile("𠀀" * 120 + ".pdf", b"%PDF-1.4\n")
    stored = officer.post(
        url, statement(published_at="2026-05-01T12:00:00", evidence_file=long_name), format="multipart"
    )
    assert stored.status_code == 201, stored.json()
    assert len(Action.objects.get().evidence_file.name.split("/")[-1].encode()) <= 255

    fake_docx = io.BytesIO()
    with zipfile.ZipFile(fake_docx, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    for upload in (
        SimpleUploadedFile("报告.docx", fake_docx.getvalue()),
        SimpleUploadedFile("说明.txt", b"ok" * 2000 + b"\xff\xfe"),
    ):
        refused = officer.post(url, statement(evidence_file=upload), format="multipart")
        assert refused.status_code == 400
        assert list(refused.json()) == ["evidence_file"]


def test_a_missing_evidence_file_is_404_and_404s_speak_chinese(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    incident = log_incident(title="t", severity="general", department=org.department, discovered_at=NOW, now=NOW)
    action = record_action(
        incident, kind="statement", published_at=NOW, evidence_file=SimpleUploadedFile("a.pdf", b"%PDF-1.4"), now=NOW
    )
    (tmp_path / action.evidence_file.name).unlink()
    officer = client_for(org.duty_officer)
    assert officer.get(f"/api/v1/actions/{action.pk}/evidence/").status_code == 404
    missing = officer.get("/api/v1/incidents/424242/")
    assert missing.json() == {"detail": "未找到。"}
    assert APIClient().get("/api/v1/incidents/1.5/").json() == {"detail": "未找到。"}
    assert Person.objects.filter(username="admin").count() == 0
