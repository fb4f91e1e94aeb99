"""Auditors act in the pages: a finding recorded on a breach from the compliance page, and a 约谈整改 followed
to its rectification report, which the department interviewed submits with its document from the incident page
(closed or not) and finds on its 待办."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents.models import AccountabilityFinding, Obligation, Role
from incidents.services.incidents import close
from incidents.services.obligations import waive

from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + 6 * HOUR  # the first statement (5 h) is an hour late
COMPLIANCE = "/compliance/?start=2026-03-01&end=2026-03-31&include_children=on"


@pytest.fixture(autouse=True)
def clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auditor(org):
    return PersonFactory(department=org.office, roles=[Role.AUDITOR])


@pytest.fixture
def breach(log):
    incident = log(discovered_at=DISCOVERED, now=DISCOVERED)
    return incident.obligations.get(kind="first_statement")


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def finding_form(breach, **fields) -> dict:
    values = {"kind": "interview", "note": "首次发布超时，约谈分管领导", "decided_on": "2026-03-10", **fields}
    return {"next": COMPLIANCE, **{f"b{breach.pk}-{name}": value for name, value in values.items()}}


def test_an_auditor_records_an_interview_on_a_breach_from_the_compliance_page(auditor, breach):
    auditor_client = signed_in(auditor)
    page = auditor_client.get(COMPLIANCE).content.decode()
    assert f'action="/compliance/breaches/{breach.pk}/finding/"' in page
    assert "记录问责" in page
    assert "约谈整改" in page

    recorded = auditor_client.post(f"/compliance/breaches/{breach.pk}/finding/", finding_form(breach))
    assert recorded.status_code == 302
    assert recorded.headers["Location"] == COMPLIANCE, "back to the page with its period"
    finding = AccountabilityFinding.objects.get(obligation=breach)
    assert (finding.kind, finding.recorded_by) == ("interview", auditor)

    page = auditor_client.get(COMPLIANCE).content.decode()
    assert "已记录问责；整改报告截止时间为 2026-04-01 00:00。" in page
    tracked = re.search(r'<table class="rectifications">(.*?)</table>', page, re.S).group(1)
    assert 'data-state="pending"' in tracked
    assert "市交通运输局" in tracked
    assert "2026-04-01 00:00" in tracked


def test_a_finding_with_errors_comes_back_with_everything_typed_and_records_nothing(auditor, breach):
    answer = signed_in(auditor).post(
        f"/compliance/breaches/{breach.pk}/finding/",
        finding_form(breach, note="", rectification_due_at="2026-03-10T12:00"),
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "此字段为必填项。" in page
    assert 'value="2026-03-10T12:00"' in page, "what was typed is kept"
    assert 'value="2026-03-10"' in page
    assert f'name="next" value="{COMPLIANCE.replace("&", "&amp;")}"' in page
    assert not AccountabilityFinding.objects.exists()

    on_time = breach.incident.obligations.get(kind="internal_report")
    on_time.state, on_time.met_at = "met", DISCOVERED
    on_time.save()
    refused = signed_in(auditor).post(f"/compliance/breaches/{on_time.pk}/finding/", finding_form(on_time))
    assert refused.status_code == 400
    assert "只有违规的义务（已超时或逾期完成）才能记录问责处理。" in refused.content.decode()


def test_only_auditors_and_administrators_record_findings_and_never_elsewhere_than_here(org, auditor, breach):
    assert (
        signed_in(org.leader).post(f"/compliance/breaches/{breach.pk}/finding/", finding_form(breach)).status_code
        == 403
    )
    assert signed_in(org.duty_officer).get(f"/compliance/breaches/{breach.pk}/finding/").status_code == 403
    away = signed_in(auditor).post(
        f"/compliance/breaches/{breach.pk}/finding/", {**finding_form(breach), "next": "https://example.org/"}
    )
    assert away.headers["Location"] == "/compliance/", "a link to another site is not followed"
    bare = signed_in(auditor).post(
        f"/compliance/breaches/{breach.pk}/finding/", {**finding_form(breach), "next": "compliance"}
    )
    assert bare.headers["Location"] == "/compliance/", "nor a word that is not a path"
    assert signed_in(auditor).get("/compliance/breaches/999999/finding/").status_code == 404


def test_the_department_submits_its_report_from_the_closed_incident_and_the_auditor_sees_it(org, auditor, breach):
    signed_in(auditor).post(f"/compliance/breaches/{breach.pk}/finding/", finding_form(breach))
    rectification = Obligation.objects.get(kind="rectification")
    incident = breach.incident
    for obligation in incident.obligations.filter(state__in=Obligation.OPEN_STATES).exclude(kind="rectification"):
        waive(obligation, reason="已另行处置", approver=org.leader, now=NOW)
    close(incident, reason="事件已平息", actor=org.duty_officer, now=NOW)

    officer = signed_in(org.duty_officer)
    todo = officer.get("/todo/").content.decode()
    assert 'id="todo-rectifications"' in todo
    assert "首次发布超时，约谈分管领导" in todo
    page = officer.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-offer="rectification"' in page, "offered on the closed incident"
    elsewhere = PersonFactory(
        department=DepartmentFactory(name="市卫生健康委员会", parent=org.government), roles=[Role.DUTY_OFFICER]
    )
    assert 'data-offer="rectification"' not in signed_in(org.leader).get(f"/incidents/{incident.pk}/").content.decode()
    assert "todo-rectifications" not in signed_in(elsewhere).get("/todo/").content.decode()

    form = {"rectification-rectification": rectification.pk, "rectification-published_at": "2026-03-10T16:00"}
    without = officer.post(f"/incidents/{incident.pk}/casework/rectification/", form)
    assert without.status_code == 400
    assert "此字段为必填项。" in without.content.decode()
    document = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n")
    sent = officer.post(
        f"/incidents/{incident.pk}/casework/rectification/", {**form, "rectification-evidence_file": document}
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    rectification.refresh_from_db()
    assert rectification.state == "met"

    tracked = signed_in(auditor).get(COMPLIANCE).content.decode()
    row = re.search(r'<table class="rectifications">(.*?)</table>', tracked, re.S).group(1)
    assert 'data-state="met"' in row
    assert f'href="/api/v1/actions/{rectification.met_by_id}/evidence/"' in row
    assert "todo-rectifications" not in officer.get("/todo/").content.decode(), "nothing left to submit"
