"""Casework on the real pages in Chromium, each step done by the person who does it.

The government office transfers an incident and every deadline stands; a duty officer's downgrade waits for the
leader, who approves it on the page; an extension of the verification report is asked for and approved there and
the deadline moves; the mayor's instruction reaches the bureau's 待办 as a reply to give; and a requester who is
also a leader is never offered the decision on their own request, nor allowed it when posting it anyway.

The live server runs on real time, so every incident is logged a little before ``timezone.now()``.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import CaseRequest, Role
from incidents.services.people import set_roles

from ..browser import screenshot, sign_in
from ..factories import DepartmentFactory, PersonFactory

pytestmark = pytest.mark.usefixtures("national_defaults")

MAJOR, GENERAL = "重大（II级）", "一般（IV级）"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def incident(log):
    """A 重大 incident of the bureau (市交通运输局), discovered half an hour ago."""
    return log(title="网传地铁施工致道路塌陷", discovered_at=timezone.now() - timedelta(minutes=30))


def minute(moment) -> str:
    """A time as a datetime-local field takes it, in Beijing time (the pages' time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def due_times(page) -> dict[str, str]:
    """The deadlines in force as the page shows them: obligation kind → due time."""
    rows = page.locator("table.obligations-table tbody tr")
    expect(rows.first).to_be_visible()
    return {row.get_attribute("data-kind"): row.locator("td").nth(1).inner_text().strip() for row in rows.all()}


def offer(page, name):
    """A casework panel, opened."""
    panel = page.locator(f"details.casework[data-offer={name}]")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def open_every_panel(page) -> None:
    page.evaluate("document.querySelectorAll('details.panel').forEach(panel => { panel.open = true; })")


def test_the_government_office_transfers_an_incident_and_every_deadline_stands(new_page, org, incident):
    housing = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)
    page = new_page()
    sign_in(page, org.office_head)
    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator("dl.facts")).to_contain_text("市交通运输局")
    before = due_times(page)
    assert {"first_statement", "press_conference", "verification_report"} <= before.keys()
    open_every_panel(page)
    screenshot(page, "casework-office")
    page.reload()

    panel = offer(page, "transfer")
    panel.locator("select[name$=department]").select_option(str(housing.pk))
    panel.locator("textarea[name$=reason]").fill("塌陷路段属住建部门在建工程，职责在住建")
    panel.locator("button").click()

    expect(page.locator(".message.success")).to_contain_text("已转办")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("市住房和城乡建设局")
    expect(facts).not_to_contain_text("市交通运输局")
    assert due_times(page) == before, "a transfer never moves a deadline"
    expect(page.locator("ol.timeline li[data-kind=transferred]")).to_contain_text("塌陷路段属住建部门在建工程")
    incident.refresh_from_db()
    assert incident.department == housing


def test_a_duty_officers_downgrade_waits_for_the_leader_who_approves_it(new_page, org, incident):
    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto(f"/incidents/{incident.pk}/")
    regrade = page.locator("form[action$='/regrade/']")
    page.locator("details.panel", has=regrade).locator("summary").click()
    regrade.locator("select[name$=severity]").select_option("general")
    regrade.locator("textarea[name$=reason]").fill("经核实仅为局部路面沉降，无人员伤亡")
    regrade.locator("button").click()

    expect(page.locator(".message.success")).to_have_text("降级须经领导批准：已提交申请，批准前各项时限照常计算。")
    expect(page.locator(".heading .severity")).to_have_text(MAJOR)
    expect(page.locator("tr[data-kind=press_conference]")).to_have_attribute("data-state", "pending")
    expect(page.locator("tr[data-kind=press_conference] .clock")).to_have_text(re.compile(r"^剩余 23小时\d+分$"))
    asked = page.locator("ul.requests li[data-kind=downgrade]")
    expect(asked).to_have_attribute("data-state", "pending")
    expect(asked).to_contain_text(GENERAL)
    expect(asked.locator("button")).to_have_count(0)  # a duty officer does not decide a downgrade

    page = new_page()
    sign_in(page, org.leader)
    page.goto(f"/incidents/{incident.pk}/")
    asked = page.locator("ul.requests li[data-kind=downgrade][data-state=pending]")
    expect(asked).to_contain_text("经核实仅为局部路面沉降，无人员伤亡")
    expect(asked.locator("button.primary")).to_have_text("批准")
    expect(asked.locator("button:not(.primary)")).to_have_text("不予批准")
    asked.locator("textarea").fill("同意降为一般")
    asked.locator("button.primary").click()

    expect(page.locator(".message.success")).to_have_text("申请已批准。")
    expect(page.locator(".heading .severity")).to_have_text(GENERAL)
    expect(page.locator("ul.requests li[data-kind=downgrade]")).to_have_attribute("data-state", "approved")
    expect(page.locator("tr[data-kind=press_conference]")).to_have_attribute("data-state", "waived")
    expect(page.locator("tr[data-kind=response]")).to_have_attribute("data-state", "pending")


def test_an_extension_of_the_verification_report_is_asked_for_and_approved_on_the_page(new_page, org, incident):
    report = incident.obligations.get(kind="verification_report")
    asked_for = report.due_at + timedelta(days=1)
    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto(f"/incidents/{incident.pk}/")
    before = due_times(page)
    assert before["verification_report"] == timezone.localtime(report.due_at).strftime("%m-%d %H:%M")

    panel = offer(page, "extension")
    panel.locator("select[name$=obligation]").select_option(str(report.pk))
    panel.locator("input[name$=due_at]").fill(minute(asked_for))
    panel.locator("textarea[name$=reason]").fill("涉及施工单位资质，需调取住建部门档案")
    panel.locator("button").click()

    expect(page.locator(".message.success")).to_contain_text("申请延期")
    assert due_times(page) == before, "the deadline stands until a leader approves"
    asked = page.locator("ul.requests li[data-kind=extension]")
    expect(asked).to_contain_text("核实调查报告")
    expect(asked).to_contain_text(timezone.localtime(asked_for).strftime("%m-%d %H:%M"))

    page = new_page()
    sign_in(page, org.leader)
    page.goto(f"/incidents/{incident.pk}/")
    asked = page.locator("ul.requests li[data-kind=extension][data-state=pending]")
    expect(asked.locator("button.primary")).to_have_text("批准")
    expect(asked.locator("button:not(.primary)")).to_have_text("不予批准")
    screenshot(page, "casework-decision")
    asked.locator("button.primary").click()

    expect(page.locator(".message.success")).to_have_text("申请已批准。")
    after = due_times(page)
    assert after["verification_report"] == timezone.localtime(asked_for).strftime("%m-%d %H:%M")
    assert after["verification_report"] != before["verification_report"]
    assert {kind: due for kind, due in after.items() if kind != "verification_report"} == {
        kind: due for kind, due in before.items() if kind != "verification_report"
    }, "only the extended deadline moves"
    expect(page.locator("ol.timeline li[data-kind=extended]")).to_have_count(1)


def test_the_mayors_instruction_is_a_reply_to_give_on_the_bureaus_to_do(new_page, org, incident):
    page = new_page()
    sign_in(page, org.mayor)
    page.goto(f"/incidents/{incident.pk}/")
    panel = offer(page, "instruction")
    panel.locator("textarea[name$=text]").fill("请交通局会同住建部门立即排查，今日内报告处置情况。")
    panel.locator(f"input[name$=departments][value='{org.department.pk}']").check()
    panel.locator("button").click()
    expect(page.locator(".message.success")).to_contain_text("批示")
    expect(page.locator("ol.timeline li[data-kind=instructed]")).to_have_count(1)

    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto("/todo/")
    expect(page.locator("h1")).to_have_text("待办")
    section = page.locator("#todo-instructions")
    expect(section.locator("h2")).to_have_text("待回复的领导批示")
    reply = section.locator("li[data-instruction]")
    expect(reply).to_have_count(1)
    expect(reply.locator("a.title")).to_have_text(incident.title)
    expect(reply.locator("a.title")).to_have_attribute("href", f"/incidents/{incident.pk}/")
    expect(reply.locator("blockquote.instruction")).to_have_text("请交通局会同住建部门立即排查，今日内报告处置情况。")
    expect(reply).to_contain_text(f"{org.mayor} 于")
    expect(reply).to_contain_text("市交通运输局")
    expect(reply.locator(".clock")).to_have_text(re.compile(r"^剩余 23小时\d+分$"))  # 24 h by default
    screenshot(page, "todo")

    reply.locator("a.title").click()
    expect(page.locator("h1")).to_have_text(incident.title)


def test_a_requester_who_is_also_a_leader_is_not_offered_the_decision_on_their_own_request(new_page, org, incident):
    set_roles(org.deputy, [Role.DUTY_OFFICER, Role.LEADER])  # the responsible leader on duty (带班领导)
    report = incident.obligations.get(kind="verification_report")
    page = new_page()
    sign_in(page, org.deputy)
    page.goto(f"/incidents/{incident.pk}/")
    panel = offer(page, "extension")
    panel.locator("select[name$=obligation]").select_option(str(report.pk))
    panel.locator("input[name$=due_at]").fill(minute(report.due_at + timedelta(days=1)))
    panel.locator("textarea[name$=reason]").fill("需等待检测机构出具报告")
    panel.locator("button").click()

    asked = page.locator("ul.requests li[data-kind=extension][data-state=pending]")
    expect(asked).to_contain_text("需等待检测机构出具报告")
    expect(asked.locator("form.decision")).to_have_count(0)
    expect(asked.locator("button")).to_have_count(0)
    page.goto("/todo/")
    expect(page.locator("#todo-to-decide li[data-request]")).to_have_count(0)

    # Posting the decision anyway (the form is not there): refused, in words, and nothing changes.
    request = incident.requests.get()
    page.goto(f"/incidents/{incident.pk}/")
    with page.expect_response(lambda answer: "/approve/" in answer.url) as answer:
        page.evaluate(
            """([action, token]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                form.innerHTML = `<input type="hidden" name="csrfmiddlewaretoken" value="${token}">`;
                document.body.append(form);
                form.submit();
            }""",
            [
                f"/incidents/{incident.pk}/requests/{request.pk}/approve/",
                page.locator("input[name=csrfmiddlewaretoken]").first.input_value(),
            ],
        )
    assert answer.value.status == 403
    expect(page.locator(".message.error")).to_have_text("申请须由申请人以外的人审批。")
    request.refresh_from_db()
    assert request.state == CaseRequest.State.PENDING

    page = new_page()
    sign_in(page, org.leader)
    page.goto(f"/incidents/{incident.pk}/")
    asked = page.locator("ul.requests li[data-kind=extension][data-state=pending]")
    expect(asked.locator("button.primary")).to_have_text("批准")  # someone else decides it


def test_a_leader_merges_a_duplicate_on_the_page_and_both_show_the_link(new_page, org, incident, log):
    duplicate = log(title="网传地铁工地塌陷（重复）", discovered_at=timezone.now() - timedelta(minutes=20))
    page = new_page()
    sign_in(page, org.leader)
    page.goto(f"/incidents/{duplicate.pk}/")

    panel = offer(page, "merge")
    panel.locator("select[name$=into]").select_option(str(incident.pk))
    panel.locator("textarea[name$=reason]").fill("同一事件的重复报送")
    panel.locator("button").click()

    expect(page.locator(".message")).to_contain_text("已合并")
    expect(page.locator(".state")).to_contain_text("已办结")
    expect(page.locator('li[data-kind="merged"]')).to_contain_text(f"#{incident.pk}")
    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator('li[data-kind="merged"]')).to_contain_text(f"#{duplicate.pk}")


def test_the_co_handlers_leader_finds_the_departments_escalation_on_my_escalations(new_page, org, log, housing):
    """Logged with a co-handler a little over two hours ago: the internal report is overdue, and its
    first level reaches the lead's principal leader and the co-handler's."""
    from notifications.enforcement import enforce

    incident = log(
        title="网传地铁施工扰民",
        discovered_at=timezone.now() - timedelta(hours=2, minutes=1),
        co_departments=[housing.department],
    )
    enforce(timezone.now())
    page = new_page()
    sign_in(page, housing.leader)
    page.goto("/escalations/")

    expect(page.locator("main")).to_contain_text(incident.title)
    expect(page.locator("main")).to_contain_text("超时一级督办")


def test_after_a_transfer_the_new_leads_principal_leader_is_escalated_to(new_page, org, log, housing):
    """Logged a little over two hours ago and transferred: the internal report's deadline passed, and its first
    level reaches the new lead's principal leader, not the old one's."""
    from incidents.casework.transfer import transfer
    from notifications.enforcement import enforce

    incident = log(title="网传施工围挡倒塌", discovered_at=timezone.now() - timedelta(hours=2, minutes=1))
    transfer(incident, department=housing.department, reason="属住建职责", actor=org.office_head, now=timezone.now())
    enforce(timezone.now())

    page = new_page()
    sign_in(page, housing.leader)
    page.goto("/escalations/")
    expect(page.locator("main")).to_contain_text(incident.title)
    old_lead = new_page()
    sign_in(old_lead, org.leader)
    old_lead.goto("/escalations/")
    expect(old_lead.locator("main")).not_to_contain_text(incident.title)


def test_an_unanswered_instruction_reaches_its_leader_on_my_escalations(new_page, org, log, housing):
    """Given a little over three hours ago with a reply due an hour later: the last level (due + 2 h for a 重大
    incident) has come, and it goes back to the leader who gave it."""
    from incidents.casework.instructions import give_instruction
    from notifications.enforcement import enforce

    given_at = timezone.now() - timedelta(hours=3, minutes=1)
    incident = log(title="网传学校周边施工噪音", discovered_at=given_at)
    give_instruction(
        incident,
        text="请尽快核实回复",
        departments=[housing.department],
        due_at=given_at + timedelta(hours=1),
        actor=org.leader,
        now=given_at,
    )
    enforce(timezone.now())

    page = new_page()
    sign_in(page, org.leader)
    page.goto("/escalations/")
    expect(page.locator("main")).to_contain_text(incident.title)
    expect(page.locator("main")).to_contain_text("领导批示")


def test_only_an_extendable_deadline_is_offered_and_an_extension_shows_on_the_compliance_page(new_page, org, incident):
    report = incident.obligations.get(kind="verification_report")
    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto(f"/incidents/{incident.pk}/")
    panel = offer(page, "extension")
    offered = panel.locator("select[name$=obligation] option").all_inner_texts()
    assert [text for text in offered if text.strip("-")] == [
        f"核实调查报告 · {timezone.localtime(report.due_at):%m-%d %H:%M}"
    ], "the hour deadlines are never offered"
    panel.locator("select[name$=obligation]").select_option(str(report.pk))
    panel.locator("input[name$=due_at]").fill(minute(report.due_at + timedelta(days=1)))
    panel.locator("textarea[name$=reason]").fill("需调取检测报告")
    panel.locator("button").click()
    expect(page.locator(".message.success")).to_be_visible()
    leader = new_page()
    sign_in(leader, org.leader)
    leader.goto(f"/incidents/{incident.pk}/")
    leader.locator("ul.requests button.primary").click()
    expect(leader.locator(".message.success")).to_contain_text("申请已批准")

    auditor = new_page()
    sign_in(auditor, PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    today = timezone.localdate()
    auditor.goto(f"/compliance/?start={today - timedelta(days=1)}&end={today}")
    extended = auditor.locator(".figure", has_text="延期").locator(".number")
    expect(extended).to_have_text("1")
