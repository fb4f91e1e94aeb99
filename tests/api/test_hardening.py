"""The API against bad input and misuse: bodies nested too deeply, fields a create does not take,
integration tokens used for anything but intake, and credentials in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Action, Department, Incident, Person, Role

from ..clients import client_for
from ..factories import PersonFactory

TOO_DEEP = "The JSON body is nested too deeply."
NOT_ACCEPTED = "This field is not accepted here."
INTAKE_ONLY = "An integration account may only report incidents (POST /api/v1/ingest/)."


@pytest.fixture
def admin(org):
    return client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]), language="en")


@pytest.fixture
def monitor(org):
    return PersonFactory(username="yuqing-monitor", department=org.government, roles=[Role.INTEGRATION])


def discovered() -> str:
    return (timezone.localtime() - timedelta(minutes=30)).isoformat()


def incident_body(org, **extra):
    return {
        "title": "网传路面塌陷",
        "severity": "major",
        "discovered_at": discovered(),
        "department": org.department.pk,
        **extra,
    }


@pytest.fixture
def incident(admin, org):
    created = admin.post("/api/v1/incidents/", incident_body(org), format="json")
    assert created.status_code == 201, created.json()
    return created.json()


# 1. Bodies nested too deeply for the JSON decoder

DEEP_BODIES = {
    "array": "[" * 1000 + "]" * 1000,
    "object": '{"a": ' * 1000 + "1" + "}" * 1000,
    "huge": "[" * 100_000 + "]" * 100_000,
}


def body_endpoints(incident) -> list[tuple[str, str]]:
    """Every operation that reads a JSON body today, with ids that exist."""
    obligation = incident["obligations"][0]["id"]
    return [
        ("post", "/api/v1/auth/token/"),
        ("post", "/api/v1/auth/session/"),
        ("post", "/api/v1/departments/"),
        ("patch", f"/api/v1/departments/{incident['department']}/"),
        ("post", "/api/v1/people/"),
        ("patch", f"/api/v1/people/{incident['logged_by']}/"),
        ("post", "/api/v1/incidents/"),
        ("patch", f"/api/v1/incidents/{incident['id']}/"),
        ("post", f"/api/v1/incidents/{incident['id']}/actions/"),
        ("post", f"/api/v1/incidents/{incident['id']}/regrade/"),
        ("post", f"/api/v1/incidents/{incident['id']}/close/"),
        ("post", f"/api/v1/obligations/{obligation}/waive/"),
        ("post", f"/api/v1/obligations/{obligation}/accountability/"),
        ("put", "/api/v1/calendar/2032/"),
        ("post", "/api/v1/ingest/"),
    ]


@pytest.mark.parametrize("shape", DEEP_BODIES)
def test_json_nested_too_deeply_is_a_400_on_every_endpoint_that_reads_a_body(admin, incident, shape):
    for method, url in body_endpoints(incident):
        response = getattr(admin, method)(url, DEEP_BODIES[shape], content_type="application/json")
        assert (response.status_code, response.json()) == (400, {"detail": TOO_DEEP}), (method, url)


def test_the_token_endpoint_refuses_deep_json_in_chinese_by_default(db):
    response = APIClient().post("/api/v1/auth/token/", DEEP_BODIES["array"], content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert response["Content-Language"] == "zh-hans"


def test_json_the_decoder_can_read_but_nested_past_any_endpoint_is_refused_too(admin, org):
    """A 900-deep value would reach the related fields' lookups, which recurse over it in turn."""
    deep = "[" * 900 + "]" * 900
    body = '{"title": "网传", "severity": "major", "department": ' + deep + "}"
    response = admin.post("/api/v1/incidents/", body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"detail": TOO_DEEP})


def test_values_nested_within_the_limit_are_refused_on_their_fields(admin, org):
    nested = "[" * 30 + "]" * 30
    body = '{"title": %s, "severity": %s, "discovered_at": %s, "department": %s}' % ((nested,) * 4)
    response = admin.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "severity", "discovered_at", "department"}


def test_other_bodies_are_parsed_as_before(admin, org):
    broken = admin.post("/api/v1/incidents/", '{"title": ', content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("JSON parse error")
    assert admin.post("/api/v1/incidents/", incident_body(org), format="json").status_code == 201


# 2. Creates refuse, by name, what they do not take


@pytest.mark.parametrize(
    "extra",
    [
        {"state": "closed"},  # read-only: the incident's answer has it
        {"logged_by": 1, "obligations": []},
        {"id": 99},
        {"colour": "red"},  # nobody's field
    ],
)
def test_creating_an_incident_refuses_fields_it_does_not_take(admin, org, extra):
    response = admin.post("/api/v1/incidents/", incident_body(org, **extra), format="json")
    assert response.status_code == 400
    assert response.json() == {name: [NOT_ACCEPTED] for name in extra}
    assert not Incident.objects.exists()


def test_refused_fields_are_reported_with_the_other_errors_at_once(admin, org):
    response = admin.post("/api/v1/incidents/", {"severity": "major", "state": "open"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"state", "title", "discovered_at", "department"}


def test_recording_an_action_refuses_fields_it_does_not_take(admin, incident):
    body = {"kind": "internal_report", "published_at": discovered(), "summary": "已报告", "recorded_by": 1}
    response = admin.post(f"/api/v1/incidents/{incident['id']}/actions/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"recorded_by": [NOT_ACCEPTED]}
    assert not Action.objects.exists()


def test_a_multipart_action_refuses_fields_it_does_not_take(admin, incident):
    body = {"kind": "internal_report", "published_at": discovered(), "summary": "已报告", "draft": "1"}
    response = admin.post(f"/api/v1/incidents/{incident['id']}/actions/", body, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"draft": [NOT_ACCEPTED]}


def test_a_finding_refuses_fields_it_does_not_take(admin, incident):
    obligation = incident["obligations"][0]["id"]
    body = {"kind": "criticism", "note": "超时", "decided_on": "2026-07-01", "recorded_at": "2026-07-01T00:00:00"}
    response = admin.post(f"/api/v1/obligations/{obligation}/accountability/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"recorded_at": [NOT_ACCEPTED]}


def test_a_department_refuses_fields_it_does_not_take(admin, org):
    body = {"name": "市卫健委", "code": "health", "parent": org.government.pk, "id": 7, "people": []}
    response = admin.post("/api/v1/departments/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"id": [NOT_ACCEPTED], "people": [NOT_ACCEPTED]}
    assert not Department.objects.filter(code="health").exists()


def test_a_person_cannot_be_made_superuser_by_a_field_the_api_does_not_take(admin, org):
    body = {
        "username": "newcomer",
        "password": "Jiangcheng-2026!",
        "department": org.department.pk,
        "is_superuser": True,
        "is_staff": True,
    }
    response = admin.post("/api/v1/people/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"is_staff": [NOT_ACCEPTED], "is_superuser": [NOT_ACCEPTED]}
    assert not Person.objects.filter(username="newcomer").exists()


def test_changing_a_person_or_department_refuses_what_it_does_not_take_too(admin, org):
    person = admin.patch(f"/api/v1/people/{org.leader.pk}/", {"phone": "139", "is_superuser": True}, format="json")
    department = admin.patch(f"/api/v1/departments/{org.department.pk}/", {"id": 1}, format="json")
    assert (person.status_code, person.json()) == (400, {"is_superuser": [NOT_ACCEPTED]})
    assert (department.status_code, department.json()) == (400, {"id": [NOT_ACCEPTED]})


def test_changing_an_incident_still_names_what_can_be_changed(admin, incident):
    response = admin.patch(f"/api/v1/incidents/{incident['id']}/", {"severity": "general"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "severity": ["Only the title, summary and source can be changed; severity changes by regrading."]
    }


def test_intake_ignores_fields_it_does_not_know(org, monitor):
    body = incident_body(org, external_id="YQ-1", heat_index=87.5, sentiment={"negative": 0.7})
    response = client_for(monitor).post("/api/v1/ingest/", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("extra", [{"state": "closed"}, {"id": 5}, {"logged_by": 1}, {"closed_at": None}])
def test_intake_refuses_read_only_fields_it_knows(org, monitor, extra):
    body = incident_body(org, external_id="YQ-1", heat_index=87.5, **extra)
    response = client_for(monitor, language="en").post("/api/v1/ingest/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {name: [NOT_ACCEPTED] for name in extra}
    assert not Incident.objects.exists()


# 3. Integration tokens reach the intake and nothing else


def every_operation() -> list[tuple[str, str]]:
    """Every (method, path) the schema documents, ids filled in, and the schema and docs themselves."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    operations = []
    for path, methods in paths.items():
        url = path.replace("{id}", "1").replace("{pk}", "1").replace("{incident_pk}", "1").replace("{year}", "2026")
        operations += [(method, url) for method in methods if method in {"get", "post", "put", "patch", "delete"}]
    return [*operations, ("get", "/api/v1/schema/"), ("get", "/api/v1/docs/"), ("get", "/api/v1/redoc/")]


def test_an_integration_token_is_refused_everywhere_but_the_intake_by_name(org, monitor):
    client = client_for(monitor, language="en")
    refused = [operation for operation in every_operation() if operation != ("post", "/api/v1/ingest/")]
    assert len(refused) > 30
    for method, url in refused:
        response = getattr(client, method)(url, {}, format="json")
        assert (response.status_code, response.data["detail"]) == (403, INTAKE_ONLY), (method, url)
    assert client.post("/api/v1/ingest/", incident_body(org, external_id="YQ-1"), format="json").status_code == 201


def test_an_integration_account_signed_in_by_session_is_refused_too(client, org, monitor):
    client.force_login(monitor)
    response = client.get("/api/v1/auth/session/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (403, {"detail": INTAKE_ONLY})


def test_people_keep_their_endpoints_and_anonymous_callers_their_401(org):
    officer = client_for(org.duty_officer)
    assert officer.get("/api/v1/auth/session/").status_code == 200
    assert officer.get("/api/v1/incidents/").status_code == 200
    assert APIClient().get("/api/v1/incidents/").status_code == 401
    assert APIClient().get("/api/v1/schema/").status_code == 200


# 4. Credentials are never shown whole in the admin


def test_api_tokens_are_masked_in_the_admin(admin_client, org):
    token = Token.objects.create(user=org.duty_officer)
    pages = [
        reverse("admin:authtoken_tokenproxy_changelist"),
        reverse("admin:authtoken_tokenproxy_change", args=[org.duty_officer.pk]),
        reverse("admin:authtoken_tokenproxy_delete", args=[org.duty_officer.pk]),
        reverse("admin:authtoken_tokenproxy_history", args=[org.duty_officer.pk]),
    ]
    for url in pages:
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert token.key not in page.content.decode(), url
    listed = admin_client.get(pages[0]).content.decode()
    assert f"••••{token.key[-4:]}" in listed


def test_a_token_added_in_the_admin_is_logged_masked(admin_client, org):
    added = admin_client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": org.leader.pk}, follow=True)
    key = Token.objects.get(user=org.leader).key
    assert added.status_code == 200
    assert key not in added.content.decode()
    assert key not in admin_client.get(reverse("admin:index")).content.decode()
