"""Casework's rules hold against the ways round them: a regrade never drops an instruction or an approved
extension, a decision is judged on the incident as it stands then, departments of another government are never
named, and a merged duplicate's requests are settled (docs/rules.md, "Casework")."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from incidents.casework.regrading import regrade_or_ask
from incidents.models import CaseRequest, Incident, Obligation, ObligationPolicy, Role
from notifications.enforcement import enforce
from notifications.models import Notification

from ..clients import client_for, get_as, post_as
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday: the verification report is due at the end of Thursday
NOW = DISCOVERED + HOUR / 2


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def elsewhere(org):
    """A bureau of another city, with its duty officer and principal leader."""
    city = DepartmentFactory(name="海城市人民政府", is_government=True)
    bureau = DepartmentFactory(name="海城市公安局", parent=city)
    officer = PersonFactory(department=bureau, roles=[Role.DUTY_OFFICER])
    chief = PersonFactory(department=bureau, roles=[Role.LEADER])
    bureau.principal_leader = chief
    bureau.save()
    return SimpleNamespace(bureau=bureau, officer=officer, chief=chief)


def report_of(incident) -> Obligation:
    return incident.obligations.get(kind="verification_report")


def ask_extension(org, incident, days=1):
    report = report_of(incident)
    body = {"due_at": (report.due_at + timedelta(days=days)).isoformat(), "reason": "需补充调查"}
    return post_as(org.duty_officer, f"/api/v1/obligations/{report.pk}/extensions/", body)


def approve(person, asked):
    return post_as(person, f"/api/v1/requests/{asked.json()['id']}/approve/", {"note": "同意"})


def test_raising_the_grade_keeps_an_open_instruction_owed(org, log, housing):
    incident = log(discovered_at=DISCOVERED, severity="general")
    given = post_as(
        org.mayor,
        f"/api/v1/incidents/{incident.pk}/instructions/",
        {"text": "请核查", "departments": [housing.department.pk]},
    )
    assert given.status_code == 201

    raised = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "major", "reason": "升温"}
    )

    [instruction] = [o for o in raised.json()["obligations"] if o["kind"] == "instruction"]
    assert instruction["state"] == "pending"


def test_a_regrade_keeps_an_approved_extension(org, log, clock):
    incident = log(discovered_at=DISCOVERED, severity="general")
    assert approve(org.leader, ask_extension(org, incident)).status_code == 200
    extended = report_of(incident)
    clock.move_to(extended.original_due_at + HOUR)  # past the original deadline, within the extension

    post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "major", "reason": "升温"})

    report = report_of(incident)
    assert (report.due_at, report.state) == (extended.due_at, "pending")


def test_a_deadline_that_passed_while_the_request_waited_stands(org, log, clock):
    incident = log(discovered_at=DISCOVERED, severity="general")
    asked = ask_extension(org, incident)
    original = report_of(incident).due_at
    clock.move_to(original + 2 * HOUR)
    enforce(original + 2 * HOUR)

    answer = approve(org.leader, asked)

    assert answer.status_code == 400
    assert "due_at" in answer.json()
    assert (report_of(incident).due_at, report_of(incident).state) == (original, "overdue")
    assert CaseRequest.objects.get().state == "pending", "nothing was decided; the leader may refuse it"


def test_an_extension_the_policy_no_longer_allows_is_not_approved(org, log):
    incident = log(discovered_at=DISCOVERED, severity="general")
    asked = ask_extension(org, incident)
    ObligationPolicy.objects.filter(kind="verification_report").update(max_extension_working_days=None)

    assert approve(org.leader, asked).status_code == 400
    assert not report_of(incident).extended


def test_a_downgrade_asked_before_the_grade_was_raised_is_asked_again(org, log):
    incident = log(discovered_at=DISCOVERED, severity="major")
    asked = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "小"}
    )
    post_as(
        org.duty_officer,
        f"/api/v1/incidents/{incident.pk}/regrade/",
        {"severity": "especially_major", "reason": "升温"},
    )

    assert approve(org.leader, asked).status_code == 400
    incident.refresh_from_db()
    assert incident.severity == "especially_major"


def test_lowering_is_judged_on_the_grade_as_it_stands_under_the_lock(org, log):
    incident = log(discovered_at=DISCOVERED, severity="relatively_major")
    stale = Incident.objects.get(pk=incident.pk)  # read before someone raised it
    post_as(
        org.office_head, f"/api/v1/incidents/{incident.pk}/regrade/", {"severity": "especially_major", "reason": "升温"}
    )

    outcome = regrade_or_ask(stale, severity="major", reason="重大即可", actor=org.duty_officer, now=timezone.now())

    assert isinstance(outcome, CaseRequest)
    incident.refresh_from_db()
    assert incident.severity == "especially_major"


def test_no_department_of_another_government_is_named(org, log, elsewhere):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/"

    patched = client_for(org.duty_officer).patch(path, {"co_departments": [elsewhere.bureau.pk]}, format="json")
    instructed = post_as(org.leader, path + "instructions/", {"text": "请核查", "departments": [elsewhere.bureau.pk]})
    assessed = post_as(
        org.duty_officer,
        path + "assessments/",
        {"held_at": NOW.isoformat(), "conclusion": "会商", "co_departments": [elsewhere.bureau.pk]},
    )
    logged = post_as(
        org.duty_officer,
        "/api/v1/incidents/",
        {
            "title": "新事件",
            "severity": "general",
            "discovered_at": DISCOVERED.isoformat(),
            "department": org.department.pk,
            "co_departments": [elsewhere.bureau.pk],
        },
    )

    assert [answer.status_code for answer in (patched, instructed, assessed, logged)] == [400, 400, 400, 400]
    assert get_as(elsewhere.officer, path).status_code == 404
    enforce(DISCOVERED + 2 * HOUR)
    assert not Notification.objects.filter(recipient=elsewhere.chief).exists()


def test_an_assessment_names_co_handlers_only_for_those_who_may(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    body = {"held_at": NOW.isoformat(), "conclusion": "会商", "co_departments": [housing.department.pk]}

    assert post_as(org.leader, f"/api/v1/incidents/{incident.pk}/assessments/", body).status_code == 403
    assert not incident.co_departments.exists()


def test_the_incident_list_filters_by_co_handling_department(org, log, housing):
    shared = log(discovered_at=DISCOVERED, co_departments=[housing.department])
    log(discovered_at=DISCOVERED, title="无配合单位")

    found = get_as(org.duty_officer, "/api/v1/incidents/", {"co_department": housing.department.pk}).json()

    assert [row["id"] for row in found["results"]] == [shared.pk]


def test_a_merged_duplicates_requests_are_settled_and_a_met_one_is_not_extended(org, log):
    duplicate = log(discovered_at=DISCOVERED)
    target = log(discovered_at=DISCOVERED, title="主事件")
    post_as(org.duty_officer, f"/api/v1/incidents/{duplicate.pk}/regrade/", {"severity": "general", "reason": "小"})
    ask_extension(org, duplicate)

    merged = post_as(org.leader, f"/api/v1/incidents/{duplicate.pk}/merge/", {"into": target.pk, "reason": "重复"})

    assert merged.status_code == 200
    assert set(CaseRequest.objects.values_list("state", flat=True)) == {"refused"}
    assert get_as(org.leader, "/api/v1/requests/", {"state": "pending"}).json()["count"] == 0
    met = report_of(target)
    met.state, met.met_at = "met", NOW
    met.save()
    assert ask_extension(org, target).status_code == 400


def test_an_addressed_department_finds_the_reply_it_owes_among_its_obligations(org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    given = post_as(
        org.mayor,
        f"/api/v1/incidents/{incident.pk}/instructions/",
        {"text": "请核查", "departments": [housing.department.pk]},
    ).json()
    [owed] = given["obligations"]

    own = get_as(housing.duty_officer, "/api/v1/obligations/").json()
    assert [row["id"] for row in own["results"]] == [owed["id"]]
    assert get_as(housing.duty_officer, f"/api/v1/obligations/{owed['id']}/").status_code == 200
    by_department = get_as(
        org.mayor, "/api/v1/obligations/", {"department": housing.department.pk, "kind": "instruction"}
    )
    assert [row["id"] for row in by_department.json()["results"]] == [owed["id"]]


def test_a_body_never_tells_whether_something_outside_ones_scope_exists(org, log, elsewhere, office_officer):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/"

    def refusal(body_id, field, url, **body):
        answer = post_as(office_officer, url, {field: body_id, **body})
        return answer.status_code, answer.json().get(field)

    missing = refusal(999999, "department", path + "transfer/", reason="职责")
    outside = refusal(elsewhere.bureau.pk, "department", path + "transfer/", reason="职责")
    assert missing[0] == outside[0] == 400
    assert outside[1] == [message.replace("999999", str(elsewhere.bureau.pk)) for message in missing[1]]


def test_asking_refuses_by_name_what_a_request_does_not_take(org, log):
    incident = log(discovered_at=DISCOVERED)
    internal = incident.obligations.get(kind="internal_report")

    returned = post_as(
        org.duty_officer, f"/api/v1/incidents/{incident.pk}/return/", {"reason": "非本单位", "state": "approved"}
    )
    waiver = post_as(
        org.duty_officer, f"/api/v1/obligations/{internal.pk}/waiver-requests/", {"reason": "重复", "decided_by": 1}
    )

    assert (returned.status_code, list(returned.json())) == (400, ["state"])
    assert (waiver.status_code, list(waiver.json())) == (400, ["decided_by"])
    assert not CaseRequest.objects.exists()
