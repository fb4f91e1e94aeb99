"""The reports-to-leaders page of an incident, the documents' downloads, and the copies in 我的督办: the lead's
duty officer sends from the page, errors come back on the form, readers see who got it and who has read it, and
a leader's copy is read from the moment they open it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from incidents.models import Role
from statements.bulletins.sending import send_bulletin
from statements.models import BulletinCopy
from tests.clients import browser_for

from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

DISCOVERED = beijing(2026, 3, 2, 9, 0)
NOW = beijing(2026, 3, 2, 10, 0)


@pytest.fixture(autouse=True)
def clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def incident(log):
    return log(discovered_at=DISCOVERED)


def page(person, incident) -> str:
    answer = browser_for(person).get(f"/incidents/{incident.pk}/bulletin/")
    assert answer.status_code == 200
    return answer.content.decode()


def offered_leaders(html) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="recipients" value="(\d+)"', html)}


def send(org, incident, *recipients, at=NOW):
    return send_bulletin(incident, recipients=[p.pk for p in recipients], actor=org.duty_officer, now=at)


@pytest.mark.django_db(transaction=True)  # the emails go once the sending commits, before the page answers
def test_the_duty_officer_sends_from_the_page_to_leaders_of_the_government(org, national_defaults, log, housing):
    incident = log(discovered_at=DISCOVERED)
    elsewhere = DepartmentFactory(name="邻市人民政府", is_government=True)
    PersonFactory(department=elsewhere, roles=[Role.LEADER])
    html = page(org.duty_officer, incident)

    leaders = {org.leader, org.deputy, org.office_head, org.publicity_head, org.mayor, housing.leader, housing.deputy}
    assert offered_leaders(html) == {person.pk for person in leaders}  # not the other city's, nor a duty officer
    assert f"/api/v1/incidents/{incident.pk}/report/?format=pdf" in html  # the preview of the next one
    assert "舆情专报 第1期" in html
    answer = browser_for(org.duty_officer).post(
        f"/incidents/{incident.pk}/bulletin/",
        {"recipients": [org.leader.pk, org.mayor.pk], "advice": "建议今日内发布首次通报。"},
        follow=True,
    )

    assert answer.redirect_chain == [(f"/incidents/{incident.pk}/bulletin/", 302)]
    html = answer.content.decode()
    assert "舆情专报 第1期已报送 2 位领导：邮件发送成功 2 人，发送失败 0 人，无邮箱 0 人。" in html
    bulletin = incident.bulletins.get()
    assert f"/bulletins/{bulletin.pk}/pdf/" in html
    assert html.count('data-email="sent"') == 2  # the locmem backend took both
    assert [message.to for message in mail.outbox] == [[org.leader.email], [org.mayor.email]]
    assert "舆情续报 第2期" in html  # the next one


def test_errors_come_back_on_the_form(org, incident):
    answer = browser_for(org.duty_officer).post(f"/incidents/{incident.pk}/bulletin/", {"advice": "议" * 2001})

    assert answer.status_code == 400
    html = answer.content.decode()
    assert html.count('class="errorlist') >= 2  # no leader chosen, the advice too long
    assert "议" * 2001 in html  # what was typed is kept
    assert not incident.bulletins.exists()


def test_a_recipient_id_no_column_holds_is_refused_on_the_form(org, incident):
    answer = browser_for(org.duty_officer).post(
        f"/incidents/{incident.pk}/bulletin/", {"recipients": "9223372036854775808"}
    )

    assert answer.status_code == 400  # on SQLite too, where asking for it would overflow
    assert not incident.bulletins.exists()


def test_readers_see_who_got_it_and_who_read_it_but_only_the_duty_officers_send(org, incident):
    bulletin = send(org, incident, org.leader, org.mayor)
    BulletinCopy.objects.filter(bulletin=bulletin, recipient=org.mayor).update(read_at=NOW + timedelta(minutes=5))
    html = page(org.leader, incident)

    assert offered_leaders(html) == set()  # a leader reads; the duty officers send
    assert 'data-email="pending"' in html  # no email went yet: never claimed
    assert "10:05" in html  # the mayor opened it
    assert f"/bulletins/{bulletin.pk}/docx/" in html
    refused = browser_for(org.leader).post(f"/incidents/{incident.pk}/bulletin/", {"recipients": [org.mayor.pk]})
    assert refused.status_code == 403
    assert incident.bulletins.count() == 1


def test_the_page_is_hidden_from_those_who_may_not_read_the_incident(org, incident, housing):
    assert browser_for(housing.duty_officer).get(f"/incidents/{incident.pk}/bulletin/").status_code == 404


def test_a_recipient_opening_the_document_reads_their_copy(org, incident, housing):
    bulletin = send(org, incident, housing.leader)
    path = f"/bulletins/{bulletin.pk}/pdf/"
    reader = browser_for(org.leader)  # reads the incident, got no copy

    assert reader.get(path).status_code == 200
    assert bulletin.copies.get().read_at is None
    assert browser_for(housing.duty_officer).get(path).status_code == 404  # neither reader nor recipient
    assert browser_for(housing.leader).get(f"/bulletins/{bulletin.pk}/xlsx/").status_code == 404
    answer = browser_for(housing.leader).get(path)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert b"".join(answer.streaming_content).startswith(b"%PDF-")
    assert (
        "filename*=utf-8''%E8%88%86%E6%83%85%E4%B8%93%E6%8A%A5-%E7%AC%AC1%E6%9C%9F.pdf" in answer["Content-Disposition"]
    )
    assert bulletin.copies.get().read_at == NOW


def test_my_escalations_lists_the_reports_received_unread_first(org, incident, log):
    later = log(title="网传公交停运", discovered_at=DISCOVERED)
    first = send(org, incident, org.leader)
    second = send(org, later, org.leader, at=NOW + timedelta(minutes=10))
    third = send(org, incident, org.leader, at=NOW + timedelta(minutes=20))
    client = browser_for(org.leader)
    client.get(f"/bulletins/{third.pk}/pdf/")  # read

    html = client.get("/escalations/").content.decode()
    section = html[html.index('id="bulletins"') :]
    assert "收到的专报" in section
    assert "2 份未读" in section
    order = [int(pk) for pk in re.findall(r'data-copy="(\d+)"', section)]
    copies = {copy.bulletin_id: copy.pk for copy in BulletinCopy.objects.filter(recipient=org.leader)}
    assert order == [copies[second.pk], copies[first.pk], copies[third.pk]]  # unread, newest first; then read
    assert f'href="/bulletins/{second.pk}/pdf/"' in section
    assert html.count('class="escalation unread"') == 2  # the two unread copies; no escalation entry changed
    badge = re.search(r'<span class="badge"[^>]*>(\d+)</span>', html)
    assert badge is None  # the top bar counts escalations only, and there are none
