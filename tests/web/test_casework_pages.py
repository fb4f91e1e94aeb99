"""Casework on the incident page: each person is offered the steps they may take, a step they may not take is
refused with the reason in words, and the requests they may decide come with approve and refuse."""

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
    return {
        name
        for name in ("details", "co_departments", "transfer", "return", "extension", "waiver", "instruction")
        if f'data-offer="{name}"' in html
    }


def test_each_person_is_offered_the_steps_they_may_take(org, log):
    incident = log(discovered_at=DISCOVERED)

    assert offers(page_of(org.duty_officer, incident)) == {"details", "co_departments", "return", "extension", "waiver"}
    assert offers(page_of(org.office_head, incident)) == {"co_departments", "transfer", "instruction"}
    assert offers(page_of(org.leader, incident)) == {"instruction"}
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    assert offers(page_of(auditor, incident)) == set()


def test_a_step_the_person_may_not_take_is_refused_in_words(org, log):
    incident = log(discovered_at=DISCOVERED)
    other = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)

    refused = post(
        org.duty_officer, f"/incidents/{incident.pk}/casework/transfer/", {"department": other.pk, "reason": "职责"}
    )

    assert refused.status_code in (400, 403)
    incident.refresh_from_db()
    assert incident.department == org.department


def test_the_office_transfers_from_the_page(org, log):
    incident = log(discovered_at=DISCOVERED)
    other = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)

    done = post(
        org.office_head,
        f"/incidents/{incident.pk}/casework/transfer/",
        {"department": other.pk, "reason": "属住建职责"},
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
        {"obligation": report.pk, "due_at": asked_for, "reason": "需补充调查"},
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
        {"obligation": report.pk, "due_at": asked_for, "reason": "需补充调查"},
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
            "title": "网传地铁施工路面塌陷",
            "summary": "已核实为施工围挡内局部沉降",
            "source_platform": "微博",
            "source_url": "",
        },
    )

    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "网传地铁施工路面塌陷"
    assert incident.timeline.filter(kind="edited").exists()
