"""Drills (演练) against real receivers that behave like the providers: every configured robot, gateway and app is
tried and each answer recorded; a rotated key or a wrong secret shows as failed, what is not configured or cannot be
reached as skipped, and a destination at its limit is left alone. Then the admin's button and the API."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Role
from notifications.channels import sms, webhook
from notifications.drills import run_drill
from notifications.limits import robot_destination
from notifications.models import Destination, Drill, DrillResult, ProviderSend, Robot

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
