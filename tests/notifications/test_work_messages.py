"""Work messages (钉钉工作通知, 企业微信应用消息, 飞书) against real receivers that behave like the providers:
delivered with an acknowledgement button, an expired token refreshed once, throttling waited out, a bad user
id failing for good with the person told on their next channel, and the access token shared."""

import json
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core import mail

from incidents.models import Role
from notifications.channels.work_message import message_key
from notifications.enforcement import enforce
from notifications.models import ContactPreference, EscalationEntry, Notification, ProviderSend, WorkApp
from notifications.readiness import readiness

from ..clients import client_for
from ..conftest import beijing, first_level_on
from ..factories import PersonFactory
from ..work_apps import AGENT, KIND, PROVIDERS, SECRETS, USER_FIELD, USER_IDS, app_for, message_requests

DISCOVERED = beijing(2026, 3, 10, 10)
DUE = DISCOVERED + timedelta(hours=2)  # the internal report's deadline


def leader_on(org, provider, user_id=None):
    leader = org.leader
    setattr(leader, USER_FIELD[provider], user_id or USER_IDS[provider])
    leader.save()
    return leader


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def to_leader(kind) -> Notification:
    return Notification.objects.get(obligation__kind="internal_report", channel=kind, step="overdue_l1")


def button_url(provider, message) -> str:
    if provider == "dingtalk":
        return message["msg"]["action_card"]["single_url"]
    if provider == "wecom":
        return message["textcard"]["url"]
    card = json.loads(message["content"])
    [action] = [element for element in card["elements"] if element["tag"] == "action"]
    return action["actions"][0]["url"]


def button_text(provider, message) -> str:
    if provider == "dingtalk":
        return message["msg"]["action_card"]["single_title"]
    if provider == "wecom":
        return message["textcard"]["btntxt"]
    card = json.loads(message["content"])
    [action] = [element for element in card["elements"] if element["tag"] == "action"]
    return action["actions"][0]["text"]["content"]


def card_text(provider, message) -> str:
    if provider == "dingtalk":
        return message["msg"]["action_card"]["markdown"]
    if provider == "wecom":
        return message["textcard"]["title"] + message["textcard"]["description"]
    return message["content"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_leader_gets_a_card_whose_button_acknowledges_the_entry(provider, org, log, work, client):
    app_for(org, work, provider)
    leader = leader_on(org, provider)
    first_level_on(org, KIND[provider])
    log(discovered_at=DISCOVERED, title="网传[点此领取](http://x.example)补贴")

    run_pass(DUE)

    notification = to_leader(KIND[provider])
    assert (notification.status, notification.recipient) == ("sent", leader)
    [message] = work.delivered_to(provider, USER_IDS[provider])
    text = card_text(provider, message)
    assert "补贴" in text
    assert "](http://x.example)" not in text, "what people typed cannot become a link"
    path = urlsplit(button_url(provider, message)).path
    assert path.startswith("/ack/")
    assert button_text(provider, message) == "确认已阅"

    with time_machine.travel(DUE + timedelta(minutes=2), tick=False):
        assert client.get(path).status_code == 200
        assert EscalationEntry.objects.get(pk=notification.entry_id).acknowledged_at is None
        assert client.post(path).status_code == 200

    entry = EscalationEntry.objects.get(pk=notification.entry_id)
    assert entry.acknowledged_at == DUE + timedelta(minutes=2)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_token_serves_every_message_and_an_expired_one_is_refreshed_once(provider, org, log, work):
    app_for(org, work, provider)
    leader_on(org, provider)
    first_level_on(org, KIND[provider])
    log(discovered_at=DISCOVERED, title="第一件")
    log(discovered_at=DISCOVERED + timedelta(minutes=1), title="第二件")
    log(discovered_at=DISCOVERED + timedelta(minutes=2), title="第三件")

    run_pass(DUE)
    assert work.token_requests[provider] == 1, "one token for the first message"
    work.expire_tokens(provider)  # the provider ends it early: a new secret elsewhere, its own restart
    run_pass(DUE + timedelta(minutes=1))
    run_pass(DUE + timedelta(minutes=2))

    assert Notification.objects.filter(channel=KIND[provider], status="sent").count() == 3
    assert work.token_requests[provider] == 2, "refreshed once when refused, then kept"
    assert len(message_requests(work, provider)) == 4, "the refused message was sent again once, with the new token"
    assert len(work.delivered_to(provider, USER_IDS[provider])) == 3


@pytest.mark.parametrize(
    ("provider", "window"),
    [("dingtalk", timedelta(seconds=60)), ("wecom", timedelta(seconds=60)), ("feishu", timedelta(seconds=30))],
)
def test_a_throttled_message_waits_for_the_window_without_using_an_attempt(provider, window, org, log, work):
    app_for(org, work, provider)
    leader_on(org, provider)
    first_level_on(org, KIND[provider])
    work.throttle[provider] = 1
    work.throttle_window["feishu"] = 30  # Feishu says when its window resets
    log(discovered_at=DISCOVERED)

    run_pass(DUE)
    notification = to_leader(KIND[provider])
    assert (notification.status, notification.available_at, notification.throttled) == ("pending", DUE + window, 1)
    run_pass(DUE + window - timedelta(seconds=1))
    assert len(message_requests(work, provider)) == 1, "nothing more goes to the person before the window ends"
    run_pass(DUE + window)

    notification = to_leader(KIND[provider])
    assert notification.status == "sent"
    assert [a.outcome for a in notification.delivery_attempts.all()] == ["throttled", "sent"]
    assert len(work.delivered_to(provider)) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_user_id_fails_for_good_and_the_leader_is_emailed_instead(provider, org, log, work):
    app_for(org, work, provider)
    leader = leader_on(org, provider, user_id="left.last.year")
    ContactPreference.objects.create(person=leader, channel_order=[KIND[provider], "email"])
    first_level_on(org, KIND[provider])
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader(KIND[provider])
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert "left.last.year" in notification.error
    fallback = notification.fallbacks.get()
    assert (fallback.channel, fallback.status) == ("email", "sent")
    to_leader_mail = [m for m in mail.outbox if m.to == [leader.email]]
    admins = [m for m in mail.outbox if m.to == ["admin@example.gov.cn"]]
    assert len(to_leader_mail) == 1
    assert len(admins) == 1
    assert not work.delivered_to(provider)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_secret_fails_at_once_tells_the_administrators_without_the_secret(provider, org, log, work):
    app_for(org, work, provider, secret="SEC-a-typo")
    leader = leader_on(org, provider)
    ContactPreference.objects.create(person=leader, channel_order=[KIND[provider], "email"])
    first_level_on(org, KIND[provider])
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader(KIND[provider])
    assert notification.status == "failed"
    assert notification.fallbacks.get().channel == "email"
    [alert] = [m for m in mail.outbox if m.to == ["admin@example.gov.cn"]]
    assert "SEC-a-typo" not in alert.body
    assert not message_requests(work, provider), "no message goes out without a token"


def test_the_nearest_app_up_the_tree_serves_a_person(org, log, work):
    """The government's app serves its departments; a department's own app, where it has one, comes first."""
    app_for(org, work, "wecom", department=None, app_key="corp-for-everyone", base_url="http://127.0.0.1:9")
    own = app_for(org, work, "wecom", department=org.department)
    leader_on(org, "wecom")
    first_level_on(org, "wecom_app")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    assert to_leader("wecom_app").status == "sent"
    assert WorkApp.serving("wecom", org.leader.department) == own


def test_readiness_names_a_missing_app_and_a_missing_user_id_until_each_is_filled(org, work):
    first_level_on(org, "dingtalk_work")

    def gaps():
        return {(g.kind, g.channel or "", g.person or 0) for g in readiness().gaps if g.kind != "no_roster"}

    assert ("channel_not_configured", "dingtalk_work", 0) in gaps()
    app_for(org, work, "dingtalk")
    assert ("channel_not_configured", "dingtalk_work", 0) not in gaps()
    assert ("unreachable", "", org.leader.pk) in gaps(), "the leader has no 钉钉 user id"
    [unreachable] = [g for g in readiness().gaps if g.kind == "unreachable"]
    assert "钉钉工作通知：没有钉钉用户 ID" in unreachable.detail, "channels named in words, not by their codes"
    leader_on(org, "dingtalk")
    assert ("unreachable", "", org.leader.pk) not in gaps()


def test_an_apps_secret_is_never_shown_back_in_the_admin(org, work, admin_client):
    app = app_for(org, work, "feishu", secret="SEC-feishu-app-secret-Q7xZ")

    page = admin_client.get(f"/admin/notifications/workapp/{app.pk}/change/").content.decode()

    assert "SEC-feishu-app-secret" not in page
    assert "••••Q7xZ" in page  # the last four characters, as a hint


def test_people_carry_their_user_id_per_platform_in_the_api(org):
    admin_api = client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]))
    answer = admin_api.patch(
        f"/api/v1/people/{org.leader.pk}/",
        {"dingtalk_userid": "zhang.wei", "wecom_userid": "ZhangWei", "feishu_user_id": "5d9bdxxx"},
        format="json",
    )

    assert answer.status_code == 200
    person = admin_api.get(f"/api/v1/people/{org.leader.pk}/").json()
    assert (person["dingtalk_userid"], person["wecom_userid"], person["feishu_user_id"]) == (
        "zhang.wei",
        "ZhangWei",
        "5d9bdxxx",
    )


def test_dingtalk_is_waited_for_until_its_task_says_the_user_id_is_unknown(org, log, work):
    """钉钉 takes the notice for an unknown user and says so only when its asynchronous task is done."""
    app_for(org, work, "dingtalk")
    leader = leader_on(org, "dingtalk", user_id="left.last.year")
    ContactPreference.objects.create(person=leader, channel_order=["dingtalk_work", "email"])
    first_level_on(org, "dingtalk_work")
    work.dingtalk_pending_polls = 2
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader("dingtalk_work")
    assert notification.status == "failed"
    assert notification.fallbacks.get().channel == "email"
    polls = [r for r in work.received if r[2].endswith("/getsendprogress")]
    assert len(polls) == 3


@pytest.mark.parametrize(
    ("code", "until"),
    [("143103", DUE + timedelta(seconds=60)), ("143105", beijing(2026, 3, 11, 0))],
)
def test_a_person_dingtalks_limits_held_back_waits_instead_of_counting_as_told(code, until, org, log, work):
    app_for(org, work, "dingtalk")
    leader_on(org, "dingtalk")
    first_level_on(org, "dingtalk_work")
    work.dingtalk_forbid["zhang.wei"] = code
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader("dingtalk_work")
    assert (notification.status, notification.available_at, notification.throttled) == ("pending", until, 1)
    work.dingtalk_forbid.clear()
    run_pass(until)
    assert to_leader("dingtalk_work").status == "sent"


def test_steps_beyond_a_persons_wecom_limit_go_out_as_one_card_that_opens_my_escalations(org, log, work):
    app = app_for(org, work, "wecom")
    leader = leader_on(org, "wecom")
    first_level_on(org, "wecom_app")
    key = f"wecom_app:{app.pk}:{leader.pk}"
    ProviderSend.objects.bulk_create(
        ProviderSend(destination=key, sent_at=DUE - timedelta(seconds=5)) for _ in range(29)
    )
    for minute in range(3):
        log(discovered_at=DISCOVERED + timedelta(seconds=minute), title=f"第{minute + 1}件")

    run_pass(DUE + timedelta(seconds=2))

    [card] = work.delivered_to("wecom", "zhangwei")
    assert card["textcard"]["btntxt"] == "查看全部"
    assert urlsplit(card["textcard"]["url"]).path == "/escalations/"
    assert card["textcard"]["description"].count("\n") == 1, "two lines: all a 企业微信 card holds"
    statuses = sorted(Notification.objects.filter(channel="wecom_app").values_list("status", flat=True))
    assert statuses == ["pending", "sent", "sent"]


def test_a_disabled_app_reaches_nobody_and_says_why(org, log, work):
    app_for(org, work, "feishu", enabled=False)
    leader_on(org, "feishu")
    first_level_on(org, "feishu_app")
    log(discovered_at=DISCOVERED)

    run_pass(DUE)

    notification = to_leader("feishu_app")
    assert notification.status == "skipped"
    assert "飞书" in notification.error
    assert not work.received


def test_no_secret_or_token_reaches_the_logs_even_at_debug(org, log, work, caplog):
    work.wecom_apps[work.keys["wecom"]] = {"SEC-the-corp-secret": AGENT}
    app_for(org, work, "wecom", secret="SEC-the-corp-secret")
    leader_on(org, "wecom")
    first_level_on(org, "wecom_app")
    log(discovered_at=DISCOVERED)
    caplog.set_level(logging.DEBUG)

    run_pass(DUE)

    assert to_leader("wecom_app").status == "sent"
    [(_provider, _method, _path, query, _headers, _body)] = [r for r in work.received if r[2] == "/cgi-bin/gettoken"]
    assert query["corpsecret"] == "SEC-the-corp-secret"
    assert "SEC-the-corp-secret" not in caplog.text
    [token] = {r[3]["access_token"] for r in work.received if r[2] == "/cgi-bin/message/send"}
    assert token not in caplog.text


def test_the_admin_refuses_a_second_enabled_app_in_words_and_keeps_a_secret_left_empty(org, work, admin_client):
    app = app_for(org, work, "wecom")
    form = {
        "provider": "wecom",
        "name": "",
        "department": org.government.pk,
        "app_key": "another-corp",
        "secret": "SEC-other",
        "agent_id": AGENT,
        "base_url": "",
        "enabled": "on",
    }

    refused = admin_client.post("/admin/notifications/workapp/add/", form)

    assert refused.status_code == 200
    assert refused.content.decode().count("该部门已有一个启用的同平台应用。") == 1
    assert WorkApp.objects.count() == 1
    kept = admin_client.post(
        f"/admin/notifications/workapp/{app.pk}/change/",
        form | {"app_key": app.app_key, "secret": "", "name": "政务微信", "base_url": work.base},
    )
    assert kept.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.secret) == ("政务微信", SECRETS["wecom"])
    history = LogEntry.objects.get(object_id=str(app.pk))
    assert json.loads(history.change_message) == [{"changed": {"fields": ["Name"]}}]


def test_a_feishu_message_key_is_the_same_on_every_send_and_differs_between_installations(org, log, work, settings):
    app_for(org, work, "feishu")
    leader_on(org, "feishu")
    first_level_on(org, "feishu_app")
    log(discovered_at=DISCOVERED)
    run_pass(DUE)
    notification = to_leader("feishu_app")
    [message] = work.delivered_to("feishu")

    here = message_key(f"notification-{notification.pk}")
    settings.SECRET_KEY = "another-installation-" + "k" * 40
    elsewhere = message_key(f"notification-{notification.pk}")

    assert message["uuid"] == here, "a message sent again carries the same key"
    assert len(here) <= 50
    assert here != elsewhere
