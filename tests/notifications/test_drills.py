"""Drills (演练) against real receivers that behave like the providers: every configured robot, gateway and app is
tried and each answer recorded; a rotated key or a wrong secret shows as failed, what is not configured or cannot be
reached as skipped, and a destination at its limit is left alone; a drill keeps to its time limit. Then the admin's
button, its "New drill" page and the API."""

import re
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import capfirst

from incidents.models import Role
from notifications.admin import CREDENTIALS_ONLY
from notifications.channels import CHANNELS, sms, webhook
from notifications.channels.http import answered_by, bounded
from notifications.drills import DRILLABLE, OUT_OF_TIME, run_drill
from notifications.limits import robot_destination
from notifications.models import ChannelKind, Destination, Drill, DrillResult, ProviderSend, Robot

from ..clients import client_for
from ..conftest import PHONE
from ..factories import PersonFactory
from ..work_apps import KIND, PROVIDERS, USER_FIELD, USER_IDS, app_for, message_requests

TITLE = "【演练】督办系统测试消息"


@pytest.fixture
def admin(org):
    return PersonFactory(department=org.office, roles=[Role.ADMIN], display_name="系统管理员")


def robots_for(org, providers) -> dict:
    """A robot of each provider, each in its own department, each known to its provider."""
    providers.dingtalk_tokens["dt-token"] = "SEC-dingtalk"
    providers.wecom_keys.add("wc-key")
    providers.feishu_tokens["fs-hook"] = "fs-secret"
    return {
        "dingtalk": Robot.objects.create(
            department=org.department, provider="dingtalk", token="dt-token", secret="SEC-dingtalk"
        ),
        "wecom": Robot.objects.create(department=org.office, provider="wecom", token="wc-key"),
        "feishu": Robot.objects.create(
            department=org.publicity, provider="feishu", token="fs-hook", secret="fs-secret"
        ),
    }


def reachable_everywhere(person):
    person.phone = PHONE
    for provider, field in USER_FIELD.items():
        setattr(person, field, USER_IDS[provider])
    person.save()
    return person


def results_of(drill) -> list[tuple]:
    return [(r.channel, r.status) for r in drill.results.all()]


def test_a_drill_of_every_channel_reaches_each_robot_gateway_app_and_person(org, admin, providers, work, smtp):
    robots = robots_for(org, providers)
    apps = {provider: app_for(org, work, provider) for provider in PROVIDERS}
    leader = reachable_everywhere(org.leader)

    drill = run_drill([], [leader], admin, timezone.now())

    results = list(drill.results.all())
    assert [(r.channel, r.status, r.error) for r in results] == [
        ("robot", "sent", ""),
        ("robot", "sent", ""),
        ("robot", "sent", ""),
        ("sms", "sent", ""),
        ("email", "sent", ""),
        ("webhook", "sent", ""),
        ("dingtalk_work", "sent", ""),
        ("wecom_app", "sent", ""),
        ("feishu_app", "sent", ""),
    ]
    assert {r.robot for r in results if r.robot} == set(robots.values())
    assert {r.work_app for r in results if r.work_app} == set(apps.values())
    assert all(r.person == leader for r in results if r.channel not in ("robot", "webhook"))
    assert set(drill.people.all()) == {leader}
    [dingtalk] = providers.taken("dingtalk")
    assert TITLE in dingtalk["markdown"]["text"]
    assert "系统管理员" in dingtalk["markdown"]["text"]
    assert dingtalk["at"] == {"atMobiles": [], "isAtAll": False}, "a drill mentions nobody"
    assert len(providers.taken("wecom")) == len(providers.taken("feishu")) == 1
    [text] = providers.taken("sms")
    assert (text["PhoneNumbers"], text["OutId"]) == (PHONE, f"drill-{drill.pk}-{leader.pk}")
    [hook] = providers.taken("webhook")
    assert (hook["event"], hook["drill"]) == ("drill", drill.pk)
    [mail] = smtp.to(leader.email)
    assert mail["Subject"] == TITLE
    assert "无需任何处理" in mail.get_content()
    assert all(len(work.delivered_to(provider, USER_IDS[provider])) == 1 for provider in PROVIDERS)
    assert ProviderSend.objects.filter(destination=robot_destination(robots["dingtalk"]).key).count() == 1


def test_a_robot_whose_key_was_rotated_fails_with_the_providers_words(org, admin, providers):
    providers.dingtalk_tokens["the-new-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="the-old-token")

    drill = run_drill(["robot"], [], admin, timezone.now())

    [result] = drill.results.all()
    assert (result.status, result.channel) == ("failed", "robot")
    assert "300001" in result.error
    assert "token is not exist" in result.answer
    assert providers.taken("dingtalk") == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_app_with_a_wrong_secret_fails_on_a_quiet_day(org, admin, work, provider):
    app = app_for(org, work, provider, secret="rotated-last-week")

    drill = run_drill([KIND[provider]], [], admin, timezone.now())

    [result] = drill.results.all()
    assert (result.status, result.work_app, result.target) == ("failed", app, str(app))
    assert result.error
    assert result.answer


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_app_with_nobody_chosen_checks_its_credentials_and_keeps_no_token(org, admin, work, provider):
    app = app_for(org, work, provider)

    drill = run_drill([KIND[provider]], [], admin, timezone.now())

    [result] = drill.results.all()
    assert (result.status, result.error, result.work_app, result.target) == ("sent", "", app, str(app))
    assert "7200" in result.answer
    assert work.token_requests[provider] == 1
    assert not message_requests(work, provider), "a credentials check sends nobody a message"
    assert not re.search(r"[0-9a-f]{32}", result.answer), "the token is never kept"


def test_an_sms_gateway_that_is_not_configured_is_skipped(org, admin, settings, leader):
    settings.SMS_GATEWAY_URL = ""

    drill = run_drill(["sms"], [leader], admin, timezone.now())

    [result] = drill.results.all()
    assert (result.status, result.error) == ("skipped", str(sms.NOT_CONFIGURED))


def test_a_webhook_that_is_not_configured_is_skipped(org, admin, settings):
    settings.OUTBOUND_WEBHOOK_URL = ""

    drill = run_drill(["webhook"], [], admin, timezone.now())

    assert [(r.status, r.error) for r in drill.results.all()] == [("skipped", str(webhook.NOT_CONFIGURED))]


def test_sms_and_email_with_nobody_chosen_ask_for_people(org, admin, providers):
    drill = run_drill(["sms", "email"], [], admin, timezone.now())

    assert results_of(drill) == [("sms", "skipped"), ("email", "skipped")]
    assert all("请选择接收测试消息的人员" in r.error for r in drill.results.all())
    assert providers.received == []


def test_a_person_without_a_user_id_or_a_phone_is_skipped_with_the_reason(org, admin, providers, work):
    app_for(org, work, "dingtalk")
    nobody = org.deputy  # no phone, no DingTalk user id
    nobody.email = ""
    nobody.save()

    drill = run_drill(["dingtalk_work", "sms", "email"], [nobody], admin, timezone.now())

    results = list(drill.results.all())
    assert [(r.channel, r.status, r.person) for r in results] == [
        ("dingtalk_work", "skipped", nobody),
        ("sms", "skipped", nobody),
        ("email", "skipped", nobody),
    ]
    assert all(r.error for r in results)
    assert message_requests(work, "dingtalk") == []
    assert providers.received == []


def test_a_person_no_app_serves_is_skipped(org, admin, work):
    reachable_everywhere(org.leader)

    drill = run_drill(["feishu_app"], [org.leader], admin, timezone.now())

    [result] = drill.results.all()
    assert (result.status, result.person, result.work_app) == ("skipped", org.leader, None)
    assert result.error


def test_a_robot_at_its_limit_is_skipped_and_sent_nothing(org, admin, providers, settings):
    providers.dingtalk_tokens["dt-token"] = ""
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    now = timezone.now()
    key = robot_destination(robot).key
    ProviderSend.objects.bulk_create(
        ProviderSend(destination=key, sent_at=now - timedelta(seconds=5))
        for _ in range(settings.ROBOT_MESSAGES_PER_MINUTE)
    )

    drill = run_drill(["robot"], [], admin, now)

    [result] = drill.results.all()
    assert (result.status, result.robot) == ("skipped", robot)
    assert "北京时间" in result.error
    assert providers.received == []
    assert ProviderSend.objects.filter(destination=key).count() == settings.ROBOT_MESSAGES_PER_MINUTE


def test_a_robot_the_provider_throttles_fails_and_is_paused_for_real_deliveries_too(org, admin, providers):
    providers.dingtalk_tokens["dt-token"] = ""
    providers.throttle["dingtalk"] = 1
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")

    drill = run_drill(["robot"], [], admin, timezone.now())

    [result] = drill.results.all()
    assert result.status == "failed"
    assert "130101" in result.answer
    paused = Destination.objects.get(key=robot_destination(robot).key).paused_until
    assert paused > timezone.now() + timedelta(minutes=9)


def test_a_provider_that_cannot_be_reached_is_a_failed_result_not_an_error(org, admin, settings):
    settings.DINGTALK_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")

    drill = run_drill(["robot", "webhook"], [], admin, timezone.now())

    assert [r.status for r in drill.results.all()] == ["failed", "skipped"]


# The time limit: a drill answers within the request, before the web server gives up on it


def test_a_drill_keeps_to_its_time_limit_and_skips_what_it_had_no_time_for(org, admin, providers, settings):
    settings.DRILL_TIME_LIMIT_SECONDS = 1
    providers.dingtalk_tokens.update({"first-token": "", "second-token": ""})
    providers.delay["dingtalk"] = 3  # the provider takes each message, and answers 3 s later
    Robot.objects.create(department=org.department, provider="dingtalk", token="first-token")
    Robot.objects.create(department=org.office, provider="dingtalk", token="second-token")

    started = time.monotonic()
    drill = run_drill(["robot"], [], admin, timezone.now())
    took = time.monotonic() - started

    assert took < 2.5, "the drill waited for the slow provider instead of keeping to its time limit"
    tried, left = drill.results.all()
    assert (tried.status, left.status) == ("failed", "skipped")
    assert tried.error == "服务商未及时答复，可能已收到该消息（ReadTimeoutError）。"
    assert left.error == str(OUT_OF_TIME % {"seconds": 1})
    assert len(providers.received) == 1, "the send not started in time is not sent"
    assert {tried.robot, left.robot} == set(Robot.objects.all())


def test_an_email_waits_no_longer_than_the_drill_has_left(org, admin, settings):
    """A mail server that takes the connection and never greets: the email gives up when the drill's time is up,
    not after ``EMAIL_TIMEOUT``."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    settings.EMAIL_BACKEND = "notifications.channels.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 30
    settings.DRILL_TIME_LIMIT_SECONDS = 1

    try:
        started = time.monotonic()
        drill = run_drill(["email"], [org.leader, org.deputy], admin, timezone.now())
        took = time.monotonic() - started
    finally:
        silent.close()

    assert took < 2.5
    assert [(r.status, r.person) for r in drill.results.all()] == [("failed", org.leader), ("skipped", org.deputy)]


def test_provider_calls_within_a_deadline_wait_only_the_time_left():
    assert bounded(30) == 30, "no deadline: the configured timeout"
    with answered_by(time.monotonic() + 2):
        assert 1 < bounded(30) <= 2
        assert bounded(1) == 1
        with answered_by(time.monotonic() + 60):
            assert bounded(30) <= 2, "an enclosing deadline that comes sooner still holds"
    with answered_by(time.monotonic() - 5):
        assert bounded(30) == bounded(None) == 0.1, "past the deadline: a short try, never a wait of zero"
    assert bounded(None) is None


def test_the_webhook_is_named_by_its_host_and_port_never_by_its_credentials(org, admin, providers, settings):
    port = urlsplit(providers.base).port
    settings.OUTBOUND_WEBHOOK_URL = f"http://hookuser:HOOKPASSWORD@127.0.0.1:{port}/hooks/tracker"

    drill = run_drill(["webhook"], [], admin, timezone.now())

    [result] = drill.results.all()
    assert result.status == "sent"
    assert result.target == f"{ChannelKind.WEBHOOK.label} · 127.0.0.1:{port}"
    assert not any(
        "hookuser" in text or "HOOKPASSWORD" in text for text in (result.target, result.error, result.answer)
    )


# The admin's button


@pytest.fixture
def browser(org):
    """A browser that sends the CSRF token only when the page gave it, signed in as a superuser."""
    person = PersonFactory(is_staff=True, is_superuser=True, department=org.office, display_name="管理员甲")
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    client.person = person
    return client


def press(browser, change_url):
    """Open the change page and press its "Send a test message" button, as a browser would."""
    page = browser.get(change_url).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" class="drill-form">', page).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return browser.post(action, {"csrfmiddlewaretoken": token})


def test_the_robots_button_sends_a_test_message_and_shows_the_result(org, providers, browser):
    providers.dingtalk_tokens["dt-token"] = ""
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token", name="应急群")

    response = press(browser, reverse("admin:notifications_robot_change", args=[robot.pk]))

    drill = Drill.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:notifications_drill_change", args=[drill.pk])
    assert (drill.started_by, results_of(drill)) == (browser.person, [("robot", "sent")])
    assert len(providers.taken("dingtalk")) == 1
    page = browser.get(response.url).content.decode()
    assert "测试消息已送达" in page
    assert "已发送" in page
    assert "应急群" in page
    assert reverse("admin:notifications_robot_change", args=[robot.pk]) in page


def test_the_button_needs_the_csrf_token_and_a_post(org, providers, browser):
    providers.dingtalk_tokens["dt-token"] = ""
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    action = reverse("admin:notifications_robot_drill", args=[robot.pk])

    assert browser.post(action).status_code == 403
    assert browser.get(action).status_code == 405
    assert providers.received == []
    assert not Drill.objects.exists()


def test_the_button_is_for_those_who_may_change_the_robot(org, providers):
    providers.dingtalk_tokens["dt-token"] = ""
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    viewer = PersonFactory(is_staff=True, department=org.office)
    viewer.user_permissions.add(Permission.objects.get(codename="view_robot"))
    client = Client()
    client.force_login(viewer)

    page = client.get(reverse("admin:notifications_robot_change", args=[robot.pk])).content.decode()
    assert "drill-form" not in page
    assert client.post(reverse("admin:notifications_robot_drill", args=[robot.pk])).status_code == 403
    assert providers.received == []


def test_an_apps_button_checks_its_secret_and_messages_the_administrator(org, work, browser):
    app = app_for(org, work, "wecom")
    browser.person.wecom_userid = USER_IDS["wecom"]
    browser.person.save()

    response = press(browser, reverse("admin:notifications_workapp_change", args=[app.pk]))

    drill = Drill.objects.get()
    assert results_of(drill) == [("wecom_app", "sent"), ("wecom_app", "sent")]
    assert [r.person for r in drill.results.all()] == [None, browser.person]
    assert len(work.delivered_to("wecom", USER_IDS["wecom"])) == 1
    assert response.url == reverse("admin:notifications_drill_change", args=[drill.pk])


def test_an_apps_button_for_an_administrator_without_a_user_id_says_only_the_credentials_were_checked(
    org, work, browser
):
    app = app_for(org, work, "dingtalk")  # the administrator has no DingTalk user id

    response = press(browser, reverse("admin:notifications_workapp_change", args=[app.pk]))

    drill = Drill.objects.get()
    assert results_of(drill) == [("dingtalk_work", "sent")]
    assert message_requests(work, "dingtalk") == []
    page = browser.get(response.url).content.decode()
    provider = CHANNELS[app.channel].provider_label
    assert capfirst(str(CREDENTIALS_ONLY % {"app": app, "provider": provider})) in page  # as the admin shows messages
    assert "测试消息已送达" not in page


def test_staff_who_may_not_view_drills_come_back_to_the_robots_page_with_the_result(org, providers):
    providers.dingtalk_tokens["dt-token"] = ""
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    keeper = PersonFactory(is_staff=True, department=org.office)
    keeper.user_permissions.add(*Permission.objects.filter(codename__in=["view_robot", "change_robot"]))
    client = Client(enforce_csrf_checks=True)
    client.force_login(keeper)
    change_url = reverse("admin:notifications_robot_change", args=[robot.pk])

    response = press(client, change_url)

    drill = Drill.objects.get()
    assert results_of(drill) == [("robot", "sent")]
    assert (response.status_code, response.url) == (302, change_url)
    assert "测试消息已送达" in client.get(change_url).content.decode()
    assert client.get(reverse("admin:notifications_drill_change", args=[drill.pk])).status_code == 403


def test_an_apps_button_with_a_wrong_secret_says_so(org, work, browser):
    app = app_for(org, work, "feishu", secret="typo")

    response = press(browser, reverse("admin:notifications_workapp_change", args=[app.pk]))

    drill = Drill.objects.get()
    assert results_of(drill) == [("feishu_app", "failed")]
    page = browser.get(response.url).content.decode()
    assert "测试未全部送达" in page
    assert "发送失败" in page


def test_the_drill_list_counts_what_each_drill_met(org, admin, providers, admin_client, settings):
    settings.SMS_GATEWAY_URL = ""
    settings.OUTBOUND_WEBHOOK_SECRET = "not-the-receivers"
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    drill = run_drill(["robot", "sms", "webhook"], [org.leader], admin, timezone.now())
    assert results_of(drill) == [("robot", "sent"), ("sms", "skipped"), ("webhook", "failed")]

    page = admin_client.get(reverse("admin:notifications_drill_changelist")).content.decode()

    assert "系统管理员" in page
    assert 'field-sent">1<' in page
    assert 'field-failed"><strong>1</strong><' in page
    assert 'field-skipped">1<' in page


# The admin's "New drill" page


NEW_DRILL = reverse_lazy("admin:notifications_drill_new")


def token_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_drill_list_links_to_a_new_drill_for_administrators_only(org, browser):
    assert str(NEW_DRILL) in browser.get(reverse("admin:notifications_drill_changelist")).content.decode()

    viewer = PersonFactory(is_staff=True, department=org.office)
    viewer.user_permissions.add(Permission.objects.get(codename="view_drill"))
    client = Client()
    client.force_login(viewer)
    assert str(NEW_DRILL) not in client.get(reverse("admin:notifications_drill_changelist")).content.decode()
    assert client.get(NEW_DRILL).status_code == 403
    assert client.post(NEW_DRILL, {"channels": ["webhook"]}).status_code == 403
    assert not Drill.objects.exists()


def test_the_new_drill_page_offers_the_drillable_channels_and_the_active_people(org, browser):
    org.deputy.is_active = False
    org.deputy.save()

    page = browser.get(NEW_DRILL).content.decode()

    assert all(f'name="channels" value="{kind}"' in page for kind in DRILLABLE)
    assert 'value="in_app"' not in page
    assert f'<option value="{org.leader.pk}">' in page
    assert f'<option value="{org.deputy.pk}">' not in page
    assert "SelectFilter2.js" in page, "the admin's two-box chooser for people"


def test_a_new_drill_runs_and_opens_its_page_with_what_it_met(org, providers, browser, leader):
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")
    token = token_of(browser.get(NEW_DRILL).content.decode())

    response = browser.post(
        NEW_DRILL, {"csrfmiddlewaretoken": token, "channels": ["robot", "sms"], "people": [leader.pk]}
    )

    drill = Drill.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:notifications_drill_change", args=[drill.pk])
    assert (drill.started_by, drill.channels, list(drill.people.all())) == (browser.person, ["robot", "sms"], [leader])
    assert results_of(drill) == [("robot", "sent"), ("sms", "sent")]
    page = browser.get(response.url).content.decode()
    assert f"演练 {drill.pk}" in page
    assert 'class="success"' in page


def test_a_new_drill_with_nothing_ticked_drills_every_channel(org, providers, browser, settings):
    settings.SMS_GATEWAY_URL = ""
    token = token_of(browser.get(NEW_DRILL).content.decode())

    response = browser.post(NEW_DRILL, {"csrfmiddlewaretoken": token})

    drill = Drill.objects.get()
    assert response.status_code == 302
    assert drill.channels == []
    assert [r.channel for r in drill.results.all()] == list(DRILLABLE)


def test_a_new_drill_needs_the_csrf_token(org, providers, browser):
    assert browser.post(NEW_DRILL, {"channels": ["webhook"]}).status_code == 403
    assert not Drill.objects.exists()
    assert providers.received == []


def test_a_new_drill_shows_what_it_refuses_in_chinese(org, providers, browser):
    token = token_of(browser.get(NEW_DRILL).content.decode())

    response = browser.post(NEW_DRILL, {"csrfmiddlewaretoken": token, "channels": ["fax"], "people": ["999999"]})

    assert response.status_code == 200
    page = response.content.decode()
    assert "选择一个有效的选项。 fax 不在可用的选项中。" in page
    assert "选择一个有效的选项。 999999 不在可用的选项中。" in page
    assert not Drill.objects.exists()
    assert providers.received == []


# The API


def test_the_api_answers_201_with_every_result(org, admin, providers, leader):
    providers.dingtalk_tokens["dt-token"] = ""
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-token")

    response = client_for(admin).post(
        "/api/v1/drills/", {"channels": ["robot", "sms"], "people": [leader.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == Drill.objects.get().pk
    assert [{name: r[name] for name in ("channel", "status", "error")} for r in body["results"]] == [
        {"channel": "robot", "status": "sent", "error": ""},
        {"channel": "sms", "status": "sent", "error": ""},
    ]
    assert all(r["target"] for r in body["results"])


def test_the_api_drills_every_channel_when_none_is_named(org, admin, providers, settings):
    settings.SMS_GATEWAY_URL = ""

    response = client_for(admin).post("/api/v1/drills/", {}, format="json")

    assert response.status_code == 201
    statuses = {r["channel"]: r["status"] for r in response.json()["results"]}
    assert statuses == {
        "robot": "skipped",  # no robot
        "sms": "skipped",  # no gateway
        "email": "skipped",  # nobody chosen
        "webhook": "sent",
        "dingtalk_work": "skipped",  # no app
        "wecom_app": "skipped",
        "feishu_app": "skipped",
    }


def first_error(errors) -> str:
    """The field's first message: a list, or for one item of a list field, by the item's index."""
    return errors[0] if isinstance(errors, list) else first_error(next(iter(errors.values())))


@pytest.mark.parametrize(
    ("body", "field", "chinese", "english"),
    [
        ({"channels": ["fax", "robot"]}, "channels", "未知渠道：fax。", "Unknown channels: fax."),
        ({"channels": ["in_app"]}, "channels", "以下渠道不能演练：in_app", "These channels cannot be drilled: in_app"),
        (
            {"people": [999999]},
            "people",
            "以下编号没有对应的在职人员：999999。",
            "No active person has these ids: 999999.",
        ),
        ({"channel": ["robot"]}, "channel", "此处不接受该字段。", "This field is not accepted here."),
        ({"people": ["7"]}, "people", "ID 应为整数。", "An id is a whole number."),
        ({"people": [9682929022243362071117824]}, "people", "没有此 ID 的记录。", "No record has this id."),
        ({"people": [0]}, "people", "没有此 ID 的记录。", "No record has this id."),
    ],
)
def test_the_api_names_what_it_refuses_in_chinese_and_english(org, admin, providers, body, field, chinese, english):
    in_chinese = client_for(admin).post("/api/v1/drills/", body, format="json")
    in_english = client_for(admin, language="en").post("/api/v1/drills/", body, format="json")

    assert in_chinese.status_code == in_english.status_code == 400
    assert chinese in first_error(in_chinese.json()[field])
    assert english in first_error(in_english.json()[field])
    assert not Drill.objects.exists()
    assert providers.received == []


def test_the_api_refuses_an_inactive_person(org, admin):
    org.deputy.is_active = False
    org.deputy.save()

    response = client_for(admin).post("/api/v1/drills/", {"people": [org.deputy.pk]}, format="json")

    assert response.status_code == 400
    assert str(org.deputy.pk) in response.json()["people"][0]


def test_the_api_is_for_administrators_and_takes_posts_only(org, admin, providers):
    assert client_for(org.leader).post("/api/v1/drills/", {}, format="json").status_code == 403
    assert client_for(admin).get("/api/v1/drills/").status_code == 405
    assert providers.received == []
    assert not DrillResult.objects.exists()
