"""Delivery: email through a real SMTP server, retries, permanent failures and expired leases."""

from datetime import timedelta

import time_machine
from django.conf import settings

from incidents.services.actions import record_action
from notifications.delivery import claim, deliver, finish
from notifications.enforcement import enforce
from notifications.models import DeliveryAttempt, Notification

from ..conftest import beijing

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)
FIRST_LEVEL = DISCOVERED + 2 * HOUR  # the internal report's deadline


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def leader_email(org) -> Notification:
    return Notification.objects.get(
        step="overdue_l1", recipient=org.leader, channel="email", obligation__kind="internal_report"
    )


def test_an_escalation_email_arrives_in_chinese_with_its_links(org, log, smtp):
    incident = log(discovered_at=DISCOVERED, title="网传某地桥梁出现裂缝")

    run_pass(FIRST_LEVEL + timedelta(minutes=5))

    [message] = smtp.to(org.leader.email)
    assert "网传某地桥梁出现裂缝" in message["Subject"]
    assert "重大" in message["Subject"]
    body = message.get_content()
    assert "内部报告" in body
    assert "2026-03-10 12:00" in body  # the deadline in Beijing time
    assert "超时 5分0秒" in body  # in words, as the pages say it
    assert "提醒级别：超时一级督办" in body  # the step in words, never its code
    assert "overdue_l1" not in body
    assert f"查看事件：http://127.0.0.1:8000/incidents/{incident.pk}/" in body  # the tracker's page, not the admin
    assert "确认已阅：http://127.0.0.1:8000/ack/" in body
    notification = leader_email(org)
    assert message["Message-ID"] == f"<notification-{notification.pk}@127.0.0.1>"
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.delivery_attempts.get().outcome == "sent"


def test_a_mail_server_that_is_down_is_tried_again_after_a_backoff(org, log, smtp, settings):
    log(discovered_at=DISCOVERED)
    live_port, settings.EMAIL_PORT = settings.EMAIL_PORT, smtp.port + 1  # nothing listens there

    run_pass(FIRST_LEVEL)

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.delivery_attempts.get().outcome == "transient_error"
    assert (
        FIRST_LEVEL
        < notification.available_at
        <= FIRST_LEVEL + timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS)
    )
    run_pass(FIRST_LEVEL + timedelta(seconds=1))
    assert leader_email(org).attempts == 1, "no retry before the backoff is over"

    settings.EMAIL_PORT = live_port
    run_pass(notification.available_at)

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert [a.outcome for a in notification.delivery_attempts.all()] == ["transient_error", "sent"]
    assert len(smtp.to(org.leader.email)) == 1


def test_an_address_the_server_refuses_fails_at_once_without_retrying(org, log, smtp):
    smtp.refuse.add(org.leader.email)
    log(discovered_at=DISCOVERED)

    run_pass(FIRST_LEVEL)
    run_pass(FIRST_LEVEL + 2 * HOUR)

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("failed", 1)
    attempt = notification.delivery_attempts.get()
    assert attempt.outcome == "permanent_error"
    assert "550" in attempt.provider_answer


def test_a_sender_that_dies_mid_delivery_leaves_an_unknown_outcome_and_the_email_goes_once_more(org, log, smtp):
    """Email may be sent again once after an unknown outcome: its Message-ID lets clients drop a repeat."""
    log(discovered_at=DISCOVERED)
    run_pass(FIRST_LEVEL - timedelta(seconds=1))
    with time_machine.travel(FIRST_LEVEL, tick=False):
        enforce(FIRST_LEVEL, deliver=lambda now: 0)  # steps recorded, nothing handed over
        notification = leader_email(org)
        assert claim(notification.pk, FIRST_LEVEL)  # ... and the sender dies here
        assert deliver(notification.pk) is None, "claimed by someone else until the lease expires"

    run_pass(FIRST_LEVEL + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS))

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert [a.outcome for a in notification.delivery_attempts.order_by("number")] == ["unknown", "sent"]
    assert len(smtp.to(org.leader.email)) == 1


def test_the_attempts_run_out_and_the_notification_fails(org, log, smtp, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.EMAIL_PORT = smtp.port + 1
    log(discovered_at=DISCOVERED)

    run_pass(FIRST_LEVEL)
    run_pass(FIRST_LEVEL + HOUR)

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert DeliveryAttempt.objects.filter(notification=notification, outcome="transient_error").count() == 2


def test_a_greylisting_server_is_tried_again_and_the_email_arrives(org, log, smtp):
    smtp.greylist.add(org.leader.email)
    log(discovered_at=DISCOVERED)

    run_pass(FIRST_LEVEL)
    run_pass(leader_email(org).available_at)

    notification = leader_email(org)
    assert [a.outcome for a in notification.delivery_attempts.all()] == ["transient_error", "sent"]
    assert len(smtp.to(org.leader.email)) == 1


def test_an_address_removed_before_sending_fails_instead_of_counting_as_sent(org, log, smtp):
    log(discovered_at=DISCOVERED)
    with time_machine.travel(FIRST_LEVEL, tick=False):
        enforce(FIRST_LEVEL, deliver=lambda now: 0)
    org.leader.email = ""
    org.leader.save()

    run_pass(FIRST_LEVEL + timedelta(seconds=1))

    notification = leader_email(org)
    assert (notification.status, notification.error) == ("failed", "没有电子邮箱地址。")
    assert smtp.messages == []


def test_a_title_on_several_lines_still_makes_a_valid_email(org, log, smtp):
    log(discovered_at=DISCOVERED, title="网传路面塌陷\n多车受损")

    run_pass(FIRST_LEVEL)

    [message] = smtp.to(org.leader.email)
    assert "网传路面塌陷 多车受损" in message["Subject"]


def test_a_notification_recorded_but_not_sent_before_the_obligation_was_met_is_not_sent(org, log, smtp):
    incident = log(discovered_at=DISCOVERED)
    with time_machine.travel(FIRST_LEVEL, tick=False):
        enforce(FIRST_LEVEL, deliver=lambda now: 0)
        record_action(incident, kind="internal_report", published_at=FIRST_LEVEL, summary="已报告", now=FIRST_LEVEL)

    run_pass(FIRST_LEVEL + timedelta(seconds=1))

    notification = leader_email(org)
    assert (notification.status, notification.error) == ("skipped", "该事项发出前已办结或豁免。")
    assert smtp.messages == []


def test_a_sender_that_outlived_its_lease_does_not_overrule_the_one_that_delivered(org, log, smtp):
    log(discovered_at=DISCOVERED)
    with time_machine.travel(FIRST_LEVEL, tick=False):
        enforce(FIRST_LEVEL, deliver=lambda now: 0)
        slow = claim(leader_email(org).pk, FIRST_LEVEL)
    run_pass(FIRST_LEVEL + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS))
    assert leader_email(org).status == "sent"

    [(notification, attempt)] = slow.pairs
    finish(notification, attempt, "permanent_error", error="timed out at last")

    notification = leader_email(org)
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert [a.outcome for a in notification.delivery_attempts.order_by("number")] == ["permanent_error", "sent"]
