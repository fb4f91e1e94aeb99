"""Assessments, merges of duplicates and follow-on incidents through the API (docs/rules.md, "Casework";
docs/api.md, "Casework" and "Decided points of the second wave").

An assessment's decisions go through the usual rules (a duty officer's downgrade is a request); a duplicate
merged into another closes with its open obligations waived as merged, and intake of its external id
answers with the incident it now lives on; a closed incident that flares up again gets a follow-on with
clocks of its own, and the closed record is never reopened.
"""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import translation

from incidents.models import Role, TimelineEvent
from incidents.services.incidents import close
from incidents.services.obligations import waive
from incidents.timeline_text import describe

from ..clients import get_as, post_as
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + HOUR / 2
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_city():
    """A bureau of another city, whose incidents nobody of ours may read."""
    city = DepartmentFactory(name="河州市人民政府", is_government=True)
    department = DepartmentFactory(name="河州市交通局", parent=city)
    return SimpleNamespace(
        department=department, duty_officer=PersonFactory(department=department, roles=[Role.DUTY_OFFICER])
    )


def moment(text) -> datetime:
    return datetime.fromisoformat(text)


def incident_json(person, incident) -> dict:
    return get_as(person, f"/api/v1/incidents/{incident.pk}/").json()


def events(person, incident, kind) -> list[dict]:
    timeline = get_as(person, f"/api/v1/incidents/{incident.pk}/timeline/", {"page_size": 500}).json()["results"]
    return [event for event in timeline if event["kind"] == kind]


def has_chinese(errors: dict, field: str) -> bool:
    return any(CHINESE.search(str(message)) for message in errors[field])


def closed(org, log, **overrides):
    """An incident whose obligations were waived by a leader, then closed."""
    incident = log(discovered_at=DISCOVERED, **overrides)
    for obligation in incident.obligations.filter(state__in=["pending", "overdue"]):
        waive(obligation, reason="经研判无需回应", approver=org.leader, now=NOW)
    return close(incident, reason="处置完毕", actor=org.duty_officer, now=NOW)


# --- assessments (研判/会商) ------------------------------------------------------------------------------


def assess(person, incident, **body):
    fields = {
        "held_at": (NOW - HOUR / 4).isoformat(),
        "participants": [],
        "participants_text": "市网信办 王某",
        "conclusion": "网传信息与事实不符，影响有限",
        "response_line": "以官方通报为准",
        **body,
    }
    return post_as(person, f"/api/v1/incidents/{incident.pk}/assessments/", fields)


def test_a_duty_officers_assessment_that_lowers_the_severity_asks_for_the_downgrade(org, log):
    incident = log(discovered_at=DISCOVERED)

    answer = assess(org.duty_officer, incident, severity="general", participants=[org.duty_officer.pk, org.deputy.pk])

    assert answer.status_code == 201, answer.json()
    assessment = answer.json()
    assert assessment["incident"] == incident.pk
    assert assessment["severity"] == "general"
    assert sorted(assessment["participants"]) == sorted([org.duty_officer.pk, org.deputy.pk])
    assert assessment["participants_text"] == "市网信办 王某"
    assert assessment["conclusion"] == "网传信息与事实不符，影响有限"
    assert assessment["response_line"] == "以官方通报为准"
    assert assessment["recorded_by"] == org.duty_officer.pk
    assert moment(assessment["recorded_at"]) == NOW
    assert moment(assessment["held_at"]) == NOW - HOUR / 4
    assert assessment["request"] is not None
    [request] = get_as(org.leader, "/api/v1/requests/", {"incident": incident.pk}).json()["results"]
    assert (request["id"], request["kind"], request["state"]) == (assessment["request"], "downgrade", "pending")
    assert request["severity"] == "general"
    assert request["reason"] == "网传信息与事实不符，影响有限", "the conclusion is the reason"
    assert incident_json(org.duty_officer, incident)["severity"] == "major", "until approved, the severity stands"
    [event] = events(org.duty_officer, incident, "assessed")
    assert event["detail"]["conclusion"] == "网传信息与事实不符，影响有限"
    assert event["detail"]["response_line"] == "以官方通报为准"
    assert len(events(org.duty_officer, incident, "downgrade_requested")) == 1
    assert events(org.duty_officer, incident, "regraded") == []

    listed = get_as(org.leader, f"/api/v1/incidents/{incident.pk}/assessments/").json()
    assert listed["count"] == 1
    assert listed["results"][0] == assessment


def test_the_principal_leaders_assessment_applies_the_downgrade(org, log):
    incident = log(discovered_at=DISCOVERED)

    answer = assess(org.leader, incident, severity="general")

    assert answer.status_code == 201, answer.json()
    assert answer.json()["request"] is None
    after = incident_json(org.leader, incident)
    assert after["severity"] == "general"
    [press] = [o for o in after["obligations"] if o["kind"] == "press_conference"]
    assert (press["state"], press["waiver_kind"]) == ("waived", "regraded")
    assert len(events(org.leader, incident, "regraded")) == 1
    assert get_as(org.leader, "/api/v1/requests/", {"incident": incident.pk}).json()["count"] == 0


def test_an_assessment_replaces_the_co_handling_departments(org, log, housing, office_officer):
    incident = log(discovered_at=DISCOVERED)
    incident.co_departments.set([org.publicity])

    answer = assess(office_officer, incident, co_departments=[housing.department.pk])

    assert answer.status_code == 201, answer.json()
    assert answer.json()["co_departments"] == [housing.department.pk]
    assert answer.json()["severity"] == ""
    assert incident_json(office_officer, incident)["co_departments"] == [housing.department.pk]
    [change] = events(office_officer, incident, "co_departments_changed")
    assert change["detail"]["before"] == [org.publicity.pk]
    assert change["detail"]["after"] == [housing.department.pk]
    assert events(office_officer, incident, "regraded") == []

    unchanged = assess(office_officer, incident, conclusion="维持原判")
    assert unchanged.status_code == 201, unchanged.json()
    assert incident_json(office_officer, incident)["co_departments"] == [housing.department.pk], "absent: kept"
    assert len(events(office_officer, incident, "co_departments_changed")) == 1


def test_an_assessment_is_refused_in_the_future_without_a_conclusion_and_naming_the_lead(org, log):
    incident = log(discovered_at=DISCOVERED)

    future = assess(org.duty_officer, incident, held_at=(NOW + HOUR).isoformat())
    assert future.status_code == 400
    assert set(future.json()) == {"held_at"}
    assert has_chinese(future.json(), "held_at"), "errors are in Chinese by default"

    missing = assess(org.duty_officer, incident, conclusion="")
    assert missing.status_code == 400
    assert set(missing.json()) == {"conclusion"}
    no_conclusion = {"held_at": NOW.isoformat()}
    assert set(post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/assessments/", no_conclusion).json()) == {
        "conclusion"
    }

    lead = assess(org.duty_officer, incident, co_departments=[org.department.pk])
    assert lead.status_code == 400
    assert "co_departments" in lead.json()

    unknown = assess(org.duty_officer, incident, participants=[999_999])
    assert unknown.status_code == 400
    assert "participants" in unknown.json()

    assert get_as(org.leader, f"/api/v1/incidents/{incident.pk}/assessments/").json()["count"] == 0
    assert events(org.leader, incident, "assessed") == []


def test_who_may_record_an_assessment(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    section_leader = PersonFactory(department=org.department, roles=[Role.LEADER])

    assert assess(section_leader, incident).status_code == 403, "a leader who does not decide downgrades"
    assert assess(housing.duty_officer, incident).status_code == 404, "another bureau's incident"
    assert get_as(housing.duty_officer, f"/api/v1/incidents/{incident.pk}/assessments/").status_code == 404
    assert get_as(section_leader, f"/api/v1/incidents/{incident.pk}/assessments/").status_code == 200
    assert assess(org.office_head, incident).status_code == 201


# --- merging duplicates ---------------------------------------------------------------------------------


def merge(person, duplicate, into, reason="与已登记事件为同一事件"):
    target = into.pk if hasattr(into, "pk") else into
    return post_as(person, f"/api/v1/incidents/{duplicate.pk}/merge/", {"into": target, "reason": reason})


def test_a_merge_waives_the_open_obligations_closes_the_duplicate_and_links_both(org, log):
    target = log(discovered_at=DISCOVERED, title="网传路面塌陷")
    duplicate = log(discovered_at=DISCOVERED + HOUR / 4, title="某路段塌陷（重复）")
    was_open = set(duplicate.obligations.filter(state__in=["pending", "overdue"]).values_list("pk", flat=True))
    assert was_open

    answer = merge(org.leader, duplicate, target)

    assert answer.status_code == 200, answer.json()
    merged = answer.json()
    assert merged["id"] == duplicate.pk
    assert merged["state"] == "closed"
    assert moment(merged["closed_at"]) == NOW
    assert merged["close_reason"] == "与已登记事件为同一事件"
    assert merged["merged_into"] == target.pk
    for obligation in merged["obligations"]:
        if obligation["id"] in was_open:
            assert (obligation["state"], obligation["waiver_kind"]) == ("waived", "merged")
            assert obligation["waived_reason"] == "merged"
            assert obligation["waived_by"] == org.leader.pk
    assert merged["links"] == [{"incident": target.pk, "relation": "merged_into"}]
    into = incident_json(org.leader, target)
    assert into["state"] == "open"
    assert into["merged_into"] is None
    assert into["links"] == [{"incident": duplicate.pk, "relation": "merged_from"}]
    [away] = events(org.leader, duplicate, "merged")
    assert (away["detail"]["into"], away["detail"]["reason"]) == (target.pk, "与已登记事件为同一事件")
    assert away["actor"] == org.leader.pk
    [here] = events(org.leader, target, "merged")
    assert here["detail"]["from"] == duplicate.pk
    with translation.override("en"):
        assert f"#{target.pk}" in describe(TimelineEvent.objects.get(pk=away["id"]))
        assert f"#{duplicate.pk}" in describe(TimelineEvent.objects.get(pk=here["id"]))


def test_the_office_merges_too(org, log, office_officer):
    target, duplicate = log(discovered_at=DISCOVERED), log(discovered_at=DISCOVERED)
    assert merge(office_officer, duplicate, target).status_code == 200


def test_a_merge_is_refused_into_itself_a_closed_or_merged_incident_and_for_a_closed_duplicate(org, log):
    target = log(discovered_at=DISCOVERED)
    duplicate = log(discovered_at=DISCOVERED)
    finished = closed(org, log)
    already = log(discovered_at=DISCOVERED)
    assert merge(org.leader, already, target).status_code == 200

    itself = merge(org.leader, duplicate, duplicate)
    assert itself.status_code == 400
    assert set(itself.json()) == {"into"}
    assert has_chinese(itself.json(), "into"), "a msgid of this change: Chinese once compiled"

    for refused in (finished, already):
        answer = merge(org.leader, duplicate, refused)
        assert answer.status_code == 400, refused
        assert set(answer.json()) == {"into"}

    closed_duplicate = merge(org.leader, finished, target)
    assert closed_duplicate.status_code == 400
    assert "non_field_errors" in closed_duplicate.json()

    no_reason = merge(org.leader, duplicate, target, reason="")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()

    assert incident_json(org.leader, duplicate)["state"] == "open"
    assert events(org.leader, duplicate, "merged") == []


def test_a_target_the_caller_may_not_read_is_answered_as_a_missing_one(org, log, other_city):
    duplicate = log(discovered_at=DISCOVERED)
    hidden = log(discovered_at=DISCOVERED, department=other_city.department, actor=other_city.duty_officer)

    unreadable = merge(org.leader, duplicate, hidden)
    missing = merge(org.leader, duplicate, 999_999)

    assert (unreadable.status_code, missing.status_code) == (400, 400)
    [unreadable_message], [missing_message] = unreadable.json()["into"], missing.json()["into"]
    assert unreadable_message.replace(str(hidden.pk), "N") == missing_message.replace("999999", "N")
    assert incident_json(org.leader, duplicate)["state"] == "open"


def test_who_may_merge(org, log, housing):
    target, duplicate = log(discovered_at=DISCOVERED), log(discovered_at=DISCOVERED)

    assert merge(org.duty_officer, duplicate, target).status_code == 403, "a bureau duty officer"
    assert merge(housing.duty_officer, duplicate, target).status_code == 404, "an incident outside scope"
    assert incident_json(org.leader, duplicate)["state"] == "open"


def test_intake_of_a_merged_duplicates_external_id_answers_with_the_incident_it_lives_on(org, log):
    monitor = PersonFactory(department=org.government, roles=[Role.INTEGRATION])
    body = {
        "external_id": "YQ-2026-0042",
        "title": "短视频平台热传“某路段塌陷”",
        "severity": "major",
        "discovered_at": DISCOVERED.isoformat(),
        "department": org.department.pk,
    }
    first = post_as(monitor, "/api/v1/ingest/", body)
    assert first.status_code == 201, first.json()
    reported = first.json()["id"]
    target = log(discovered_at=DISCOVERED)

    assert (
        post_as(org.leader, f"/api/v1/incidents/{reported}/merge/", {"into": target.pk, "reason": "重复"}).status_code
        == 200
    )
    again = post_as(monitor, "/api/v1/ingest/", body)

    assert again.status_code == 200, again.json()
    assert again.json()["id"] == target.pk

    final = log(discovered_at=DISCOVERED)
    assert merge(org.leader, target, final).status_code == 200
    assert post_as(monitor, "/api/v1/ingest/", body).json()["id"] == final.pk, "followed to the end of the chain"


# --- follow-on incidents (二次发酵、次生舆情) -----------------------------------------------------------------


def follow_on_body(discovered_at, **extra):
    return {
        "title": "塌陷路段再度引发热议",
        "summary": "修复后再次出现裂缝",
        "severity": "relatively_major",
        "discovered_at": discovered_at.isoformat(),
        **extra,
    }


def test_a_follow_on_has_clocks_of_its_own_and_leaves_the_closed_record(org, log, clock):
    old = closed(org, log)
    before = incident_json(org.duty_officer, old)
    later = NOW + timedelta(days=10)
    clock.move_to(later)
    rediscovered = later - HOUR

    answer = post_as(org.duty_officer, f"/api/v1/incidents/{old.pk}/follow-on/", follow_on_body(rediscovered))

    assert answer.status_code == 201, answer.json()
    new = answer.json()
    assert new["id"] != old.pk
    assert new["follow_on_of"] == old.pk
    assert new["department"] == org.department.pk, "the closed incident's department by default"
    assert new["state"] == "open"
    assert new["severity"] == "relatively_major"
    assert new["obligations"]
    assert {moment(o["clock_started_at"]) for o in new["obligations"]} == {rediscovered}, "its own discovery"
    assert new["links"] == [{"incident": old.pk, "relation": "follow_on_of"}]
    after = incident_json(org.duty_officer, old)
    assert after["links"] == [{"incident": new["id"], "relation": "follow_on"}]
    assert {key: value for key, value in after.items() if key != "links"} == {
        key: value for key, value in before.items() if key != "links"
    }, "the closed record is never changed"
    [event] = events(org.duty_officer, old, "follow_on")
    assert event["detail"]["follow_on"] == new["id"]


def test_a_follow_on_may_name_another_department_the_caller_logs_for(org, log, office_officer, housing):
    old = closed(org, log)
    body = follow_on_body(NOW - HOUR / 4, department=housing.department.pk)
    answer = post_as(office_officer, f"/api/v1/incidents/{old.pk}/follow-on/", body)
    assert answer.status_code == 201, answer.json()
    assert answer.json()["department"] == housing.department.pk


def test_an_open_incident_gets_no_follow_on(org, log):
    incident = log(discovered_at=DISCOVERED)

    answer = post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/follow-on/", follow_on_body(NOW))

    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()
    assert has_chinese(answer.json(), "non_field_errors"), "a msgid of this change: Chinese once compiled"
    assert events(org.duty_officer, incident, "follow_on") == []


def test_who_may_open_a_follow_on(org, log, housing):
    old = closed(org, log)
    path = f"/api/v1/incidents/{old.pk}/follow-on/"

    assert post_as(org.leader, path, follow_on_body(NOW)).status_code == 403
    assert post_as(housing.duty_officer, path, follow_on_body(NOW)).status_code == 404
    future = post_as(org.duty_officer, path, follow_on_body(NOW + 2 * HOUR))
    assert future.status_code == 400
    assert "discovered_at" in future.json()
    assert events(org.duty_officer, old, "follow_on") == []
