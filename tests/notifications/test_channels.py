"""Robots, SMS and the outbound webhook against real HTTP receivers that behave like the providers."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from notifications.enforcement import enforce
from notifications.models import ContactPreference, Notification, Robot

from ..conftest import PHONE, beijing, first_level_on
from ..factories import PersonFactory

DISCOVERED = beijing(2026, 3, 10, 10)
DUE = DISCOVERED + timedelta(hours=2)  # the internal report's deadline


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def to_leader(channel) -> Notification:
    return Notification.objects.get(obligation__kind="internal_report", channel=channel, step="overdue_l1")


def test_a_dingtalk_robot_gets_a_signed_markdown_message_mentioning_the_leader(org, log, providers, leader):
    providers.dingtalk_tokens["dt-token"] = "SEC-dingtalk-secret"
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token", secret="SEC-dingtalk-secret")
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED, title="网传某路段塌陷")

    run_pass(DUE)

    [message] = providers.messages("dingtalk")
    assert message["msgtype"] == "markdown"
    assert "网传某路段塌陷" in message["markdown"]["text"]
    assert f"@{PHONE}" in message["markdown"]["text"]
    assert message["at"] == {"atMobiles": [PHONE], "isAtAll": False}
    notification = to_leader("robot")
    assert (notification.status, notification.recipient) == ("sent", leader)


def test_a_wrong_dingtalk_secret_fails_at_once_tells_the_administrators_and_falls_back(org, log, providers, leader):
    providers.dingtalk_tokens["dt-token"] = "SEC-the-real-one"
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token", secret="SEC-a-typo")
    ContactPreference.objects.create(person=leader, channel_order=["robot", "sms", "email"])
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    robot = to_leader("robot")
    assert (robot.status, robot.attempts) == ("failed", 1)
    attempt = robot.delivery_attempts.get()
    assert attempt.outcome == "permanent_error"
    assert "310000" in attempt.provider_answer
    fallback = robot.fallbacks.get()
    assert (fallback.channel, fallback.status, fallback.recipient) == ("sms", "sent", leader)
    [sms] = providers.messages("sms")
    assert sms["PhoneNumbers"] == PHONE
    assert sms["OutId"] == str(fallback.pk)
    [alert] = mail.outbox
    assert alert.to == ["admin@example.gov.cn"]
    assert "SEC-a-typo" not in alert.body


def test_a_throttled_robot_waits_out_the_providers_penalty_without_using_an_attempt(org, log, providers, leader):
    providers.dingtalk_tokens["dt-token"] = ""
    providers.throttle["dingtalk"] = 1
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)
    robot = to_leader("robot")
    penalty = DUE + timedelta(minutes=10)  # DingTalk refuses a robot that sent too fast for 10 minutes
    assert (robot.status, robot.available_at, robot.attempts, robot.throttled) == ("pending", penalty, 1, 1)
    run_pass(penalty - timedelta(seconds=1))
    assert len(providers.messages("dingtalk")) == 1, "nothing more goes to the paused robot"
    run_pass(penalty)

    robot = to_leader("robot")
    assert (robot.status, robot.attempts) == ("sent", 2)
    assert [a.outcome for a in robot.delivery_attempts.all()] == ["throttled", "sent"]
    assert "130101" in robot.delivery_attempts.first().provider_answer


def test_a_wecom_robot_gets_a_text_within_its_limit_mentioning_the_leaders_mobile(org, log, providers, leader):
    providers.wecom_keys.add("wc-key")
    Robot.objects.create(department=org.department, provider="wecom", token="wc-key")
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED, title="网传" + "某地事件" * 49)  # the longest title: over 2,048 bytes in all

    run_pass(DUE)

    [message] = providers.messages("wecom")
    assert message["msgtype"] == "text"
    assert message["text"]["mentioned_mobile_list"] == [PHONE]
    assert len(message["text"]["content"].encode()) <= 2048
    assert to_leader("robot").status == "sent"


def assert_the_alarm_to_the_leader_fails_for_good(org, log, channel, provider_error):
    """Lets the internal report go overdue with the first level on ``channel``: the one attempt to reach the leader
    fails for good, keeping the provider's ``provider_error`` in its answer."""
    first_level_on(org, channel)
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader(channel)
    assert notification.status == "failed"
    assert provider_error in notification.delivery_attempts.get().provider_answer


def test_a_wrong_wecom_key_fails_for_good(org, log, providers, leader):
    Robot.objects.create(department=org.department, provider="wecom", token="not-a-key")

    assert_the_alarm_to_the_leader_fails_for_good(org, log, "robot", provider_error="93000")


@pytest.mark.parametrize(("secret", "status"), [("feishu-secret", "sent"), ("wrong-secret", "failed")])
def test_a_feishu_bot_checks_the_signature_in_the_body(org, log, providers, leader, secret, status):
    providers.feishu_tokens["hook-id"] = "feishu-secret"
    Robot.objects.create(department=org.department, provider="feishu", token="hook-id", secret=secret)
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED, title="网传水质异常")

    run_pass(DUE)

    [message] = providers.messages("feishu")
    assert "网传水质异常" in message["content"]["text"]
    assert to_leader("robot").status == status


def test_an_illegal_mobile_number_fails_the_sms_for_good(org, log, providers, leader):
    providers.sms_illegal_numbers.add(PHONE)

    assert_the_alarm_to_the_leader_fails_for_good(org, log, "sms", provider_error="isv.MOBILE_NUMBER_ILLEGAL")


def test_a_gateway_answering_in_gbk_is_understood(org, log, providers, leader):
    providers.sms_illegal_numbers.add(PHONE)
    providers.charset = "gbk"  # "非法手机号" in GBK, as an intranet SMS platform may write it

    assert_the_alarm_to_the_leader_fails_for_good(org, log, "sms", provider_error="isv.MOBILE_NUMBER_ILLEGAL")
    assert "非法手机号" in to_leader("sms").delivery_attempts.get().provider_answer


def test_the_outbound_webhook_is_signed_and_carries_the_notification_id(org, log, providers, leader):
    first_level_on(org, "webhook")
    incident = log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader("webhook")
    assert notification.status == "sent"
    [(_name, _url, headers, body)] = [r for r in providers.received if r[0] == "webhook"]
    assert headers["X-Opinion-Tracker-Delivery"] == str(notification.pk)
    assert body["incident"]["id"] == incident.pk
    assert body["recipient"]["phone"] == PHONE


def test_providers_are_reached_through_the_configured_proxy_and_base_url(org, log, providers, leader, settings):
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    settings.DINGTALK_BASE_URL = "http://dingtalk.intranet.example"  # a private deployment's address
    settings.OUTBOUND_PROXY = providers.base  # the receiver plays the proxy too
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    [(_name, url, _headers, _body)] = providers.received
    assert url.startswith("http://dingtalk.intranet.example/robot/send?access_token=dt-token")
    assert to_leader("robot").status == "sent"


def test_a_proxy_that_asks_for_credentials_gets_those_of_its_address(org, log, providers, leader, settings):
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    settings.OUTBOUND_PROXY = providers.base.replace("http://", "http://tracker:p%40ss@")  # an escaped "@"
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    [(_name, _url, headers, _body)] = providers.received
    sent = {name.lower(): value for name, value in headers.items()}
    assert sent["proxy-authorization"] == "Basic " + base64.b64encode(b"tracker:p@ss").decode()
    assert to_leader("robot").status == "sent"


def test_a_proxy_given_without_its_scheme_is_an_http_proxy(org, log, providers, leader, settings):
    first_level_on(org, "webhook")
    settings.OUTBOUND_WEBHOOK_URL = "http://tracker-receiver.intranet.example/hooks/tracker"
    settings.OUTBOUND_PROXY = providers.base.removeprefix("http://")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    assert [url for _name, url, _headers, _body in providers.received] == [settings.OUTBOUND_WEBHOOK_URL]
    assert to_leader("webhook").status == "sent"


def test_a_provider_address_without_its_scheme_is_never_guessed(org, log, providers, leader, settings):
    """Guessing would send the token or the signature in clear text: the message waits, the reason in words."""
    first_level_on(org, "webhook")
    settings.OUTBOUND_WEBHOOK_URL = providers.base.removeprefix("http://") + "/hooks/tracker"
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    assert not providers.received
    notification = to_leader("webhook")
    assert notification.status == "pending"
    assert notification.error == "设置中的服务商地址不是以 http:// 或 https:// 开头。"


def test_robot_credentials_are_never_shown_back_in_full_nor_logged(org, log, providers, leader, admin_client, caplog):
    robot = Robot.objects.create(
        department=org.department, provider="dingtalk", token="dt-token-0123456789", secret="SEC-never-show-me"
    )
    url = reverse("admin:notifications_robot_change", args=[robot.pk])

    page = admin_client.get(url).content.decode()
    kept = admin_client.post(
        url,
        {
            "department": org.department.pk,
            "provider": "dingtalk",
            "name": "值班群",
            "token": "",
            "secret": "",
            "enabled": "on",
        },
    )
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED)
    run_pass(DUE)  # the receiver does not know this token: a permanent failure, logged

    assert "dt-token-0123456789" not in page
    assert "SEC-never-show-me" not in page
    assert "••••6789" in page
    assert kept.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.token, robot.secret) == ("值班群", "dt-token-0123456789", "SEC-never-show-me")
    assert to_leader("robot").status == "failed"
    assert "dt-token-0123456789" not in caplog.text
    assert "SEC-never-show-me" not in caplog.text


@pytest.mark.parametrize("provider", ["dingtalk", "wecom"])
def test_fifty_steps_for_one_robot_within_a_minute_arrive_as_at_most_twenty_messages_none_lost(
    org, log, providers, provider
):
    providers.dingtalk_tokens["robot-token"] = ""  # no 加签
    providers.wecom_keys.add("robot-token")
    Robot.objects.create(department=org.department, provider=provider, token="robot-token")
    first_level_on(org, "robot")
    for n in range(50):
        log(discovered_at=DISCOVERED, title=f"网传事件{n:02d}")

    run_pass(DUE)
    within_the_minute = providers.messages(provider)
    run_pass(DUE + timedelta(minutes=1))  # what no digest of the first minute could hold goes in the next
    run_pass(DUE + timedelta(minutes=2))

    assert len(within_the_minute) <= 20
    robot_rows = Notification.objects.filter(channel="robot")
    assert robot_rows.count() == 50
    assert set(robot_rows.values_list("status", flat=True)) == {"sent"}
    texts = [json.dumps(message, ensure_ascii=False) for message in providers.messages(provider)]
    assert all(any(f"网传事件{n:02d}" in text for text in texts) for n in range(50)), "every step reached the group"
    if provider == "wecom":
        assert all(len(m["text"]["content"].encode()) <= 2048 for m in providers.messages(provider))


def test_a_robot_with_no_slot_left_waits_for_its_window_without_using_an_attempt(org, log, providers, settings):
    settings.ROBOT_MESSAGES_PER_MINUTE = 1
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    first_level_on(org, "robot")
    log(discovered_at=DISCOVERED, title="第一件")
    log(discovered_at=DISCOVERED + timedelta(seconds=10), title="第二件")

    run_pass(DUE)
    run_pass(DUE + timedelta(seconds=10))
    second = Notification.objects.get(channel="robot", incident__title="第二件")
    # A minute after the provider saw the first, and a margin for its clock.
    frees = DUE + timedelta(seconds=60 + settings.PROVIDER_WINDOW_MARGIN_SECONDS)
    assert (second.status, second.attempts, second.available_at) == ("pending", 0, frees)
    run_pass(frees)

    assert Notification.objects.get(pk=second.pk).status == "sent"
    assert len(providers.messages("dingtalk")) == 2


def test_staff_who_may_only_view_robots_see_the_hint_not_the_credentials(client, org):
    robot = Robot.objects.create(department=org.department, provider="wecom", token="wc-key-0123456789")
    viewer = PersonFactory(is_staff=True, department=org.office)
    viewer.user_permissions.add(Permission.objects.get(codename="view_robot"))
    client.force_login(viewer)

    page = client.get(reverse("admin:notifications_robot_change", args=[robot.pk]))

    assert page.status_code == 200
    assert "wc-key-0123456789" not in page.content.decode()
    assert "••••6789" in page.content.decode()


def test_a_failed_digest_tells_the_administrators_once_per_failed_send(org, log, providers, leader):
    Robot.objects.create(department=org.department, provider="dingtalk", token="unknown-token")
    first_level_on(org, "robot")
    for n in range(25):
        log(discovered_at=DISCOVERED, title=f"网传事件{n}")

    run_pass(DUE)

    assert set(Notification.objects.filter(channel="robot").values_list("status", flat=True)) == {"failed"}
    assert len(mail.outbox) == len(providers.messages("dingtalk")) <= 20
