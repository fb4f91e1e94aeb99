"""The record tells the truth: who was told (and who was not), one entry acknowledged once, one message per
pass, working hours for working-day obligations, and everyone told may open the incident."""

import re
from datetime import timedelta

import pytest
import time_machine

from incidents.models import Obligation, TimelineEvent
from incidents.services.incidents import regrade
from incidents.services.obligations import waive
from notifications.enforcement import enforce
from notifications.models import EscalationEntry, Notification
from notifications.steps import step_label

from ..clients import client_for
from ..conftest import beijing

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
INTERNAL_REPORT_OVERDUE_L2 = DISCOVERED + 3 * HOUR  # the internal report (2 h) is an hour overdue


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def get(person, path, at):
    with time_machine.travel(at, tick=False):
        return client_for(person).get(path)


# The government office reads every incident under its government anyway (docs/rules.md, "Casework"): the
# publicity department is the one told from outside the bureau's subtree.
def test_the_publicity_leader_told_about_a_bureaus_incident_may_read_it_and_its_page(org, log, client):
    incident = log(discovered_at=DISCOVERED)
    path = f"/api/v1/incidents/{incident.pk}/"
    assert get(org.publicity_head, path, DISCOVERED).status_code == 404, "outside their subtree, and not told yet"

    run_pass(INTERNAL_REPORT_OVERDUE_L2)

    assert get(org.publicity_head, path, INTERNAL_REPORT_OVERDUE_L2).json()["title"] == "网传路面塌陷"
    timeline = get(org.publicity_head, path + "timeline/", INTERNAL_REPORT_OVERDUE_L2).json()["results"]
    assert "escalated" in [event["kind"] for event in timeline]
    client.force_login(org.publicity_head)
    page = client.get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert "网传路面塌陷" in page.content.decode()
    assert 'action="/incidents/' not in page.content.decode(), "reading is granted, handling is not"


def test_my_escalations_say_which_channels_delivered_and_which_did_not_and_why(org, log):
    """No SMS gateway and no robot are configured, as in the demo: in-app and email deliver, SMS and
    the robot are recorded as not delivered, with the reason in words."""
    incident = log(discovered_at=DISCOVERED)
    run_pass(DISCOVERED + 2 * HOUR)  # the internal report is due: its principal leader is told

    [entry] = get(org.leader, "/api/v1/escalations/", DISCOVERED + 2 * HOUR).json()["results"]
    assert (entry["incident"], entry["step"], entry["step_label"]) == (incident.pk, "overdue_l1", "超时一级督办")
    assert sorted(entry["delivered"]) == ["email", "in_app"]
    reasons = {item["channel"]: item["reason"] for item in entry["not_delivered"]}
    assert set(reasons) == {"robot", "sms"}
    assert all(reasons.values())
    assert not any("_" in reason for reason in reasons.values()), "reasons in words, not codes"
    assert entry["needs_acknowledgement"] is True


def test_the_breach_list_names_only_delivered_channels_as_told(org, log, admin_client):
    log(discovered_at=DISCOVERED)
    run_pass(DISCOVERED + 2 * HOUR)
    with time_machine.travel(DISCOVERED + 2 * HOUR, tick=False):
        report = admin_client.get("/api/v1/reports/compliance/?start=2026-03-10&end=2026-03-10").json()
        page = admin_client.get("/compliance/?start=2026-03-10&end=2026-03-10").content.decode()

    [breach] = [b for b in report["breaches"] if b["kind"] == "internal_report"]
    [told] = [line for line in breach["told"] if line["recipient"] == org.leader.pk]
    assert (told["step_label"], sorted(told["channels"])) == ("超时一级督办", ["email", "in_app"])
    not_delivered = {(item["recipient"], item["channel"]) for item in breach["not_delivered"]}
    assert {(org.leader.pk, "sms"), (org.leader.pk, "robot")} <= not_delivered
    assert {item["status"] for item in breach["escalated_to"] if item["channel"] == "sms"} == {"skipped"}
    assert "超时一级督办" in page
    assert "overdue_l1" not in page
    assert "未送达：" in page
    assert "短信（未配置短信网关）" in page


def test_acknowledging_an_entry_acknowledges_every_copy_and_takes_the_badge_down_by_one(org, log, client):
    log(discovered_at=DISCOVERED)
    log(discovered_at=DISCOVERED, title="网传桥梁裂缝")
    at = DISCOVERED + 2 * HOUR
    run_pass(at)
    count = get(org.leader, "/api/v1/escalations/unread-count/", at).json()["count"]
    assert count == 2  # one entry per incident's internal report, whatever the channels

    entry = EscalationEntry.objects.filter(recipient=org.leader).first()
    with time_machine.travel(at, tick=False):
        answer = client_for(org.leader).post(f"/api/v1/escalations/{entry.pk}/acknowledge/")
        client.force_login(org.leader)
        page = client.get("/escalations/").content.decode()
    assert answer.status_code == 200
    assert answer.json()["needs_acknowledgement"] is False
    assert get(org.leader, "/api/v1/escalations/unread-count/", at).json()["count"] == 1
    assert set(entry.notifications.values_list("acknowledged_at", flat=True)) == {at}
    assert re.search(r'class="badge"[^>]*>1</span>', page), "the badge of 我的督办 went down by one"


def test_acknowledging_one_copy_through_the_old_endpoint_acknowledges_the_whole_entry(org, log):
    log(discovered_at=DISCOVERED)
    at = DISCOVERED + 2 * HOUR
    run_pass(at)
    email = Notification.objects.get(recipient=org.leader, channel="email")
    with time_machine.travel(at, tick=False):
        assert client_for(org.leader).post(f"/api/v1/notifications/{email.pk}/acknowledge/").status_code == 200
    assert not Notification.objects.filter(entry=email.entry, acknowledged_at__isnull=True).exists()
    assert get(org.leader, "/api/v1/escalations/unread-count/", at).json()["count"] == 0
    [event] = TimelineEvent.objects.filter(kind="acknowledged")
    assert event.detail["step"] == "overdue_l1"


def test_an_entry_whose_obligation_was_met_no_longer_asks_to_be_acknowledged(org, log):
    incident = log(discovered_at=DISCOVERED)
    at = DISCOVERED + 2 * HOUR
    run_pass(at)
    assert get(org.leader, "/api/v1/escalations/unread-count/", at).json()["count"] == 1
    with time_machine.travel(at, tick=False):
        waive(incident.obligations.get(kind="internal_report"), reason="并入其他事件", approver=org.leader, now=at)
    assert get(org.leader, "/api/v1/escalations/unread-count/", at).json()["count"] == 0


def test_a_pass_catching_up_several_levels_sends_each_person_one_message(org, log, smtp):
    """Logged seven hours late: the internal report's third level and its first repeat both reach the
    mayor in one pass; one email arrives about it, naming the level."""
    log(discovered_at=DISCOVERED, now=DISCOVERED + 7 * HOUR)
    run_pass(DISCOVERED + 7 * HOUR)

    subjects = [message["Subject"] for message in smtp.to(org.mayor.email)]
    assert len([subject for subject in subjects if "内部报告" in subject]) == 1
    bodies = [message.get_content() for message in smtp.to(org.mayor.email)]
    assert all("提醒级别：超时三级督办" in body for body in bodies)


def test_an_overdue_verification_report_waits_for_working_hours_but_a_statement_does_not(org, log):
    """Discovered on a Monday night: the verification report (2 working days) is due at 24:00 on
    Wednesday; the first statement (5 h) at 02:00 on Tuesday."""
    discovered = beijing(2026, 3, 9, 21)
    incident = log(discovered_at=discovered)
    report = incident.obligations.get(kind="verification_report")
    statement = incident.obligations.get(kind="first_statement")
    assert report.due_at == beijing(2026, 3, 12, 0)
    assert statement.due_at == beijing(2026, 3, 10, 2)

    run_pass(beijing(2026, 3, 10, 2))
    assert Notification.objects.filter(obligation=statement, step="overdue_l1", status="sent").exists()

    run_pass(beijing(2026, 3, 12, 0))  # the report is overdue at midnight: nobody is woken for it
    assert not Notification.objects.filter(obligation=report, step__startswith="overdue").exists()
    run_pass(beijing(2026, 3, 12, 8, 29))
    assert not Notification.objects.filter(obligation=report, step__startswith="overdue").exists()

    run_pass(beijing(2026, 3, 12, 8, 30))
    overdue = Notification.objects.filter(obligation=report, step__startswith="overdue", channel="in_app")
    assert set(overdue.values_list("step", flat=True)) == {"overdue_l1", "overdue_l2", "overdue_l3"}
    first = overdue.get(step="overdue_l1")
    assert (first.step_at, first.held_until) == (beijing(2026, 3, 12, 0), beijing(2026, 3, 12, 8, 30))
    report.refresh_from_db()
    assert report.next_step_at > beijing(2026, 3, 12, 8, 30)


def test_a_warning_before_a_working_day_deadline_is_brought_forward_into_working_hours(org, log):
    discovered = beijing(2026, 3, 9, 21)
    report = log(discovered_at=discovered).obligations.get(kind="verification_report")
    run_pass(beijing(2026, 3, 11, 17, 30))  # due_soon was 23:00 on Wednesday: sent at the day's end instead
    due_soon = Notification.objects.get(obligation=report, step="due_soon", channel="in_app", recipient=org.deputy)
    assert due_soon.status == "sent"
    assert (due_soon.step_at, due_soon.held_until) == (beijing(2026, 3, 11, 23), beijing(2026, 3, 11, 17, 30))


def test_regrading_up_down_and_up_shows_each_deadline_once_with_the_reason(org, log, client):
    incident = log(discovered_at=DISCOVERED)
    at = DISCOVERED + HOUR
    with time_machine.travel(at, tick=False):
        regrade(incident, severity="general", reason="经核实影响有限", actor=org.duty_officer, now=at)
        regrade(incident, severity="major", reason="舆情再度升温", actor=org.duty_officer, now=at + HOUR)
        client.force_login(org.duty_officer)
        page = client.get(f"/incidents/{incident.pk}/").content.decode()

    running = page.split("<tbody>")[1].split("</tbody>")[0]
    assert running.count('data-kind="press_conference"') == 1
    assert 'data-kind="press_conference" data-state="pending"' in running
    assert "重大（II级） → 一般（IV级）" in page
    assert "经核实影响有限" in page
    assert Obligation.objects.filter(incident=incident, waiver_kind="regraded").count() >= 3


def test_a_leaders_waiver_typed_regraded_survives_a_later_regrade(org, log):
    incident = log(discovered_at=DISCOVERED)
    at = DISCOVERED + HOUR
    press = incident.obligations.get(kind="press_conference")
    with time_machine.travel(at, tick=False):
        waive(press, reason="regraded", approver=org.leader, now=at)
        regrade(incident, severity="especially_major", reason="升级", actor=org.duty_officer, now=at)
    press.refresh_from_db()
    assert (press.state, press.waiver_kind) == ("waived", "approved")
    assert not incident.obligations.filter(kind="press_conference", state="pending").exists()


@pytest.mark.parametrize(
    ("key", "label"), [("repeat_22", "第22次重复督办"), ("overdue_l1#2", "超时一级督办（时限变更后第2轮）")]
)
def test_steps_are_named_in_words(key, label):
    assert step_label(key) == label
