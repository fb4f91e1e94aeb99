"""The web pages in a real browser (Debian's Chromium, driven by Playwright) against a live server.

Each test is one person's errand from signing in: a duty officer logging a 重大 incident and meeting
its first statement, a form sent with mistakes, a leader acknowledging an escalation, an auditor
reading the compliance page, downloading the ledger and recording a 约谈整改 on a breach, and every
page at a phone's width.
"""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from incidents.models import Role
from notifications.enforcement import enforce
from notifications.models import Notification

from ..browser import PHONE, screenshot, scrolls_sideways, sign_in
from ..factories import PersonFactory

pytestmark = pytest.mark.usefixtures("national_defaults")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def minute(moment) -> str:
    """A time as a datetime-local field takes it, in Beijing time (the pages' time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_duty_officer_logs_a_major_incident_and_meets_its_first_statement(new_page, org):
    page = new_page()
    sign_in(page, org.duty_officer)
    expect(page).to_have_url(re.compile(r"/incidents/$"))
    page.click("a[href='/incidents/new/']")
    page.fill("#id_title", "网传地铁站台大面积积水")
    page.select_option("#id_severity", "major")
    page.select_option("#id_department", str(org.department.pk))
    now = timezone.now()
    page.fill("#id_discovered_at", minute(now))
    page.click("form.stacked button.primary")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))

    first_statement = page.locator("tr[data-kind=first_statement] .clock")
    expect(first_statement).to_have_text(re.compile(r"^剩余 4小时\d+分$"))
    expect(first_statement).to_have_class(re.compile(r"\bgreen\b"))
    expect(page.locator("tr[data-kind=press_conference] .clock")).to_have_text(re.compile(r"^剩余 23小时\d+分$"))
    screenshot(page, "incident")

    page.click("#record-action summary")
    page.select_option("#id_kind", "statement")
    page.fill("#id_channel", "政务微博")
    page.fill("#id_published_at", minute(now))
    page.fill("#id_evidence_url", "https://weibo.com/jiangcheng/statement-1")
    page.click("#record-action button.primary")

    expect(page.locator("tr[data-kind=first_statement]")).to_have_attribute("data-state", "met")
    expect(first_statement).to_have_text("按时完成")
    expect(page.locator("ul.actions")).to_contain_text("政务微博")
    page.goto("/incidents/")
    expect(page.locator("li.incident")).to_contain_text("网传地铁站台大面积积水")
    screenshot(page, "dashboard")


def test_a_form_with_mistakes_shows_them_by_field_and_keeps_what_was_typed(new_page, org):
    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto("/incidents/new/")
    tomorrow = minute(timezone.now() + timedelta(days=1))
    page.fill("#id_summary", "市民反映某小区供水中断三天无人处理")
    page.select_option("#id_severity", "major")
    page.fill("#id_discovered_at", tomorrow)
    page.click("form.stacked button.primary")

    expect(page.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_discovered_at")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("form.stacked")).to_contain_text("此字段为必填项。")
    expect(page.locator("#id_summary")).to_have_value("市民反映某小区供水中断三天无人处理")
    expect(page.locator("#id_discovered_at")).to_have_value(tomorrow)
    expect(page.locator("#id_severity")).to_have_value("major")
    screenshot(page, "form-errors")


def test_a_leader_acknowledges_an_escalation_from_the_inbox(new_page, org, log):
    discovered = timezone.now() - timedelta(hours=6)
    incident = log(title="网传某路段井盖缺失致行人受伤", discovered_at=discovered)
    enforce(timezone.now())  # the first statement (5 h) is overdue: the principal leader is told

    page = new_page(PHONE)
    sign_in(page, org.leader)
    expect(page).to_have_url(re.compile(r"/escalations/$"))
    entry = page.locator("li.escalation.unread", has_text="首次权威发布").first
    expect(entry).to_contain_text(incident.title)
    expect(entry).to_contain_text("超时一级督办")
    expect(entry.locator(".clock")).to_have_text(re.compile(r"^超时 1小时\d+分$"))
    expect(entry.locator(".clock")).to_have_class(re.compile(r"\bred\b"))
    # No SMS gateway and no robot are configured here, as in the demo: the entry says so, it does not claim them.
    expect(entry.locator(".delivered")).to_have_text(re.compile(r"经(站内消息、电子邮件|电子邮件、站内消息)通知$"))
    expect(entry.locator(".not-delivered")).to_have_count(2)
    expect(entry.locator(".not-delivered", has_text="短信未送达：")).to_have_count(1)
    expect(entry.locator(".not-delivered", has_text="群机器人未送达：")).to_have_count(1)
    screenshot(page, "escalations-phone")

    entry.locator("a.title").click()
    expect(page.locator("h1")).to_have_text(incident.title)
    expect(page.locator("#record-action")).to_have_count(0)  # leaders read the incident, they do not handle it
    page.go_back()

    unread = page.locator("li.escalation.unread").count()
    page.locator("li.escalation.unread", has_text="首次权威发布").first.locator("button.primary").click()
    expect(page.locator(".message")).to_contain_text("已确认")
    expect(page.locator("li.escalation.unread")).to_have_count(unread - 1)
    acknowledged = Notification.objects.filter(recipient=org.leader, acknowledged_at__isnull=False)
    assert {n.obligation.kind for n in acknowledged} == {"first_statement"}
    assert {n.channel for n in acknowledged} == {"in_app", "email", "robot", "sms"}, "every copy of the entry"


def test_an_auditor_reads_the_compliance_page_and_downloads_the_ledger(new_page, org, log):
    discovered = timezone.now() - timedelta(hours=30)
    log(title="网传景区门票乱收费", discovered_at=discovered)
    log(title="网传学校食堂食材过期", severity="general", discovered_at=discovered)
    enforce(timezone.now())
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])

    page = new_page()
    sign_in(page, auditor)
    expect(page).to_have_url(re.compile(r"/compliance/$"))
    expect(page.locator(".figures").first).to_contain_text("舆情事件")
    expect(page.locator(".figures").first.locator(".figure").first.locator(".number")).to_have_text("2")
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(3)
    expect(charts.nth(0)).to_contain_text("各类事项按时率")
    expect(charts.nth(0).locator("svg text.label").first).to_have_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(charts.nth(1)).to_contain_text("未公开回应")
    expect(page.locator("table.breaches")).to_contain_text("网传景区门票乱收费")
    screenshot(page, "compliance")

    with page.expect_download() as download:
        page.click("a[href*='format=xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "政务舆情回应台账" in rows[0][0]  # the title row
    assert rows[1][:4] == ("编号", "标题", "责任部门", "等级")
    assert len(rows) == 2 + 2

    # A 约谈整改 recorded on a breach from the page, and the rectification report it asks for followed there.
    breach = page.locator("table.breaches tbody tr", has_text="网传景区门票乱收费").first
    breach.locator("details.record-finding summary").click()
    breach.locator("select[name$='-kind']").select_option("interview")
    breach.locator("textarea[name$='-note']").fill("首次发布超时，约谈分管领导")
    breach.get_by_role("button", name="记录问责").click()
    expect(page.locator("p.message")).to_contain_text("已记录问责；整改报告截止时间为")
    expect(page).to_have_url(re.compile(r"/compliance/$"))  # back to the page it was sent from
    expect(page.locator("table.breaches .finding[data-kind='interview']").first).to_contain_text("约谈整改")
    tracked = page.locator("table.rectifications tbody tr")
    expect(tracked).to_have_count(1)
    expect(tracked.first).to_contain_text("市交通运输局")
    screenshot(page, "compliance-finding")


def test_every_page_fits_a_phone_without_sideways_scrolling(new_page, org, log):
    incident = log(discovered_at=timezone.now() - timedelta(hours=2))
    enforce(timezone.now())
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    pages = {
        org.duty_officer: ["/incidents/", "/incidents/new/", f"/incidents/{incident.pk}/", "/escalations/"],
        org.deputy: ["/escalations/", f"/incidents/{incident.pk}/"],
        auditor: ["/compliance/"],
    }
    for person, paths in pages.items():
        page = new_page(PHONE)
        sign_in(page, person)
        for path in paths:
            page.goto(path)
            assert not scrolls_sideways(page), f"{path} scrolls sideways at 375 px for {person.roles}"
    screenshot(page, "compliance-phone")
