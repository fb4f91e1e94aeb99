"""Casework through the API (docs/rules.md, "Casework"; docs/api.md, "Casework" and "Decided points of the
second wave"): the government office transfers incidents, a lead asks for a return, a downgrade, an extension
or a waiver, and the people who may decide approve or refuse; nobody decides their own request."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from incidents.models import Role
from incidents.services.people import set_roles
from notifications.enforcement import enforce
from notifications.models import Notification

from ..clients import get_as, post_as
from ..conftest import beijing
from ..factories import PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday: the verification report is due at the end of Thursday
NOW = DISCOVERED + HOUR / 2  # before any escalation step, and before every deadline
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def moment(text) -> datetime:
    return datetime.fromisoformat(text)


def deadlines(incident_json) -> dict:
    return {o["id"]: moment(o["due_at"]) for o in incident_json["obligations"]}


def obligation_of(person, incident, kind) -> dict:
    incident_json = get_as(person, f"/api/v1/incidents/{incident.pk}/").json()
    [obligation] = [o for o in incident_json["obligations"] if o["kind"] == kind and o["state"] != "waived"]
    return obligation


def events(person, incident, kind) -> list[dict]:
    timeline = get_as(person, f"/api/v1/incidents/{incident.pk}/timeline/", {"page_size": 500}).json()["results"]
    return [event for event in timeline if event["kind"] == kind]


def has_chinese(errors: dict, field: str) -> bool:
    return any(CHINESE.search(str(message)) for message in errors[field])


# --- the government office: reads every incident of its government, transfers -------------------------


def test_the_office_reads_every_incident_under_its_government(org, log, housing, office_officer):
    bureau = log(discovered_at=DISCOVERED)
    other_bureau = log(discovered_at=DISCOVERED, department=housing.department, actor=housing.duty_officer)

    for person in (org.office_head, office_officer):
        for incident in (bureau, other_bureau):
            answer = get_as(person, f"/api/v1/incidents/{incident.pk}/")
            assert answer.status_code == 200, (person, incident)
            assert answer.json()["id"] == incident.pk
        listed = {row["id"] for row in get_as(person, "/api/v1/incidents/", {"page_size": 500}).json()["results"]}
        assert {bureau.pk, other_bureau.pk} <= listed
    assert get_as(housing.duty_officer, f"/api/v1/incidents/{bureau.pk}/").status_code == 404, "a bureau reads its own"


@pytest.mark.parametrize("who", ["office_officer", "office_head"])
def test_the_office_transfers_an_incident_and_no_deadline_moves(org, log, housing, office_officer, who):
    person = office_officer if who == "office_officer" else org.office_head
    incident = log(discovered_at=DISCOVERED)
    before = get_as(person, f"/api/v1/incidents/{incident.pk}/").json()

    answer = post_as(
        person,
        f"/api/v1/incidents/{incident.pk}/transfer/",
        {"department": housing.department.pk, "reason": "涉及房屋安全，属住建部门职责"},
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["id"] == incident.pk
    assert answer.json()["department"] == housing.department.pk
    assert deadlines(answer.json()) == deadlines(before), "clocks never restart, deadlines never move"
    assert get_as(person, f"/api/v1/incidents/{incident.pk}/").json()["department"] == housing.department.pk
    [event] = events(person, incident, "transferred")
    assert event["actor"] == person.pk
    assert event["detail"]["from"] == org.department.pk
    assert event["detail"]["to"] == housing.department.pk
    assert event["detail"]["reason"] == "涉及房屋安全，属住建部门职责"


def test_a_bureau_duty_officer_may_not_transfer_and_the_reason_is_required(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/transfer/"

    refused = post_as(org.duty_officer, path, {"department": housing.department.pk, "reason": "不属我局职责"})
    assert refused.status_code == 403

    no_reason = post_as(org.office_head, path, {"department": housing.department.pk})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    assert has_chinese(no_reason.json(), "reason"), "errors are in Chinese by default"

    blank_reason = post_as(org.office_head, path, {"department": housing.department.pk, "reason": ""})
    assert blank_reason.status_code == 400
    assert "reason" in blank_reason.json()

    assert get_as(org.office_head, f"/api/v1/incidents/{incident.pk}/").json()["department"] == org.department.pk
    assert events(org.office_head, incident, "transferred") == []


def test_after_a_transfer_the_next_steps_reach_the_new_lead(org, log, housing, clock):
    """The internal report (2 h) warns the contacts at 1 h, the contacts and the responsible leader at
    1 h 30 (30 min before, a short deadline), and the principal leader when it is due."""
    incident = log(discovered_at=DISCOVERED)
    internal = incident.obligations.get(kind="internal_report")

    def told(person, step):
        return Notification.objects.filter(obligation=internal, step=step, recipient=person).exists()

    clock.move_to(DISCOVERED + HOUR)
    enforce(DISCOVERED + HOUR)
    assert told(org.duty_officer, "warning")

    transferred = post_as(
        org.office_head,
        f"/api/v1/incidents/{incident.pk}/transfer/",
        {"department": housing.department.pk, "reason": "属住建部门职责"},
    )
    assert transferred.status_code == 200, transferred.json()
    [due] = [moment(o["due_at"]) for o in transferred.json()["obligations"] if o["kind"] == "internal_report"]
    assert due == DISCOVERED + 2 * HOUR

    clock.move_to(DISCOVERED + 1.5 * HOUR)
    enforce(DISCOVERED + 1.5 * HOUR)
    assert told(housing.duty_officer, "due_soon")
    assert told(housing.deputy, "due_soon")
    assert not told(org.duty_officer, "due_soon")
    assert not told(org.deputy, "due_soon")

    clock.move_to(DISCOVERED + 2 * HOUR)
    enforce(DISCOVERED + 2 * HOUR)
    assert told(housing.leader, "overdue_l1"), "the new lead's principal leader is told when it falls due"
    assert not told(org.leader, "overdue_l1"), "the old lead is no longer escalated to"
    assert told(org.duty_officer, "warning"), "what the old lead was told stays in the record"


# --- return (退回) -------------------------------------------------------------------------------------


def ask_for_return(org, incident):
    return post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/return/", {"reason": "不属我局职责"})


def test_the_lead_asks_for_a_return_and_the_office_transfers_it(org, log, housing, office_officer):
    incident = log(discovered_at=DISCOVERED)
    before = get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()

    asked = ask_for_return(org, incident)

    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert request["kind"] == "return"
    assert request["state"] == "pending"
    assert request["requested_by"] == org.duty_officer.pk
    assert request["reason"] == "不属我局职责"
    assert request["incident"] == incident.pk
    assert request["obligation"] is None
    assert request["decided_by"] is None
    assert request["decided_at"] is None
    assert request["decision_note"] == ""
    assert len(events(org.duty_officer, incident, "return_requested")) == 1
    assert get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()["department"] == org.department.pk

    approved = post_as(
        office_officer,
        f"/api/v1/requests/{request['id']}/approve/",
        {"note": "转住建局办理", "department": housing.department.pk},
    )

    assert approved.status_code == 200, approved.json()
    decided = approved.json()
    assert decided["id"] == request["id"]
    assert decided["state"] == "approved"
    assert decided["decided_by"] == office_officer.pk
    assert moment(decided["decided_at"]) == NOW
    assert decided["decision_note"] == "转住建局办理"
    assert decided["department"] == housing.department.pk
    after = get_as(office_officer, f"/api/v1/incidents/{incident.pk}/").json()
    assert after["department"] == housing.department.pk
    assert deadlines(after) == deadlines(before)
    assert len(events(office_officer, incident, "request_approved")) == 1
    [transfer] = events(office_officer, incident, "transferred")
    assert (transfer["detail"]["from"], transfer["detail"]["to"]) == (org.department.pk, housing.department.pk)


def test_the_office_refuses_a_return_and_the_lead_keeps_the_incident(org, log):
    incident = log(discovered_at=DISCOVERED)
    request = ask_for_return(org, incident).json()

    refused = post_as(org.office_head, f"/api/v1/requests/{request['id']}/refuse/", {"note": "属地管理，仍由你局牵头"})

    assert refused.status_code == 200, refused.json()
    assert refused.json()["state"] == "refused"
    assert refused.json()["decided_by"] == org.office_head.pk
    assert refused.json()["decision_note"] == "属地管理，仍由你局牵头"
    assert get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()["department"] == org.department.pk
    assert len(events(org.office_head, incident, "request_refused")) == 1
    assert events(org.office_head, incident, "transferred") == []


def test_a_bureau_leader_cannot_decide_a_return(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    request = ask_for_return(org, incident).json()

    approve = post_as(
        org.leader, f"/api/v1/requests/{request['id']}/approve/", {"note": "同意", "department": housing.department.pk}
    )
    refuse = post_as(org.leader, f"/api/v1/requests/{request['id']}/refuse/", {"note": "不同意"})

    assert approve.status_code == 403
    assert refuse.status_code == 403
    [still] = get_as(org.office_head, "/api/v1/requests/", {"incident": incident.pk}).json()["results"]
    assert (still["id"], still["state"]) == (request["id"], "pending")
    assert get_as(org.leader, f"/api/v1/incidents/{incident.pk}/").json()["department"] == org.department.pk


# --- downgrade needs a leader ---------------------------------------------------------------------------


def test_a_duty_officers_downgrade_waits_for_the_principal_leader(org, log):
    incident = log(discovered_at=DISCOVERED)

    asked = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "影响有限"}
    )

    assert asked.status_code == 202, asked.json()
    request = asked.json()
    assert (request["kind"], request["state"], request["severity"]) == ("downgrade", "pending", "general")
    assert request["requested_by"] == org.duty_officer.pk
    assert request["incident"] == incident.pk
    unchanged = get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()
    assert unchanged["severity"] == "major"
    assert obligation_of(org.duty_officer, incident, "press_conference")["state"] == "pending", "still running"

    approved = post_as(org.leader, f"/api/v1/requests/{request['id']}/approve/", {"note": "同意降为一般"})

    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] == org.leader.pk
    after = get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()
    assert after["severity"] == "general"
    [press] = [o for o in after["obligations"] if o["kind"] == "press_conference"]
    assert press["state"] == "waived"
    assert press["waiver_kind"] == "regraded"
    assert len(events(org.leader, incident, "request_approved")) == 1
    assert len(events(org.leader, incident, "regraded")) == 1


def test_a_refused_downgrade_leaves_the_severity(org, log):
    incident = log(discovered_at=DISCOVERED)
    request = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "影响有限"}
    ).json()

    refused = post_as(org.deputy, f"/api/v1/requests/{request['id']}/refuse/", {"note": "舆情仍在发酵"})

    assert refused.status_code == 200, refused.json()
    assert refused.json()["state"] == "refused"
    assert get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()["severity"] == "major"
    assert obligation_of(org.duty_officer, incident, "press_conference")["state"] == "pending"
    assert events(org.deputy, incident, "regraded") == []


def test_a_duty_officer_raises_the_severity_at_once(org, log):
    incident = log(discovered_at=DISCOVERED, severity="general")

    raised = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "major", "reason": "舆情升温"}
    )

    assert raised.status_code == 200, raised.json()
    assert raised.json()["severity"] == "major"
    assert "press_conference" in {o["kind"] for o in raised.json()["obligations"] if o["state"] != "waived"}


@pytest.mark.parametrize("who", ["leader", "deputy", "office_head"])
def test_a_leader_who_may_decide_regrades_down_at_once(org, log, who):
    person = getattr(org, who)
    incident = log(discovered_at=DISCOVERED)

    answer = post_as(
        person, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "经研判影响有限"}
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["severity"] == "general"
    [press] = [o for o in answer.json()["obligations"] if o["kind"] == "press_conference"]
    assert press["state"] == "waived"
    assert get_as(person, "/api/v1/requests/", {"incident": incident.pk}).json()["count"] == 0, "no request needed"


# --- nobody decides their own request ------------------------------------------------------------------


def test_the_requester_never_approves_their_own_request(org, log):
    """The responsible leader who is on duty as well asks for an extension: someone else decides it."""
    set_roles(org.deputy, [Role.DUTY_OFFICER, Role.LEADER])
    incident = log(discovered_at=DISCOVERED)
    report = obligation_of(org.deputy, incident, "verification_report")
    later = moment(report["due_at"]) + timedelta(days=1)
    asked = post_as(
        org.deputy,
        f"/api/v1/obligations/{report['id']}/extensions/",
        {"due_at": later.isoformat(), "reason": "需补充调查"},
    )
    assert asked.status_code == 201, asked.json()

    own = post_as(org.deputy, f"/api/v1/requests/{asked.json()['id']}/approve/", {"note": "同意"})

    assert own.status_code == 403
    assert moment(get_as(org.deputy, f"/api/v1/obligations/{report['id']}/").json()["due_at"]) == moment(
        report["due_at"]
    )
    assert post_as(org.leader, f"/api/v1/requests/{asked.json()['id']}/approve/", {"note": "同意"}).status_code == 200


# --- extensions (延期) ---------------------------------------------------------------------------------


def ask_for_extension(person, obligation, due_at, reason="需补充调查取证"):
    return post_as(
        person, f"/api/v1/obligations/{obligation['id']}/extensions/", {"due_at": due_at.isoformat(), "reason": reason}
    )


def test_an_hour_deadline_can_never_be_extended(org, log):
    incident = log(discovered_at=DISCOVERED)
    statement = obligation_of(org.duty_officer, incident, "first_statement")

    refused = ask_for_extension(org.duty_officer, statement, moment(statement["due_at"]) + HOUR)

    assert refused.status_code == 400
    assert "due_at" in refused.json()
    assert has_chinese(refused.json(), "due_at")
    assert moment(get_as(org.duty_officer, f"/api/v1/obligations/{statement['id']}/").json()["due_at"]) == moment(
        statement["due_at"]
    )


def test_the_verification_report_is_extended_within_the_limit_once_approved(org, log):
    incident = log(discovered_at=DISCOVERED)
    report = obligation_of(org.duty_officer, incident, "verification_report")
    original = moment(report["due_at"])
    later = original + timedelta(days=1)  # the end of the Friday: one further working day

    asked = ask_for_extension(org.duty_officer, report, later)

    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert (request["kind"], request["state"]) == ("extension", "pending")
    assert moment(request["due_at"]) == later
    assert request["obligation"] == report["id"]
    assert request["incident"] == incident.pk
    waiting = get_as(org.duty_officer, f"/api/v1/obligations/{report['id']}/").json()
    assert moment(waiting["due_at"]) == original, "until approved, the deadline stands"
    assert waiting["extended"] is False
    assert moment(waiting["original_due_at"]) == original

    approved = post_as(org.leader, f"/api/v1/requests/{request['id']}/approve/", {"note": "同意延期"})

    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    extended = get_as(org.duty_officer, f"/api/v1/obligations/{report['id']}/").json()
    assert moment(extended["due_at"]) == later
    assert moment(extended["original_due_at"]) == original
    assert extended["extended"] is True
    assert len(events(org.leader, incident, "extended")) == 1
    never = get_as(
        org.duty_officer, f"/api/v1/obligations/{obligation_of(org.duty_officer, incident, 'first_statement')['id']}/"
    ).json()
    assert moment(never["original_due_at"]) == moment(never["due_at"]), "never extended: the same deadline"
    assert never["extended"] is False


def test_an_extension_beyond_the_limit_is_refused(org, log):
    """Three further working days at most: a week later is five."""
    incident = log(discovered_at=DISCOVERED)
    report = obligation_of(org.duty_officer, incident, "verification_report")

    refused = ask_for_extension(org.duty_officer, report, moment(report["due_at"]) + timedelta(days=7))

    assert refused.status_code == 400
    assert "due_at" in refused.json()
    assert get_as(org.leader, "/api/v1/requests/", {"incident": incident.pk}).json()["count"] == 0


def test_an_extension_is_asked_for_before_the_deadline(org, log, clock):
    incident = log(discovered_at=DISCOVERED)
    report = obligation_of(org.duty_officer, incident, "verification_report")
    original = moment(report["due_at"])
    clock.move_to(original + HOUR)

    refused = ask_for_extension(org.duty_officer, report, original + timedelta(days=1))

    assert refused.status_code == 400
    assert "due_at" in refused.json()
    assert moment(get_as(org.duty_officer, f"/api/v1/obligations/{report['id']}/").json()["due_at"]) == original


# --- waivers are asked for, then granted -------------------------------------------------------------


def test_a_waiver_is_asked_for_and_granted_by_a_leader_in_scope(org, log):
    incident = log(discovered_at=DISCOVERED)
    press = obligation_of(org.duty_officer, incident, "press_conference")
    section_leader = PersonFactory(department=org.department, roles=[Role.LEADER])

    asked = post_as(
        org.duty_officer, f"/api/v1/obligations/{press['id']}/waiver-requests/", {"reason": "已并入全市通报会"}
    )

    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert (request["kind"], request["state"], request["obligation"]) == ("waiver", "pending", press["id"])
    assert get_as(org.duty_officer, f"/api/v1/obligations/{press['id']}/").json()["state"] == "pending"

    approved = post_as(section_leader, f"/api/v1/requests/{request['id']}/approve/", {"note": "同意"})

    assert approved.status_code == 200, approved.json()
    waived = get_as(org.duty_officer, f"/api/v1/obligations/{press['id']}/").json()
    assert waived["state"] == "waived"
    assert waived["waived_by"] == section_leader.pk, "the approver is recorded"
    assert len(events(org.leader, incident, "waived")) == 1


# --- the list of requests ------------------------------------------------------------------------------


def test_the_requests_list_shows_what_the_caller_may_see_those_they_may_decide_first(org, log, housing, clock):
    first = log(discovered_at=DISCOVERED)
    second = log(discovered_at=DISCOVERED, title="网传桥梁裂缝")
    downgrade = post_as(
        org.duty_officer, f"/api/v1/incidents/{first.pk}/regrade/", {"severity": "general", "reason": "影响有限"}
    ).json()
    clock.shift(timedelta(minutes=1))
    press = obligation_of(org.duty_officer, second, "press_conference")
    waiver = post_as(org.duty_officer, f"/api/v1/obligations/{press['id']}/waiver-requests/", {"reason": "并案"}).json()
    clock.shift(timedelta(minutes=1))
    back = ask_for_return(org, first).json()  # the newest, and not the bureau leader's to decide

    as_leader = get_as(org.leader, "/api/v1/requests/").json()
    assert as_leader["count"] == 3
    order = [row["id"] for row in as_leader["results"]]
    assert set(order[:2]) == {downgrade["id"], waiver["id"]}
    assert order[2] == back["id"]

    as_office = {row["id"] for row in get_as(org.office_head, "/api/v1/requests/").json()["results"]}
    assert as_office == {downgrade["id"], waiver["id"], back["id"]}
    assert get_as(housing.duty_officer, "/api/v1/requests/").json()["count"] == 0, "another bureau's requests"

    def ids(**filters):
        return {row["id"] for row in get_as(org.leader, "/api/v1/requests/", filters).json()["results"]}

    assert ids(kind="return") == {back["id"]}
    assert ids(incident=second.pk) == {waiver["id"]}
    assert post_as(org.leader, f"/api/v1/requests/{waiver['id']}/approve/", {"note": "同意"}).status_code == 200
    assert ids(state="pending") == {downgrade["id"], back["id"]}
    assert ids(state="approved") == {waiver["id"]}
    assert ids(state="pending", kind="downgrade", incident=first.pk) == {downgrade["id"]}
