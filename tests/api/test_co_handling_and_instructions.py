"""Co-handling departments and leaders' instructions through the API (docs/rules.md, "Casework"): co-handlers
read the incident, record internal reports and situation notes and are reached by the department's steps;
each department an instruction addresses owes a reply, and an unanswered one goes back to its leader."""

from datetime import timedelta

import pytest
import time_machine

from incidents.models import Role
from notifications.enforcement import enforce
from notifications.models import Notification

from ..clients import client_for, get_as, post_as
from ..conftest import beijing
from ..factories import PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + HOUR / 2


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def told(obligation, person, step) -> bool:
    return Notification.objects.filter(obligation=obligation, step=step, recipient=person).exists()


def run_pass(clock, at):
    clock.move_to(at)
    enforce(at)


def test_co_handlers_named_at_logging_read_the_incident_and_record_their_internal_kinds(org, housing):
    logged = post_as(
        org.duty_officer,
        "/api/v1/incidents/",
        {
            "title": "医院周边道路拥堵引发投诉",
            "severity": "major",
            "discovered_at": DISCOVERED.isoformat(),
            "department": org.department.pk,
            "co_departments": [housing.department.pk],
        },
    )
    assert logged.status_code == 201, logged.json()
    incident = logged.json()
    assert incident["co_departments"] == [housing.department.pk]
    path = f"/api/v1/incidents/{incident['id']}/"
    assert get_as(housing.duty_officer, path).status_code == 200, "a co-handler reads the incident"

    note = post_as(
        housing.duty_officer,
        path + "actions/",
        {"kind": "situation_note", "published_at": NOW.isoformat(), "summary": "医院已安排车辆疏导"},
    )
    assert note.status_code == 201, note.json()
    assert note.json()["department"] == housing.department.pk
    statement = post_as(
        housing.duty_officer,
        path + "actions/",
        {"kind": "statement", "published_at": NOW.isoformat(), "evidence_url": "https://www.gov.cn/n"},
    )
    assert statement.status_code == 403, "the lead speaks in public; a co-handler records internal kinds only"


def test_the_lead_names_co_handlers_later_and_the_timeline_keeps_before_and_after(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/"
    assert get_as(housing.duty_officer, path).status_code == 404

    changed = client_for(org.duty_officer).patch(path, {"co_departments": [housing.department.pk]}, format="json")

    assert changed.status_code == 200, changed.json()
    assert get_as(housing.duty_officer, path).status_code == 200
    [event] = [
        e
        for e in get_as(org.duty_officer, path + "timeline/").json()["results"]
        if e["kind"] == "co_departments_changed"
    ]
    assert (event["detail"]["before"], event["detail"]["after"]) == ([], [housing.department.pk])
    itself = client_for(org.duty_officer).patch(path, {"co_departments": [org.department.pk]}, format="json")
    assert itself.status_code == 400
    assert "co_departments" in itself.json()
    refused = client_for(housing.duty_officer).patch(path, {"co_departments": []}, format="json")
    assert refused.status_code == 403, "a co-handler does not choose the co-handlers"


def test_the_departments_steps_reach_the_co_handlers_contacts_and_leaders(org, log, housing, clock):
    incident = log(discovered_at=DISCOVERED, co_departments=[housing.department])
    internal = incident.obligations.get(kind="internal_report")

    run_pass(clock, DISCOVERED + HOUR)  # half the 2 h gone: the contacts are warned
    assert told(internal, org.duty_officer, "warning")
    assert told(internal, housing.duty_officer, "warning"), "the co-handler's duty officer receives the warning"

    run_pass(clock, DISCOVERED + 2 * HOUR)  # due: the principal leaders
    assert told(internal, org.leader, "overdue_l1")
    assert told(internal, housing.leader, "overdue_l1")


def give(leader, incident, departments, **extra):
    return post_as(
        leader,
        f"/api/v1/incidents/{incident.pk}/instructions/",
        {"text": "请迅速核实情况，及时回应社会关切", "departments": [d.pk for d in departments], **extra},
    )


def test_an_instruction_gives_each_addressed_department_an_obligation_met_by_its_reply(org, log, housing):
    incident = log(discovered_at=DISCOVERED)

    given = give(org.mayor, incident, [org.department, housing.department])

    assert given.status_code == 201, given.json()
    body = given.json()
    assert body["given_by"] == org.mayor.pk
    owed = {o["department"]: o for o in body["obligations"]}
    assert set(owed) == {org.department.pk, housing.department.pk}
    assert all(o["kind"] == "instruction" and o["state"] == "pending" for o in owed.values())
    assert {o["due_at"] for o in owed.values()} == {(NOW + 24 * HOUR).isoformat()}, "24 hours by default"

    reply = post_as(
        housing.duty_officer,
        f"/api/v1/incidents/{incident.pk}/actions/",
        {
            "kind": "instruction_reply",
            "instruction": body["id"],
            "published_at": NOW.isoformat(),
            "summary": "已核实，正在处置",
        },
    )
    assert reply.status_code == 201, reply.json()
    states = {
        o["department"]: o["state"]
        for o in get_as(org.mayor, f"/api/v1/incidents/{incident.pk}/").json()["obligations"]
        if o["kind"] == "instruction"
    }
    assert states == {housing.department.pk: "met", org.department.pk: "pending"}, "each department answers for itself"


def test_an_unanswered_instruction_escalates_back_to_the_leader_who_gave_it(org, log, housing, clock):
    """It escalates like any obligation, its last level (due + 2 h for a 重大 incident) going to the leader who
    gave it, in place of the government's principal leader."""
    incident = log(discovered_at=DISCOVERED)
    given = give(org.leader, incident, [housing.department], due_at=(NOW + 4 * HOUR).isoformat())
    assert given.status_code == 201, given.json()
    obligation = incident.obligations.get(kind="instruction")

    run_pass(clock, NOW + 4 * HOUR)
    assert told(obligation, housing.leader, "overdue_l1"), "the addressed department's principal leader first"
    run_pass(clock, NOW + 5 * HOUR)
    assert told(obligation, org.office_head, "overdue_l2"), "then the government office, like any obligation"
    assert told(obligation, org.publicity_head, "overdue_l2")
    run_pass(clock, NOW + 6 * HOUR)
    assert told(obligation, org.leader, "overdue_l3"), "the last level: back to the leader who gave it"
    assert not told(obligation, org.mayor, "overdue_l3")


def test_only_leaders_give_instructions_and_a_reply_names_an_addressed_department(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    assert give(org.duty_officer, incident, [housing.department]).status_code == 403
    assert give(org.mayor, incident, []).status_code == 400
    given = give(org.mayor, incident, [housing.department]).json()

    wrong = post_as(
        org.duty_officer,
        f"/api/v1/incidents/{incident.pk}/actions/",
        {"kind": "instruction_reply", "instruction": given["id"], "published_at": NOW.isoformat(), "summary": "已办"},
    )
    assert wrong.status_code == 403, "the lead was not addressed by this instruction"
    missing = post_as(
        housing.duty_officer,
        f"/api/v1/incidents/{incident.pk}/actions/",
        {"kind": "instruction_reply", "published_at": NOW.isoformat(), "summary": "已办"},
    )
    assert missing.status_code == 400
    assert "instruction" in missing.json()


def test_a_monitoring_system_does_not_name_co_handlers(org):
    integration = PersonFactory(department=org.department, roles=[Role.INTEGRATION])
    answer = post_as(
        integration,
        "/api/v1/ingest/",
        {
            "title": "监测到舆情",
            "severity": "general",
            "discovered_at": DISCOVERED.isoformat(),
            "department": org.department.pk,
            "external_id": "m-1",
            "co_departments": [org.office.pk],
        },
    )
    assert answer.status_code == 400
    assert "co_departments" in answer.json()


def test_a_co_handlers_internal_report_is_its_own_and_does_not_meet_the_leads(org, log, housing):
    incident = log(discovered_at=DISCOVERED, co_departments=[housing.department])

    recorded = post_as(
        housing.duty_officer,
        f"/api/v1/incidents/{incident.pk}/actions/",
        {"kind": "internal_report", "published_at": NOW.isoformat(), "summary": "已向我委领导报告"},
    )

    assert recorded.status_code == 201
    assert incident.obligations.get(kind="internal_report").state == "pending", "the lead owns its obligations"
