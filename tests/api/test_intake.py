"""Intake from monitoring systems: one incident per report, whatever the retries (docs/api.md, "Intake from
monitoring systems")."""

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incidents.models import Incident, Obligation, Role, TimelineEvent

from ..clients import client_for
from ..factories import PersonFactory


@pytest.fixture
def monitor(org):
    return PersonFactory(username="yuqing-monitor", department=org.government, roles=[Role.INTEGRATION])


def report(org, **overrides):
    discovered = timezone.localtime() - timedelta(minutes=30)
    return {
        "external_id": "YQ-2026-0001",
        "title": "短视频平台热传“某路段塌陷”",
        "severity": "relatively_major",
        "discovered_at": discovered.isoformat(),
        "department": org.department.pk,
        "source_platform": "douyin",
        "source_url": "https://www.douyin.com/video/1",
        **overrides,
    }


def test_the_same_report_twice_makes_one_incident(org, monitor):
    client = client_for(monitor)
    first = client.post("/api/v1/ingest/", report(org), format="json")
    again = client.post("/api/v1/ingest/", report(org, title="改过的标题"), format="json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "短视频平台热传“某路段塌陷”"  # the first report stands
    assert Incident.objects.count() == 1
    assert first.json()["external_id"] == "YQ-2026-0001"
    assert first.json()["logged_by"] == monitor.pk


def test_another_account_with_the_same_external_id_is_another_incident(org, monitor):
    other = PersonFactory(department=org.government, roles=[Role.INTEGRATION])
    assert client_for(monitor).post("/api/v1/ingest/", report(org), format="json").status_code == 201
    assert client_for(other).post("/api/v1/ingest/", report(org), format="json").status_code == 201
    assert Incident.objects.count() == 2


def test_intake_is_validated_like_logging(org, monitor):
    client = client_for(monitor)
    missing = client.post("/api/v1/ingest/", report(org, external_id="", severity="unknown"), format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"external_id", "severity"}
    assert Incident.objects.count() == 0


def test_integration_accounts_can_only_ingest(org, monitor):
    client = client_for(monitor)
    assert client.get("/api/v1/incidents/").status_code == 403
    assert client.post("/api/v1/incidents/", report(org), format="json").status_code == 403
    assert client_for(org.duty_officer).post("/api/v1/ingest/", report(org), format="json").status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_posts_at_once_make_one_incident(live_server, org, monitor, national_defaults):
    token = Token.objects.create(user=monitor).key
    body = report(org)
    start = threading.Barrier(20)
    answers = []

    def post():
        start.wait()
        answer = requests.post(
            f"{live_server.url}/api/v1/ingest/", json=body, headers={"Authorization": f"Token {token}"}, timeout=30
        )
        answers.append((answer.status_code, answer.json()["id"]))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(code for code, _id in answers)
    assert codes == [200] * 19 + [201]
    assert len({incident_id for _code, incident_id in answers}) == 1
    assert Incident.objects.count() == 1
    assert Obligation.objects.count() == 3  # internal report, response and verification report, once each
    assert TimelineEvent.objects.filter(kind="logged").count() == 1
