"""舆情专报 / 续报: the documents read back (python-docx, and Debian's pdftotext for the PDF), numbered per
government and Beijing year, sent by email with both documents and to the inbox, recorded as the internal
report that meets the obligation; bad input refused by name, and two sends at once on PostgreSQL numbered 1, 2."""

import io
import os
import shutil
import subprocess
import threading
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from docx import Document
from docx.oxml.ns import qn

from incidents.models import IncidentReader, ObligationKind, Role, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident
from incidents.services.obligations import waive
from opinion_tracker.lib.beijing import BEIJING
from statements.bulletins.documents import FORMATS, preview
from statements.bulletins.sending import send_bulletin
from statements.models import Bulletin, BulletinCopy
from statements.publishing import publish
from tests.clients import client_for, post_as
from tests.conftest import beijing, signed_off_statement
from tests.factories import DepartmentFactory, PersonFactory
from tests.mail import free_port

DISCOVERED = beijing(2026, 3, 2, 9, 0)
NOW = beijing(2026, 3, 2, 10, 0)
LINE = "3月2日上午，市交通运输局关注到网民反映的路面塌陷情况，已第一时间赶赴现场处置，相关情况将及时发布。"
DOCX = FORMATS["docx"].content_type

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
    reason="pdftotext (poppler-utils) is not installed; scripts/test.sh installs it as root, CI requires it",
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a Word document, in order, one a line."""
    document = Document(io.BytesIO(data))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def deadlines_of(incident) -> list[str]:
    return [o.due_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") for o in incident.obligations.all()]


def signed_off_line(org, incident, reviewers, text=LINE):
    return signed_off_statement(org, incident, reviewers, text, NOW)


def send(org, incident, recipients, now=NOW, actor=None, advice=""):
    return send_bulletin(
        incident, recipients=[p.pk for p in recipients], advice=advice, actor=actor or org.duty_officer, now=now
    )


def report_as(person, incident, format):
    return client_for(person).get(f"/api/v1/incidents/{incident.pk}/report/", {"format": format})


# The documents


def test_the_word_document_reads_in_chinese_with_its_number_deadlines_and_response_line(org, incident, reviewers):
    signed_off_line(org, incident, reviewers)
    with time_machine.travel(NOW, tick=False):
        answer = report_as(org.leader, incident, "docx")  # anyone who may read the incident

    assert answer.status_code == 200
    assert answer["Content-Type"] == DOCX
    assert unquote(answer["Content-Disposition"].split("filename*=utf-8''")[1]) == "舆情专报-第1期.docx"
    data = b"".join(answer.streaming_content)
    text = docx_text(data)
    for words in (
        "舆情专报",
        "第1期",
        "江城市人民政府",
        "2026年3月2日",
        "网传路面塌陷",
        "一、基本情况",
        "七、处置建议",
    ):
        assert words in text
    for deadline in deadlines_of(incident):
        assert deadline in text
    assert LINE in text  # 四、回应口径: the signed-off text
    assert "预览稿" in text  # the number is not reserved by looking
    document = Document(io.BytesIO(data))
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


@needs_pdftotext
def test_the_pdf_reads_in_chinese_with_its_deadlines(org, incident, tmp_path):
    with time_machine.travel(NOW, tick=False):
        answer = report_as(org.duty_officer, incident, "pdf")

    assert answer["Content-Type"] == "application/pdf"
    assert unquote(answer["Content-Disposition"].split("filename*=utf-8''")[1]) == "舆情专报-第1期.pdf"
    text = pdf_text(b"".join(answer.streaming_content), tmp_path)
    for words in ("舆情专报", "第1期", "江城市人民政府", "二、处置时限", "暂无签发的回应口径"):
        assert words in text
    assert "—1—" in text.replace(" ", "")  # the page number
    for deadline in deadlines_of(incident):
        assert deadline in text


@needs_pdftotext
def test_the_recommendations_put_what_is_overdue_first_and_add_the_senders_advice(org, incident, tmp_path):
    late = beijing(2026, 3, 2, 15, 30)  # the first statement was due at 14:00
    content = preview(incident, late)
    with_advice = send(org, incident, [org.leader], now=late, advice="建议市政府办公室牵头召开会商会。")

    recommendations = content.sections[-1].paragraphs
    assert recommendations[0].startswith("首次权威发布已超时 1小时30分")
    assert "新闻发布会尚未召开" in recommendations[1]
    text = pdf_text(with_advice.pdf.read(), tmp_path)
    assert "报送单位意见：建议市政府办公室牵头召开会商会。" in text.replace("\n", "")
    assert "首次权威发布已超时 1小时30分" in text


@needs_pdftotext
def test_text_the_pdf_font_cannot_show_is_marked_and_nothing_breaks(org, log, tmp_path):
    incident = log(title="网传😀路面塌陷\x0b한국 · 事件", discovered_at=DISCOVERED)
    content = preview(incident, NOW)

    text = pdf_text(FORMATS["pdf"].render(content), tmp_path)
    assert "网传〓路面塌陷" in text  # an emoji is no two wrong characters
    assert "网传😀路面塌陷" in docx_text(FORMATS["docx"].render(content))  # Word shows every character


@needs_pdftotext
def test_a_summary_longer_than_a_page_still_prints(org, log, tmp_path):
    long = "网民反映路面塌陷情况，转发量快速上升。" * 400  # 8,000 characters: several pages in one table cell
    incident = log(summary=long, discovered_at=DISCOVERED)
    record_action(incident, kind="internal_report", summary=long, published_at=NOW, actor=org.duty_officer, now=NOW)

    text = pdf_text(FORMATS["pdf"].render(preview(incident, NOW)), tmp_path).replace("\n", "")
    assert text.count("转发量快速上升") > 780  # of 800, in 基本情况 and 已采取措施 (a page break cuts a few)


def test_the_actions_show_their_evidence_and_a_published_texts_sha256(org, incident, reviewers):
    draft = signed_off_line(org, incident, reviewers)
    action = publish(
        draft,
        channel="政务微博",
        published_at=NOW,
        evidence_url="https://weibo.com/jc/1",
        actor=org.duty_officer,
        now=NOW,
    )
    text = docx_text(FORMATS["docx"].render(preview(incident, NOW)))

    assert "https://weibo.com/jc/1" in text
    assert f"SHA-256：{action.text_sha256}" in text


# Numbering


def test_two_sends_are_no_1_and_no_2_and_the_second_is_a_follow_up(org, incident, tmp_path):
    first = send(org, incident, [org.leader])
    second = send(org, incident, [org.leader], now=NOW + timedelta(hours=2))

    assert (first.number, first.follow_up, second.number, second.follow_up) == (1, False, 2, True)
    first_text, second_text = docx_text(first.docx.read()), docx_text(second.docx.read())
    assert "舆情专报\n第1期" in first_text
    assert "舆情续报\n第2期" in second_text
    assert "前期报告" in second_text  # it names the earlier one
    assert "预览稿" not in second_text


def test_a_new_beijing_year_starts_again_at_no_1(org, log):
    incident = log(discovered_at=beijing(2026, 12, 31, 22, 0))
    december = [send(org, incident, [org.leader], now=beijing(2026, 12, 31, 23, m)) for m in (0, 50)]
    january = send(org, incident, [org.leader], now=beijing(2027, 1, 1, 0, 10))  # still 2026 in UTC

    assert [(b.year, b.number) for b in december] == [(2026, 1), (2026, 2)]
    assert (january.year, january.number, january.follow_up) == (2027, 1, True)


def test_another_government_counts_its_own_issues(org, incident):
    county = DepartmentFactory(name="江城市青山区人民政府", is_government=True, parent=org.government)
    bureau = DepartmentFactory(name="青山区交通局", parent=county)
    duty = PersonFactory(department=bureau, roles=[Role.DUTY_OFFICER])
    county_leader = PersonFactory(department=county, roles=[Role.LEADER])
    theirs = log_incident(
        title="青山区道路积水",
        severity="general",
        department=bureau,
        discovered_at=DISCOVERED,
        now=DISCOVERED,
        actor=duty,
    )
    send(org, incident, [org.leader])
    send(org, incident, [org.leader])

    assert send(org, theirs, [county_leader], actor=duty).number == 1
    assert Bulletin.objects.get(incident=theirs).government == county
    with pytest.raises(ValidationError, match="recipients"):
        send(org, theirs, [org.mayor], actor=duty)  # the city's leaders are not of the county's government


# Sending


def test_sending_records_the_internal_report_that_meets_the_obligation(org, incident, housing):
    bulletin = send(org, incident, [org.mayor, housing.leader])

    action = bulletin.action
    assert (action.kind, action.published_at, action.recorded_by) == ("internal_report", NOW, org.duty_officer)
    assert action.summary == f"舆情专报第1期 送：{org.mayor}、{housing.leader}"
    assert action.evidence_file.read().startswith(b"%PDF-")
    internal = incident.obligations.get(kind=ObligationKind.INTERNAL_REPORT)
    assert (internal.state, internal.met_by) == ("met", action)
    assert "本期报送即完成" in docx_text(bulletin.docx.read())  # the document said so, and it was so
    assert [copy.recipient for copy in bulletin.copies.order_by("pk")] == [org.mayor, housing.leader]
    assert IncidentReader.objects.filter(incident=incident, person=housing.leader).exists()  # may open it now
    event = incident.timeline.get(kind=TimelineEvent.Kind.BULLETIN_SENT)
    assert event.detail == {
        "bulletin": bulletin.pk,
        "title": "舆情专报",
        "number": 1,
        "recipients": [str(org.mayor), str(housing.leader)],
    }


def test_each_leader_gets_an_email_with_both_documents(org, incident, smtp, django_capture_on_commit_callbacks):
    org.deputy.email = ""
    org.deputy.save()
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = send(org, incident, [org.leader, org.deputy, org.mayor])

    copies = {copy.recipient: copy for copy in bulletin.copies.all()}
    assert {person: copy.email for person, copy in copies.items()} == {
        org.leader: "sent",
        org.deputy: "no_address",
        org.mayor: "sent",
    }
    [message] = smtp.to(org.leader.email)
    assert message["Subject"] == "舆情专报第1期：网传路面塌陷"
    attached = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attached) == {"舆情专报-第1期.docx", "舆情专报-第1期.pdf"}
    assert attached["舆情专报-第1期.pdf"].get_content_type() == "application/pdf"
    assert attached["舆情专报-第1期.pdf"].get_content().startswith(b"%PDF-")
    assert attached["舆情专报-第1期.docx"].get_content_type() == DOCX
    assert f"/bulletins/{bulletin.pk}/pdf/" in message.get_body(("plain",)).get_content()
    assert len(smtp.messages) == 2  # nobody without an address, nothing twice


def test_a_mail_server_that_is_down_leaves_the_report_sent_and_the_email_failed(
    org, incident, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "notifications.channels.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = send(org, incident, [org.leader])

    copy = bulletin.copies.get()
    assert copy.email == "failed"
    assert "refused" in copy.email_error.lower()
    assert incident.obligations.get(kind=ObligationKind.INTERNAL_REPORT).state == "met"
    assert incident.actions.filter(kind="internal_report").count() == 1


def closed(org, incident):
    """The incident reported, every other deadline waived, and closed."""
    record_action(incident, kind="internal_report", published_at=NOW, summary="已报", now=NOW, actor=org.duty_officer)
    for obligation in incident.obligations.filter(state="pending"):
        waive(obligation, reason="经研判无需办理", approver=org.leader, now=NOW)
    close(incident, reason="已处置完毕", actor=org.duty_officer, now=NOW)
    incident.refresh_from_db()
    return incident


def test_only_the_leads_duty_officers_send_and_not_on_a_closed_incident(org, incident):
    with pytest.raises(PermissionDenied):
        send(org, incident, [org.leader], actor=org.leader)
    with pytest.raises(ValidationError, match="事件已办结，不再报送专报"):
        send(org, closed(org, incident), [org.leader])


# The API


def test_the_send_answers_with_the_number_the_action_and_the_copies(org, smtp, national_defaults, log):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/report/send/"
    with time_machine.travel(NOW, tick=False):
        answer = post_as(org.duty_officer, path, {"recipients": [org.leader.pk], "advice": "建议尽快发布"})

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["number"], body["year"], body["title"]) == (1, 2026, "舆情专报")
    assert body["action"]["kind"] == "internal_report"
    assert body["action"]["evidence_file"].endswith(f"/api/v1/actions/{body['action']['id']}/evidence/")
    assert body["copies"] == [{"recipient": org.leader.pk, "email": "sent", "email_error": "", "read_at": None}]
    assert body["docx_url"].endswith(f"/bulletins/{body['id']}/docx/")
    assert body["pdf_url"].endswith(f"/bulletins/{body['id']}/pdf/")
    assert len(smtp.to(org.leader.email)) == 1


BAD_INPUT = {
    "not a list": (lambda org: {"recipients": 5}, "recipients"),
    "empty": (lambda org: {"recipients": []}, "recipients"),
    "missing": (lambda org: {}, "recipients"),
    "a string id": (lambda org: {"recipients": [str(org.leader.pk)]}, "recipients"),
    "true": (lambda org: {"recipients": [True]}, "recipients"),
    "not a leader": (lambda org: {"recipients": [org.duty_officer.pk]}, "recipients"),
    "unknown": (lambda org: {"recipients": [999999]}, "recipients"),
    "beyond any id": (lambda org: {"recipients": [2**70]}, "recipients"),
    "too many": (lambda org: {"recipients": list(range(1, 10_000))}, "recipients"),
    "twice": (lambda org: {"recipients": [org.leader.pk, org.leader.pk]}, "recipients"),
    "unknown field": (lambda org: {"recipients": [org.leader.pk], "urgent": True}, "urgent"),
    "long advice": (lambda org: {"recipients": [org.leader.pk], "advice": "议" * 2001}, "advice"),
}


@pytest.mark.parametrize(("body", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_by_name(org, incident, body, field):
    with time_machine.travel(NOW, tick=False):
        answer = post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/report/send/", body(org))

    assert answer.status_code == 400
    assert field in answer.json()
    assert not Bulletin.objects.exists()


def test_who_may_get_and_send_the_report(org, incident, housing):
    path = f"/api/v1/incidents/{incident.pk}/report/"
    with time_machine.travel(NOW, tick=False):
        assert report_as(housing.duty_officer, incident, "pdf").status_code == 404  # may not read it
        assert client_for(org.leader).get(path).status_code == 400  # no format
        assert "format" in client_for(org.leader).get(path, {"format": "xlsx"}).json()
        refused = post_as(org.leader, path + "send/", {"recipients": [org.mayor.pk]})
        assert refused.status_code == 403  # a leader reads it; the duty officers send it
        hidden = post_as(housing.duty_officer, path + "send/", {"recipients": [org.mayor.pk]})
        assert hidden.status_code == 404


def test_a_closed_incident_is_not_reported_on(org, incident):
    path = f"/api/v1/incidents/{closed(org, incident).pk}/report/send/"
    with time_machine.travel(NOW, tick=False):
        answer = post_as(org.duty_officer, path, {"recipients": [org.leader.pk]})

    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()


# Concurrency


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_get_no_1_and_no_2(org, national_defaults):
    incidents = [
        log_incident(
            title=f"事件{n}", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED
        )
        for n in range(2)
    ]
    start = threading.Barrier(2)
    numbers, errors = [], []

    def sending(incident):
        try:
            start.wait()
            numbers.append(send(org, incident, [org.leader]).number)
        except Exception as error:  # reported below, with the thread's own failure
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sending, args=(incident,)) for incident in incidents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == [1, 2]
    assert BulletinCopy.objects.count() == 2
