"""The web pages without a browser: who may open what, where people land, and the scheduler's warning."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Role
from notifications.models import EnforcementRun

from ..factories import DepartmentFactory, PersonFactory


@pytest.mark.parametrize(
    ("role", "landing"),
    [(Role.DUTY_OFFICER, "/incidents/"), (Role.LEADER, "/escalations/"), (Role.AUDITOR, "/compliance/")],
)
def test_each_role_lands_on_its_page(signed_in, org, role, landing):
    person = PersonFactory(department=org.department, roles=[role])
    assert signed_in(person).get("/").headers["Location"] == landing


def test_signing_in_with_the_form_and_the_failure_limit(client, org, settings):
    answer = client.post("/signin/", {"username": org.duty_officer.username, "password": "correct-horse-battery"})
    assert answer.status_code == 302
    client.logout()
    for _ in range(settings.LOGIN_FAILURES_PER_USERNAME):
        assert client.post("/signin/", {"username": org.leader.username, "password": "wrong"}).status_code == 200
    refused = client.post(
        "/signin/", {"username": org.leader.username, "password": "correct-horse-battery"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this username" in refused.content.decode()


def test_an_integration_account_cannot_sign_in_to_the_pages(client, org):
    robot = PersonFactory(department=org.department, roles=[Role.INTEGRATION])
    answer = client.post("/signin/", {"username": robot.username, "password": "correct-horse-battery"})
    assert answer.status_code == 200
    assert "此账号没有可用的页面。" in answer.content.decode()


def test_pages_follow_roles_and_department_scope(signed_in, org, log):
    now = timezone.now()
    elsewhere = DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    theirs = log(title="网传医院停诊", discovered_at=now, department=elsewhere, actor=None)
    ours = log(discovered_at=now)
    leader = signed_in(org.leader)
    assert leader.get("/incidents/new/").status_code == 403
    assert leader.get("/compliance/").status_code == 403
    assert leader.get("/reports/ranking/").status_code == 403
    assert leader.get(f"/incidents/{theirs.pk}/").status_code == 404
    page = leader.get(f"/incidents/{ours.pk}/")
    assert page.status_code == 200
    assert 'id="record-action"' not in page.content.decode()
    assert leader.post(f"/incidents/{ours.pk}/close/", {"reason": "已平息"}).status_code == 403
    duty = signed_in(org.duty_officer)
    assert duty.post(f"/incidents/{theirs.pk}/close/", {"reason": "已平息"}).status_code == 404
    assert theirs.title not in duty.get("/incidents/").content.decode()


def test_a_stale_scheduler_is_shown_on_every_page(signed_in, org):
    duty = signed_in(org.duty_officer)
    assert "调度器从未运行" in duty.get("/incidents/").content.decode()
    long_ago = timezone.now() - timedelta(hours=1)
    EnforcementRun.objects.create(name="enforcement", last_started_at=long_ago, last_finished_at=long_ago)
    assert "时限督办已停止" in duty.get("/escalations/").content.decode()
    EnforcementRun.objects.filter(name="enforcement").update(last_finished_at=timezone.now())
    assert "时限督办已停止" not in duty.get("/incidents/").content.decode()


def test_an_empty_or_backwards_period_is_refused_on_the_compliance_page(signed_in, org):
    auditor = signed_in(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    page = auditor.get("/compliance/", {"start": "2026-03-31", "end": "2026-03-01"}).content.decode()
    assert "结束日期早于开始日期。" in page
    assert "超时违规清单" not in page


def test_a_duty_officer_handles_an_incident_from_its_page(signed_in, org, log):
    incident = log(discovered_at=timezone.now() - timedelta(minutes=30))
    duty = signed_in(org.duty_officer)
    published = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    report = SimpleUploadedFile("情况报告.pdf", b"%PDF-1.4\n")
    recorded = duty.post(
        f"/incidents/{incident.pk}/actions/",
        {"kind": "internal_report", "published_at": published, "evidence_file": report},
    )
    assert recorded.status_code == 302
    assert incident.obligations.get(kind="internal_report").state == "met"
    page = duty.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/api/v1/actions/{incident.actions.get().pk}/evidence/" in page

    fake = SimpleUploadedFile("通报.pdf", b"not a pdf")
    refused = duty.post(
        f"/incidents/{incident.pk}/actions/", {"kind": "statement", "published_at": published, "evidence_file": fake}
    )
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.content.decode()

    # A duty officer's downgrade is asked for, not applied: the deadlines run until a leader approves.
    regraded = duty.post(f"/incidents/{incident.pk}/regrade/", {"severity": "general", "reason": "经核实影响有限"})
    assert regraded.status_code == 302
    assert "降级须经领导批准" in duty.get(f"/incidents/{incident.pk}/").content.decode()
    incident.refresh_from_db()
    assert incident.severity == "major"
    assert incident.requests.get().kind == "downgrade"
    closing = duty.post(f"/incidents/{incident.pk}/close/", {"reason": "舆情已平息"})
    assert closing.status_code == 400  # the response and the verification report are still open
    assert "以下办理事项尚未完成" in closing.content.decode()


def test_the_pages_switch_to_english(signed_in, org):
    duty = signed_in(org.duty_officer)
    duty.post("/i18n/setlang/", {"language": "en", "next": "/incidents/"})
    page = duty.get("/incidents/").content.decode()
    assert "Open incidents, nearest deadline first" in page
    assert "Duty board" in page


def test_the_top_bar_shows_the_persons_name_not_their_login(signed_in, org):
    html = signed_in(org.duty_officer).get("/incidents/").content.decode()
    assert f'<span class="who" title="{org.duty_officer.username}">{org.duty_officer.display_name}</span>' in html

    nameless = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER], display_name="")
    html = signed_in(nameless).get("/incidents/").content.decode()
    assert f'<span class="who" title="{nameless.username}">{nameless.username}</span>' in html


def test_discovery_and_publication_times_start_at_now_in_beijing_time(signed_in, org, log):
    incident = log(discovered_at=timezone.now() - timedelta(hours=1))
    duty = signed_in(org.duty_officer)
    with time_machine.travel(datetime(2026, 3, 10, 2, 7, 42, tzinfo=UTC), tick=False):  # 10:07 in Beijing
        log_form = duty.get("/incidents/new/").content.decode()
        action_form = duty.get(f"/incidents/{incident.pk}/").content.decode()
    assert re.search(r'<input type="datetime-local" name="discovered_at" value="2026-03-10T10:07"', log_form)
    assert re.search(r'<input type="datetime-local" name="published_at" value="2026-03-10T10:07"', action_form)
    assert re.search(r'<input type="datetime-local" name="occurred_at"(?! value)', log_form)


def datalist(html: str, field: str) -> list[str]:
    """The values offered for ``field``, if its input is tied to a picklist."""
    assert f'list="id_{field}_suggestions"' in html
    options = re.search(rf'<datalist id="id_{field}_suggestions">(.*?)</datalist>', html).group(1)
    return re.findall(r'<option value="([^"]*)"', options)


def test_source_platform_and_channel_offer_the_usual_values_and_still_take_free_text(signed_in, org, log):
    incident = log(discovered_at=timezone.now() - timedelta(hours=1))
    duty = signed_in(org.duty_officer)
    platforms = datalist(duty.get("/incidents/new/").content.decode(), "source_platform")
    assert platforms[:3] == ["微博", "微信", "抖音"]
    assert {"12345热线", "人民网留言板", "B站", "其他"} <= set(platforms)
    channels = datalist(duty.get(f"/incidents/{incident.pk}/").content.decode(), "channel")
    assert channels[:4] == ["政府网站", "政务微博", "政务微信", "政务客户端"]

    duty.post("/i18n/setlang/", {"language": "en", "next": "/incidents/new/"})
    assert '<option value="微博" label="Weibo">' in duty.get("/incidents/new/").content.decode()
    recorded = duty.post(
        f"/incidents/{incident.pk}/actions/",
        {
            "kind": "internal_report",
            "channel": "局内部OA",
            "summary": "已报告局领导。",
            "published_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert recorded.status_code == 302
    assert incident.actions.get().channel == "局内部OA"


def test_labels_end_in_a_full_width_colon_in_chinese_and_a_colon_in_english(signed_in, org):
    duty = signed_in(org.duty_officer)
    html = duty.get("/incidents/new/").content.decode()
    assert '<label for="id_discovered_at">发现时间：</label>' in html
    assert "发现时间:" not in html

    duty.post("/i18n/setlang/", {"language": "en", "next": "/incidents/new/"})
    assert '<label for="id_discovered_at">Discovered at:</label>' in duty.get("/incidents/new/").content.decode()


def test_the_favicon_is_linked_and_answers_at_favicon_ico(client, db):
    html = client.get("/signin/").content.decode()
    assert '<link rel="icon" href="/static/tracker/favicon.svg" type="image/svg+xml">' in html
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/static/tracker/favicon.svg"
    assert finders.find("tracker/favicon.svg")


def test_load_demo_says_in_chinese_whom_to_sign_in_as_and_where_each_lands(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    assert "打开 http://127.0.0.1:8000/ 登录，所有演示账号的密码都是 demo-2026：" in printed
    assert "transport_duty、market_duty（值班员）→ 值班台 /incidents/" in printed
    assert "（领导）→ 我的督办 /escalations/" in printed
    assert "auditor（审计员）→ 合规统计 /compliance/" in printed
    assert "admin（管理员）→ 系统管理 /admin/" in printed
