"""Departments, people, the working calendar and signing in, through the API."""

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import CalendarYear, Person, Role

from ..clients import client_for
from ..factories import PersonFactory


@pytest.fixture
def administrator(org):
    return client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]))


def test_administrator_builds_the_organisation(administrator, org):
    created = administrator.post(
        "/api/v1/departments/",
        {"name": "市卫健委", "code": "health", "parent": org.government.pk, "responsible_leader": org.deputy.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    department = created.json()
    assert department["parent"] == org.government.pk
    assert department["is_government"] is False

    person = administrator.post(
        "/api/v1/people/",
        {
            "username": "zhangwei",
            "display_name": "张伟",
            "password": "Jiangcheng-duty-2026",
            "roles": ["duty_officer"],
            "department": department["id"],
            "phone": "13800000000",
        },
        format="json",
    )
    assert person.status_code == 201, person.json()
    assert "password" not in person.json()
    assert person.json()["roles"] == ["duty_officer"]
    assert Person.objects.get(username="zhangwei").check_password("Jiangcheng-duty-2026")


def test_passwords_go_through_the_validators(administrator, org):
    weak = administrator.post(
        "/api/v1/people/",
        {"username": "lisi", "password": "123456", "roles": ["leader"], "department": org.department.pk},
        format="json",
    )
    assert weak.status_code == 400
    assert list(weak.json()) == ["password"]
    assert not Person.objects.filter(username="lisi").exists()


def test_a_department_cannot_move_under_itself(administrator, org):
    response = administrator.patch(
        f"/api/v1/departments/{org.government.pk}/", {"parent": org.department.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["parent"]


def test_the_admin_role_opens_the_django_admin(administrator, org):
    response = administrator.patch(f"/api/v1/people/{org.mayor.pk}/", {"roles": ["leader", "admin"]}, format="json")
    assert response.status_code == 200
    org.mayor.refresh_from_db()
    assert org.mayor.is_staff
    assert org.mayor.is_superuser


def test_calendar_year_shows_and_loads_the_official_schedule(administrator, org):
    loaded = administrator.get("/api/v1/calendar/2025/").json()
    assert loaded["loaded"] is True
    assert "2025-01-28" in loaded["holidays"]
    assert "2025-01-26" in loaded["workdays"]

    unloaded = administrator.get("/api/v1/calendar/2031/").json()
    assert unloaded["loaded"] is False
    assert "2031-10-01" in unloaded["holidays"]  # provisional: the statutory holidays alone

    body = {"holidays": ["2031-01-01", "2031-10-01"], "workdays": ["2031-09-28"], "note": "国办发明电〔2030〕"}
    put = administrator.put("/api/v1/calendar/2031/", body, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["loaded"] is True
    assert put.json()["workdays"] == ["2031-09-28"]
    assert CalendarYear.objects.get(year=2031).note == "国办发明电〔2030〕"

    wrong_year = administrator.put(
        "/api/v1/calendar/2031/", {"holidays": ["2030-01-01"], "workdays": []}, format="json"
    )
    assert wrong_year.status_code == 400
    assert "holidays" in wrong_year.json()
    assert administrator.get("/api/v1/calendar/1800/").status_code == 404


def test_token_sign_in_and_lockout(org, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    client = APIClient()
    for _attempt in range(3):
        wrong = client.post(
            "/api/v1/auth/token/", {"username": org.duty_officer.username, "password": "guess"}, format="json"
        )
        assert wrong.status_code == 401
    locked = client.post(
        "/api/v1/auth/token/",
        {"username": org.duty_officer.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers

    other = client.post(
        "/api/v1/auth/token/", {"username": org.leader.username, "password": "correct-horse-battery"}, format="json"
    )
    assert other.status_code == 200
    token = other.json()["token"]
    incidents = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/incidents/")
    assert incidents.status_code == 200


def test_session_sign_in_needs_the_csrf_token(org):
    browser = Client(enforce_csrf_checks=True)
    credentials = {"username": org.duty_officer.username, "password": "correct-horse-battery"}
    without = browser.post("/api/v1/auth/session/", credentials, content_type="application/json")
    assert without.status_code == 403

    browser.get("/api/v1/auth/session/")
    csrf = browser.cookies["csrftoken"].value
    signed_in = browser.post(
        "/api/v1/auth/session/", credentials, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert signed_in.status_code == 200
    assert signed_in.json()["username"] == org.duty_officer.username

    csrf = browser.cookies["csrftoken"].value
    no_token_post = browser.post("/api/v1/incidents/", {}, content_type="application/json")
    assert no_token_post.status_code == 403  # the session is not enough without the CSRF token
    assert browser.get("/api/v1/incidents/").status_code == 200


def test_schema_and_offline_docs(org):
    client = client_for(org.duty_officer)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


def test_the_admin_sign_in_is_limited_too(org, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    browser = Client()
    for _attempt in range(2):
        assert browser.post("/admin/login/", {"username": "admin", "password": "guess"}).status_code == 200
    assert browser.post("/admin/login/", {"username": "admin", "password": "guess"}).status_code == 429


def test_the_schema_generates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "schema.yaml")
    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/reports/compliance/" in schema
    assert "especially_major" in schema
