"""Delivery under the faults an outside test injected: group messages that could be forwarded, providers
that throttle for longer than the attempts last, answers that come after the client gave up, a sender
killed between a send and its record, tasks lost with the broker, and titles written to trick a robot.

Real receivers and a real SMTP server throughout; time moves with ``time_machine``, except where a
provider is slow, which takes real (sub-second) time.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from notifications.batches import enqueue_due
from notifications.delivery import claim, send
from notifications.enforcement import enforce
from notifications.limits import Limited, reserve, robot_windows, seen
from notifications.models import Notification, Robot

from ..clients import client_for
from ..conftest import beijing, first_level_on

DISCOVERED = beijing(2026, 3, 10, 10)
DUE = DISCOVERED + timedelta(hours=2)  # the internal report's deadline
SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


@pytest.fixture
def dingtalk(org, providers):
    providers.dingtalk_tokens["dt-token"] = ""
    return Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def robot_rows():
    return Notification.objects.filter(channel="robot", fallback_for=None)


def administrators_mail():
    return [message for message in mail.outbox if message.to == ["admin@example.gov.cn"]]


def test_a_group_message_links_to_the_incident_page_and_carries_no_acknowledgement_link(
    org, log, providers, leader, dingtalk, smtp
):
    first_level_on(org, "robot", "email")
    incident = log(discovered_at=DISCOVERED)

    run_pass(DUE)

    [message] = providers.taken("dingtalk")
    text = message["markdown"]["text"]
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/" in text
    assert "/ack/" not in text, "anyone in the group could acknowledge as the leader"
    assert "请登录" in text
    [email] = smtp.to(leader.email)
    assert "确认已阅：http://127.0.0.1:8000/ack/" in email.get_content(), "a personal channel keeps it"


def test_a_title_written_to_trick_the_robot_reaches_the_group_as_typed_and_inert(org, log, providers, leader, dingtalk):
    first_level_on(org, "robot")
    log(
        discovered_at=DISCOVERED,
        title='[点此领取补贴](http://evil.example/x) ![](http://evil.example/p.png)\n# 紧急通知 @所有人 <at id="all">',
    )

    run_pass(DUE)

    [message] = providers.taken("dingtalk")
    text = message["markdown"]["text"]
    assert "](" not in text, "no link"
    assert "![" not in text, "no remote image"
    assert "http://evil.example" not in text
    assert "\n# " not in text, "no heading of the title's own"
    assert "@所有人" not in text
    assert "＠所有人" in text
    assert "<at" not in text
    assert "［点此领取补贴］" in text, "what was typed still reads as typed"
    assert message["at"]["isAtAll"] is False


def test_a_robot_throttled_for_longer_than_the_attempts_last_loses_nothing_and_tells_the_administrators(
    org, log, providers, leader, dingtalk
):
    first_level_on(org, "robot")
    providers.throttle_until["dingtalk"] = (DUE + 9 * MINUTE).timestamp()
    for n in range(14):
        log(discovered_at=DISCOVERED, title=f"网传事件{n:02d}")

    for k in range(25):  # a pass every 30 s for 12 minutes
        run_pass(DUE + k * 30 * SECOND)

    rows = robot_rows()
    assert rows.count() == 14
    assert set(rows.values_list("status", flat=True)) == {"sent"}, "none failed, none dropped"
    assert all(row.attempts - row.throttled <= 1 for row in rows), "throttling used up no attempt"
    assert len([body for _name, _url, _headers, body in providers.received if _name == "dingtalk"]) <= 1 + 14, (
        "nothing was sent to the robot while it was paused"
    )
    texts = json.dumps(providers.taken("dingtalk"), ensure_ascii=False)
    assert all(f"网传事件{n:02d}" in texts for n in range(14)), "every step reached the group in the end"
    # Held past five minutes after their step: the leader was told on their next channel meanwhile.
    assert all(row.fallbacks.filter(status="sent").exists() for row in rows)
    [alert] = administrators_mail()
    assert "市交通运输局 · 钉钉" in alert.body, "which robot"
    assert "2026-03-10 12:10" in alert.body, "and until when"


def test_a_robot_answering_after_the_timeout_is_not_sent_again_and_the_record_says_so(
    org, log, providers, leader, settings
):
    settings.OUTBOUND_TIMEOUT = 0.3
    providers.wecom_keys.add("wc-key")
    providers.delay["wecom"] = 1.0
    Robot.objects.create(department=org.department, provider="wecom", token="wc-key")
    first_level_on(org, "robot")
    for n in range(3):
        log(discovered_at=DISCOVERED, title=f"网传事件{n}")

    run_pass(DUE)
    run_pass(DUE + 10 * MINUTE)

    assert len(providers.taken("wecom")) == 3, "each once: the provider took them all"
    assert set(robot_rows().values_list("status", flat=True)) == {"unknown"}
    assert all(row.fallbacks.filter(status="sent").exists() for row in robot_rows())
    assert [attempt.outcome for attempt in robot_rows().first().delivery_attempts.all()] == ["unknown"]
    with time_machine.travel(DUE + 10 * MINUTE, tick=False):
        entries = client_for(leader).get("/api/v1/escalations/").json()["results"]
    reasons = [item["reason"] for entry in entries for item in entry["not_delivered"] if item["channel"] == "robot"]
    assert len(reasons) == 3
    assert all("可能已收到" in reason for reason in reasons)
    assert administrators_mail(), "someone must look at a provider that does not answer"


def test_an_email_accepted_after_the_timeout_goes_at_most_twice_with_one_message_id(org, log, smtp, settings):
    settings.EMAIL_TIMEOUT = 0.3
    smtp.answer_after = 1.0
    first_level_on(org, "email")
    log(discovered_at=DISCOVERED)

    for k in range(10):
        run_pass(DUE + k * 10 * MINUTE)

    copies = smtp.to(org.leader.email)
    assert len(copies) == 2, "sent once more after the lost answer, then no more (it was 8 times)"
    assert len({copy["Message-ID"] for copy in copies}) == 1, "clients that deduplicate show it once"
    email = Notification.objects.get(channel="email", fallback_for=None)
    assert email.status == "unknown"
    assert [a.outcome for a in email.delivery_attempts.all()] == ["unknown", "unknown"]


def test_an_sms_whose_answer_was_lost_is_sent_again_and_the_gateway_drops_the_repeat(
    org, log, providers, leader, settings
):
    settings.OUTBOUND_TIMEOUT = 0.3
    providers.delay["sms"] = 1.0
    first_level_on(org, "sms")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)
    providers.delay["sms"] = 0
    run_pass(DUE + 10 * MINUTE)

    sms = Notification.objects.get(channel="sms", fallback_for=None)
    assert sms.status == "sent"
    assert [a.outcome for a in sms.delivery_attempts.all()] == ["unknown", "sent"]
    assert len(providers.messages("sms")) == 2
    assert len(providers.taken("sms")) == 1, "the same OutId: the person got one SMS"


def test_a_sender_killed_between_a_robot_send_and_its_record_does_not_send_it_again(
    org, log, providers, leader, dingtalk, settings
):
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)
    with time_machine.travel(DUE, tick=False):
        enforce(DUE, deliver=lambda now: 0)  # recorded, not yet handed over
        claimed = claim(robot_rows().get().pk, DUE)
        send(claimed)  # the group has the message ... and the sender is killed before recording it

    run_pass(DUE + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS))
    run_pass(DUE + 10 * MINUTE)

    assert len(providers.taken("dingtalk")) == 1, "a repeat would reach the whole group twice"
    robot = robot_rows().get()
    assert robot.status == "unknown"
    assert robot.fallbacks.filter(status="sent").exists(), "the leader is told on their next channel"
    [attempt] = robot.delivery_attempts.all()
    assert attempt.outcome == "unknown"
    assert "停止" in attempt.error
    assert len(administrators_mail()) == 1


def test_a_delivery_task_lost_with_the_broker_is_queued_again_two_intervals_later(
    org, log, settings, django_capture_on_commit_callbacks
):
    first_level_on(org, "email")
    log(discovered_at=DISCOVERED)
    with time_machine.travel(DUE, tick=False):
        enforce(DUE, deliver=lambda now: 0)
    queued = []
    interval = timedelta(seconds=settings.ENFORCEMENT_INTERVAL_SECONDS)

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_due(DUE, queued.append)  # ... and the broker restarts, losing the task
        enqueue_due(DUE + 2 * interval - SECOND, queued.append)  # not queued twice while it may still come
        enqueue_due(DUE + 2 * interval, queued.append)

    [email] = Notification.objects.filter(channel="email")
    assert queued == [[email.pk], [email.pk]], "in a batch of its own each time"


def test_a_robots_slots_are_counted_from_when_the_provider_saw_each_message(db, settings):
    """Twenty messages reserved at once and slow to send: the 21st waits a minute from when the
    provider saw the last of them (and a margin), not from the reservations; a message still on its way
    counts until its sender's lease is over."""
    robot = Limited("robot:1", robot_windows("dingtalk"), {}, 30, "市交通运输局 · 钉钉")
    lease, margin = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS), settings.PROVIDER_WINDOW_MARGIN_SECONDS
    slow = [reserve(robot, DUE, lease)[2] for _ in range(19)]
    on_its_way = reserve(robot, DUE, lease)[2]
    for reservation in slow:
        seen(reservation, DUE + 5 * SECOND)

    slots, frees_at, _reservation = reserve(robot, DUE + 61 * SECOND, lease)
    assert (slots, frees_at) == (0, DUE + 5 * SECOND + MINUTE + margin * SECOND)
    seen(on_its_way, DUE + 6 * SECOND)
    assert reserve(robot, frees_at - SECOND, lease)[0] == 0
    assert reserve(robot, frees_at, lease)[0] == 19, "the nineteen slow ones are out of the window, not the last"


def test_a_broker_that_is_down_when_tasks_are_handed_over_is_a_warning_and_loses_nothing(
    org, log, settings, caplog, django_capture_on_commit_callbacks
):
    first_level_on(org, "email")
    log(discovered_at=DISCOVERED)
    with time_machine.travel(DUE, tick=False):
        enforce(DUE, deliver=lambda now: 0)

    def broker_down(notification_ids):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_due(DUE, broker_down)

    assert not [record for record in caplog.records if record.levelname in {"ERROR", "CRITICAL"}], "no error mail"
    assert "queued again later" in caplog.text
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_due(DUE + 2 * timedelta(seconds=settings.ENFORCEMENT_INTERVAL_SECONDS), queued.append)
    assert queued == [[Notification.objects.get(channel="email").pk]]
