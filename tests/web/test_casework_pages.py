"""Casework on the incident page: each person is offered the steps they may take, a step they may not take is
refused with the reason in words, and the requests they may decide come with approve and refuse."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from incidents.models import Role
from incidents.services.people import set_roles

from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday: the verification report is due at the end of Thursday
NOW = DISCOVERED + HOUR / 2


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def page_of(person, incident) -> str:
    client = Client()
    client.force_login(person)
    return client.get(f"/incidents/{incident.pk}/").content.decode()


def post(person, path, data):
    client = Client()
    client.force_login(person)
    return client.post(path, data)


def offers(html) -> set[str]:
    return set(re.findall(r'data-offer="([a-z_]+)"', html))


def test_each_person_is_offered_the_steps_they_may_take(org, log):
    incident = log(discovered_at=DISCOVERED)

    duty = {"details", "co_departments", "return", "extension", "waiver", "assessment"}
    assert offers(page_of(org.duty_officer, incident)) == duty
    office = {"co_departments", "transfer", "instruction", "assessment", "merge"}
    assert offers(page_of(org.office_head, incident)) == office
    assert offers(page_of(org.leader, incident)) == {"instruction", "assessment", "merge"}
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    assert offers(page_of(auditor, incident)) == set()


def test_a_step_the_person_may_not_take_is_refused_in_words(org, log):
    incident = log(discovered_at=DISCOVERED)
    other = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)

    refused = post(
        org.duty_officer,
        f"/incidents/{incident.pk}/casework/transfer/",
        {"transfer-department": other.pk, "transfer-reason": "职责"},
    )

    assert refused.status_code in (400, 403)
    incident.refresh_from_db()
    assert incident.department == org.department


def test_an_id_no_column_holds_is_a_choice_not_offered(org, log):
    incident = log(discovered_at=DISCOVERED)
    for huge in ("9223372036854775808", "-9223372036854775809"):
        answer = post(
            org.office_head,
            f"/incidents/{incident.pk}/casework/transfer/",
            {"transfer-department": huge, "transfer-reason": "属住建职责"},
        )
        assert answer.status_code == 400  # on SQLite too, where asking for it would overflow
        assert "选择一个有效的选项" in answer.content.decode()


def test_the_office_transfers_from_the_page(org, log):
    incident = log(discovered_at=DISCOVERED)
    other = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)

    done = post(
        org.office_head,
        f"/incidents/{incident.pk}/casework/transfer/",
        {"transfer-department": other.pk, "transfer-reason": "属住建职责"},
    )

    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.department == other
    assert "转办" in page_of(org.office_head, incident)


def test_an_extension_asked_on_the_page_is_approved_there_by_the_principal_leader(org, log):
    incident = log(discovered_at=DISCOVERED)
    report = incident.obligations.get(kind="verification_report")
    asked_for = (report.due_at + timedelta(days=1)).astimezone(DISCOVERED.tzinfo).strftime("%Y-%m-%dT%H:%M")

    asked = post(
        org.duty_officer,
        f"/incidents/{incident.pk}/casework/extension/",
        {"extension-obligation": report.pk, "extension-due_at": asked_for, "extension-reason": "需补充调查"},
    )
    assert asked.status_code == 302
    request = incident.requests.get()
    assert "批准" not in page_of(org.duty_officer, incident).split('class="requests"')[1].split("</ul>")[0], (
        "the requester is not offered the decision"
    )
    assert f"/requests/{request.pk}/approve/" in page_of(org.leader, incident)

    approved = post(
        org.leader, f"/incidents/{incident.pk}/requests/{request.pk}/approve/", {f"r{request.pk}-note": "同意"}
    )

    assert approved.status_code == 302
    report.refresh_from_db()
    assert report.extended
    assert report.due_at == report.original_due_at + timedelta(days=1)


def test_a_requester_who_is_also_a_leader_cannot_approve_their_own_request(org, log):
    set_roles(org.deputy, [Role.DUTY_OFFICER, Role.LEADER])
    incident = log(discovered_at=DISCOVERED)
    report = incident.obligations.get(kind="verification_report")
    asked_for = (report.due_at + timedelta(days=1)).astimezone(DISCOVERED.tzinfo).strftime("%Y-%m-%dT%H:%M")
    post(
        org.deputy,
        f"/incidents/{incident.pk}/casework/extension/",
        {"extension-obligation": report.pk, "extension-due_at": asked_for, "extension-reason": "需补充调查"},
    )
    request = incident.requests.get()

    refused = post(org.deputy, f"/incidents/{incident.pk}/requests/{request.pk}/approve/", {f"r{request.pk}-note": ""})

    assert refused.status_code == 403
    assert "申请须由申请人以外的人审批" in refused.content.decode()
    request.refresh_from_db()
    assert request.state == "pending"


def test_details_are_corrected_on_the_page_and_the_timeline_keeps_them(org, log):
    incident = log(discovered_at=DISCOVERED)

    done = post(
        org.duty_officer,
        f"/incidents/{incident.pk}/casework/details/",
        {
            "details-title": "网传地铁施工路面塌陷",
            "details-summary": "已核实为施工围挡内局部沉降",
            "details-source_platform": "微博",
            "details-source_url": "",
        },
    )

    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "网传地铁施工路面塌陷"
    assert incident.timeline.filter(kind="edited").exists()


def test_the_timeline_says_who_when_why_and_before_and_after(org, log):
    incident = log(discovered_at=DISCOVERED)
    other = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)
    post(org.duty_officer, f"/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "影响有限"})
    post(
        org.office_head,
        f"/incidents/{incident.pk}/casework/transfer/",
        {"transfer-department": other.pk, "transfer-reason": "属住建职责"},
    )

    timeline = page_of(org.office_head, incident).split('class="timeline"')[1]

    assert "申请降级 · 改为一般（IV级）（原因：影响有限） · " + str(org.duty_officer) in timeline
    assert f"转办 · {org.department.name} → 市住房和城乡建设局（原因：属住建职责） · {org.office_head}" in timeline


def test_a_closed_incident_offers_only_a_follow_on(org, log):
    incident = log(discovered_at=DISCOVERED)
    for obligation in incident.obligations.all():
        obligation.state, obligation.waived_reason = "waived", "测试"
        obligation.save()
    post(org.duty_officer, f"/incidents/{incident.pk}/close/", {"reason": "舆情平息"})

    assert offers(page_of(org.duty_officer, incident)) == {"follow_on"}
    opened = post(
        org.duty_officer,
        f"/incidents/{incident.pk}/casework/follow_on/",
        {
            "follow_on-title": "路面塌陷再次引发关注",
            "follow_on-severity": "major",
            "follow_on-discovered_at": NOW.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert opened.status_code == 302
    assert incident.follow_ons.get().title == "路面塌陷再次引发关注"


def test_an_assessment_on_the_page_asks_for_the_downgrade_it_decided(org, log):
    incident = log(discovered_at=DISCOVERED)

    done = post(
        org.duty_officer,
        f"/incidents/{incident.pk}/casework/assessment/",
        {
            "assessment-held_at": NOW.strftime("%Y-%m-%dT%H:%M"),
            "assessment-participants": [org.leader.pk],
            "assessment-conclusion": "影响范围有限，建议降为一般",
            "assessment-response_line": "已组织抢修，未造成人员伤亡",
            "assessment-severity": "general",
        },
    )

    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "major", "a duty officer's downgrade waits for a leader"
    assert incident.requests.get().kind == "downgrade"
