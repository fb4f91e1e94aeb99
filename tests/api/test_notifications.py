"""The inbox and acknowledgement through the API (docs/api.md, "Notifications")."""

from datetime import timedelta

import pytest
import time_machine

from incidents.models import Role, TimelineEvent
from notifications.enforcement import enforce

from ..clients import client_for
from ..conftest import beijing
from ..factories import PersonFactory

DISCOVERED = beijing(2026, 6, 1, 9, 0)


@pytest.fixture
def escalated(org, log):
    """A 重大 incident left without a statement until its deadline has passed, and a pass run."""
    incident = log(discovered_at=DISCOVERED)
    with time_machine.travel(DISCOVERED + timedelta(hours=5, minutes=1), tick=False):
        enforce(DISCOVERED + timedelta(hours=5, minutes=1))
        yield incident


def test_a_leader_sees_and_acknowledges_their_own_escalation(org, escalated):
    leader = client_for(org.leader)
    inbox = leader.get("/api/v1/notifications/", {"incident": escalated.pk}).json()
    assert inbox["count"] > 0
    assert {n["recipient"] for n in inbox["results"]} == {org.leader.pk}
    overdue = next(n for n in inbox["results"] if n["step"] == "overdue_l1" and n["channel"] == "in_app")

    acknowledged = leader.post(f"/api/v1/notifications/{overdue['id']}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_at"] == "2026-06-01T14:01:00+08:00"
    assert TimelineEvent.objects.filter(incident=escalated, kind="acknowledged", actor=org.leader).count() == 1


def test_nobody_else_acknowledges_or_sees_a_notification(org, escalated):
    mine = client_for(org.leader).get("/api/v1/notifications/").json()["results"][0]
    assert client_for(org.mayor).post(f"/api/v1/notifications/{mine['id']}/acknowledge/").status_code == 404
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    assert auditor.get(f"/api/v1/notifications/{mine['id']}/").status_code == 200
    assert auditor.post(f"/api/v1/notifications/{mine['id']}/acknowledge/").status_code == 403


def test_filters(org, escalated):
    auditor = client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    everyone = auditor.get("/api/v1/notifications/").json()["count"]
    leaders = auditor.get("/api/v1/notifications/", {"recipient": org.leader.pk}).json()["count"]
    skipped = auditor.get("/api/v1/notifications/", {"status": "skipped"}).json()["results"]
    assert 0 < leaders < everyone
    assert all(n["status"] == "skipped" for n in skipped)
