"""A 约谈整改 followed to its rectification report (整改报告), through the API (docs/rules.md, "Accountability (问责)
and rectification (整改)"): the interview asks the department that breached for a report with its document by a
deadline, which runs, escalates and is met like any obligation, outlives the incident, and is never waived."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.casework.transfer import transfer
from incidents.models import Obligation, Role, TimelineEvent
from incidents.services.incidents import close, log_incident, regrade
from incidents.services.obligations import waive
from notifications.enforcement import enforce
from notifications.models import Notification

from ..clients import client_for, get_as, post_as
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + 6 * HOUR  # the first statement (5 h) is an hour late
PDF = b"%PDF-1.4\n"


@pytest.fixture(autouse=True)
def clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def auditor(org):
    return PersonFactory(department=org.office, roles=[Role.AUDITOR])


@pytest.fixture
def incident(log):
    return log(discovered_at=DISCOVERED, now=DISCOVERED)


def breach_of(incident) -> Obligation:
    return incident.obligations.get(kind="first_statement")


def interview(auditor, obligation, language=None, **extra):
    body = {"kind": "interview", "note": "首次发布超时，约谈分管领导", "decided_on": "2026-03-10", **extra}
    return client_for(auditor, language).post(
        f"/api/v1/obligations/{obligation.pk}/accountability/", body, format="json"
    )


def report(person, incident, finding_id, *, document=True, published_at=NOW, language=None):
    body = {"kind": "rectification_report", "finding": finding_id, "published_at": published_at.isoformat()}
    if document:
        body["evidence_file"] = SimpleUploadedFile("整改报告.pdf", PDF)
    return client_for(person, language).post(f"/api/v1/incidents/{incident.pk}/actions/", body, format="multipart")


def settle_and_close(org, incident):
    """Waive what is still running (by the department's leader) and close the incident, as a duty officer."""
    for obligation in incident.obligations.filter(state__in=Obligation.OPEN_STATES).exclude(kind="rectification"):
        waive(obligation, reason="已另行处置", approver=org.leader, now=NOW)
    close(incident, reason="事件已平息", actor=org.duty_officer, now=NOW)


def test_an_interview_asks_the_department_for_a_report_due_in_fifteen_working_days(org, incident, auditor):
    answer = interview(auditor, breach_of(incident))
    assert answer.status_code == 201, answer.json()
    asked = answer.json()["rectification"]
    # Tuesday 10 March, 16:00: the fifteenth working day after it is Tuesday 31 March, due at its end.
    assert asked["due_at"] == "2026-04-01T00:00:00+08:00"
    assert (asked["state"], asked["department"], asked["met_by"]) == ("pending", org.department.pk, None)

    obligations = get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").json()["obligations"]
    owed = [o for o in obligations if o["kind"] == "rectification"]
    assert [(o["id"], o["finding"], o["department"]) for o in owed] == [
        (asked["id"], answer.json()["id"], org.department.pk)
    ]
    added = TimelineEvent.objects.get(obligation_id=asked["id"], kind=TimelineEvent.Kind.OBLIGATION_ADDED)
    assert (added.actor, added.detail["finding"]) == (auditor, answer.json()["id"])

    criticism = interview(auditor, breach_of(incident), kind="criticism")
    assert criticism.json()["rectification"] is None, "only an interview asks for a report"


def test_the_auditor_may_set_the_deadline_and_a_wrong_one_is_refused_in_words(org, incident, auditor):
    set_by_hand = interview(auditor, breach_of(incident), rectification_due_at="2026-03-20T17:00:00")
    assert set_by_hand.json()["rectification"]["due_at"] == "2026-03-20T17:00:00+08:00"

    past = interview(auditor, breach_of(incident), rectification_due_at="2026-03-10T15:00:00")
    assert past.status_code == 400
    assert past.json() == {"rectification_due_at": ["整改报告的截止时间须晚于记录约谈的时间。"]}
    criticism = interview(auditor, breach_of(incident), "en", kind="criticism", rectification_due_at="2026-03-20")
    assert criticism.json() == {
        "rectification_due_at": ["Only an admonishing interview (约谈整改) asks for a rectification report."]
    }
    assert incident.obligations.filter(kind="rectification").count() == 1, "the refused ones asked for nothing"


def test_the_department_submits_its_report_with_its_document_after_the_incident_is_closed(org, incident, auditor):
    finding = interview(auditor, breach_of(incident)).json()
    settle_and_close(org, incident)
    rectification = Obligation.objects.get(pk=finding["rectification"]["id"])
    assert rectification.state == "pending", "closing leaves the report owed"

    no_document = report(org.duty_officer, incident, finding["id"], document=False)
    assert no_document.status_code == 400
    assert no_document.json() == {"evidence_file": ["整改报告须附报告文件。"]}
    too_early = report(org.duty_officer, incident, finding["id"], published_at=beijing(2026, 3, 9, 17))
    assert "整改报告的日期不能早于约谈日（2026-03-10）。" in too_early.json()["published_at"]
    statement = post_as(
        org.duty_officer,
        f"/api/v1/incidents/{incident.pk}/actions/",
        {"kind": "internal_report", "published_at": NOW.isoformat(), "summary": "补报"},
    )
    assert statement.status_code == 400, "nothing else is recorded on a closed incident"

    submitted = report(org.duty_officer, incident, finding["id"])
    assert submitted.status_code == 201, submitted.json()
    assert (submitted.json()["kind"], submitted.json()["finding"]) == ("rectification_report", finding["id"])
    rectification.refresh_from_db()
    assert (rectification.state, rectification.met_by_id) == ("met", submitted.json()["id"])
    followed = get_as(auditor, f"/api/v1/obligations/{breach_of(incident).pk}/").json()["accountability"]
    assert [(f["kind"], (f["rectification"] or {}).get("state")) for f in followed] == [("interview", "met")]
    download = client_for(auditor).get(f"/api/v1/actions/{submitted.json()['id']}/evidence/")
    assert b"".join(download.streaming_content) == PDF


def test_only_the_department_interviewed_submits_its_report(org, incident, auditor, log):
    finding = interview(auditor, breach_of(incident)).json()
    assert report(org.leader, incident, finding["id"]).status_code == 403
    refused = report(auditor, incident, finding["id"], language="en")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the department interviewed submits its rectification report."}
    elsewhere = DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    stranger = PersonFactory(department=elsewhere, roles=[Role.DUTY_OFFICER])
    assert report(stranger, incident, finding["id"]).status_code == 404, "another department's incident is unseen"

    other = log(title="网传公交停运", discovered_at=DISCOVERED, now=DISCOVERED)
    wrong_incident = report(org.duty_officer, other, finding["id"])
    assert wrong_incident.status_code == 400
    assert list(wrong_incident.json()) == ["finding"]
    criticism = interview(auditor, breach_of(incident), kind="criticism").json()
    assert list(report(org.duty_officer, incident, criticism["id"]).json()) == ["finding"]
    assert Obligation.objects.get(pk=finding["rectification"]["id"]).state == "pending"


def test_a_rectification_report_is_never_waived(org, incident, auditor):
    finding = interview(auditor, breach_of(incident)).json()
    path = f"/api/v1/obligations/{finding['rectification']['id']}/"
    waived = post_as(org.leader, path + "waive/", {"reason": "已口头说明"})
    assert waived.status_code == 400
    assert waived.json() == {"non_field_errors": ["整改报告应向提出约谈的审计人员报送，不能免除。"]}
    asked = post_as(org.duty_officer, path + "waiver-requests/", {"reason": "已口头说明"})
    assert asked.status_code == 400
    assert Obligation.objects.get(pk=finding["rectification"]["id"]).state == "pending"


def test_regrading_or_merging_the_incident_leaves_the_report_owed(org, incident, auditor):
    finding = interview(auditor, breach_of(incident), rectification_due_at="2026-03-20T17:00:00").json()
    regrade(incident, severity="general", reason="影响有限", actor=org.leader, now=NOW)
    rectification = Obligation.objects.get(pk=finding["rectification"]["id"])
    assert (rectification.state, rectification.due_at) == ("pending", beijing(2026, 3, 20, 17))

    into = log_incident(
        title="同一事件", severity="general", department=org.department, discovered_at=DISCOVERED, now=NOW
    )
    merged = post_as(org.leader, f"/api/v1/incidents/{incident.pk}/merge/", {"into": into.pk, "reason": "重复"})
    assert merged.status_code == 200, merged.json()
    rectification.refresh_from_db()
    assert rectification.state == "pending"
    assert breach_of(incident).state == "waived", "the duplicate's own deadlines are waived as merged"


def test_an_overdue_report_escalates_back_to_the_auditor_who_asked_for_it(org, incident, auditor, clock):
    """Like an instruction's reply: its last level (due + 2 h for a 重大 incident) goes to the auditor who recorded
    the interview, in place of the government's principal leader; a report sent after it is met late."""
    due = NOW + 4 * HOUR
    finding = interview(auditor, breach_of(incident), rectification_due_at=due.isoformat()).json()
    rectification = Obligation.objects.get(pk=finding["rectification"]["id"])

    def told(person, step) -> bool:
        return Notification.objects.filter(obligation=rectification, step=step, recipient=person).exists()

    for hours in (0, 1, 2):  # the three levels past the deadline
        clock.move_to(due + hours * HOUR)
        enforce(due + hours * HOUR)
    rectification.refresh_from_db()
    assert rectification.state == "overdue"
    assert told(org.leader, "overdue_l1"), "the department's principal leader first"
    assert told(org.office_head, "overdue_l2"), "then the government office, like any obligation"
    assert told(auditor, "overdue_l3"), "the last level: back to the auditor who asked for it"
    assert not told(org.mayor, "overdue_l3")

    late = report(org.duty_officer, incident, finding["id"], published_at=due + 2 * HOUR)
    assert late.status_code == 201, late.json()
    rectification.refresh_from_db()
    assert rectification.state == "met_late"


def test_the_department_that_breached_owes_the_report_though_the_incident_moved(org, incident, auditor, housing):
    """Interviewed before a transfer or after it, the report is owed by the department that led when the deadline
    passed; it keeps reading the incident to submit it, and the new lead owes nothing."""
    office_officer = PersonFactory(department=org.office, roles=[Role.DUTY_OFFICER])
    before = interview(auditor, breach_of(incident)).json()
    transfer(incident, department=housing.department, reason="属住建职责", actor=office_officer, now=NOW)
    after = interview(auditor, breach_of(incident)).json()
    assert before["rectification"]["department"] == after["rectification"]["department"] == org.department.pk

    assert get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/").status_code == 200
    assert report(housing.duty_officer, incident, before["id"]).status_code == 403, "the new lead was not interviewed"
    assert report(org.duty_officer, incident, before["id"]).status_code == 201
    second = report(org.duty_officer, incident, before["id"])
    assert second.status_code == 400
    assert second.json() == {"finding": ["该约谈整改的整改报告已于 2026-03-10 16:00 报送。"]}


def test_only_the_departments_own_duty_officers_submit_not_the_office_above_it(org, incident, auditor):
    finding = interview(auditor, breach_of(incident)).json()
    office_officer = PersonFactory(department=org.office, roles=[Role.DUTY_OFFICER])
    assert report(office_officer, incident, finding["id"]).status_code == 403
    extension = post_as(
        org.duty_officer,
        f"/api/v1/obligations/{finding['rectification']['id']}/extensions/",
        {"due_at": "2026-04-10T17:00:00", "reason": "材料较多"},
    )
    assert extension.status_code == 400
    assert extension.json() == {"due_at": ["整改报告的截止时间由审计人员确定，不能延期。"]}
