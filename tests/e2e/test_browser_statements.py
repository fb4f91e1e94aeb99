"""A statement from first draft to publication on the real pages in Chromium, each step by the person who takes it.

A duty officer drafts it against the first-statement clock; the secrecy reviewer finds it in 待办 and returns it
with a comment; the duty officer revises it (every gate pending again, the change marked); the four reviewers
approve; the principal leader, on a phone, reads the flagged phrase, acknowledges it and signs off; the duty
officer publishes it with an evidence link; the incident page shows it published and the first statement met;
and "check a text" says the published text is the signed-off one.

Then what the rules hold on the pages: a holding statement from a template goes out on one leader's sign-off,
the skip shown on the timeline and counted on the compliance page; an author who also reviews a gate may only
return it, and an approval posted anyway is refused; nothing is published before the sign-off.

The live server runs on real time, so the incident is logged a little before ``timezone.now()``, and drafts set
up in the database are dated ``timezone.now()``.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Role
from notifications.enforcement import enforce
from statements.drafting import create_draft
from statements.models import GateDecision, Publication

from ..browser import screenshot, scrolls_sideways, sign_in
from ..conftest import approve_every_gate
from ..factories import PersonFactory

pytestmark = pytest.mark.usefixtures("national_defaults")

SIGN_OFF_PHONE = {"width": 390, "height": 844}
OPENING = "3月10日上午，网民反映地铁5号线施工路段出现塌陷。市交通运输局领导高度重视，已第一时间赶赴现场处置，"
FIRST = OPENING + "伤者张某某已送医。"
REVISED = OPENING + "1名受伤群众已送医救治，目前生命体征平稳。"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def incident(org, log):
    """A 重大 incident of the bureau (市交通运输局), discovered half an hour ago, with the scheduler running."""
    for person, name in ((org.duty_officer, "孙值班"), (org.leader, "周局长")):
        person.display_name = name
        person.save()
    incident = log(title="网传地铁施工致道路塌陷", discovered_at=timezone.now() - timedelta(minutes=30))
    enforce(timezone.now())
    return incident


def gate_row(page, gate):
    return page.locator(f"#gates li.gate-row[data-gate={gate}]")


def test_a_statement_is_drafted_returned_revised_approved_signed_off_on_a_phone_and_published(
    new_page, org, incident, reviewers
):
    # The duty officer drafts it from the incident page, racing the first statement's deadline.
    duty = new_page()
    sign_in(duty, org.duty_officer)
    duty.goto(f"/incidents/{incident.pk}/")
    panel = duty.locator("#statements")
    expect(panel.locator(".racing .clock")).to_have_text(re.compile(r"^距首次权威发布时限还剩 4小时\d+分$"))
    panel.get_by_role("link", name="起草回应稿").click()
    duty.locator("input[name=channels][value=政务微博]").check()
    duty.locator("input[name=channels][value=政府网站]").check()
    duty.fill("textarea[name=text]", FIRST)
    duty.click("form.new-draft button.primary")
    expect(duty.locator(".message.success")).to_have_text("回应稿已提交，进入各关审核。")
    draft = incident.drafts.get()
    expect(duty).to_have_url(re.compile(rf"/drafts/{draft.pk}/$"))
    expect(duty.locator(".race .clock")).to_have_text(re.compile(r"^距首次权威发布时限还剩 4小时\d+分$"))
    expect(duty.locator("#flags")).to_contain_text("领导高度重视")
    expect(duty.locator("#gates li.gate-row[data-state=pending]")).to_have_count(4)

    # The secrecy reviewer starts on 待办, finds the gate waiting there and returns it with a comment.
    secrecy = new_page()
    sign_in(secrecy, reviewers["secrecy"])
    expect(secrecy).to_have_url(re.compile(r"/todo/$"))
    waiting = secrecy.locator(f"#todo-gates li[data-draft='{draft.pk}']")
    expect(waiting.locator("a.title")).to_have_text(incident.title)
    expect(waiting.locator("a.step")).to_have_text("保密关")
    expect(waiting.locator(".clock")).to_have_text(re.compile(r"^距首次权威发布时限还剩 4小时\d+分$"))
    screenshot(secrecy, "todo-reviewer")
    waiting.locator("a.title").click()
    row = gate_row(secrecy, "secrecy")
    expect(gate_row(secrecy, "policy").locator("form")).to_have_count(0)  # not theirs
    row.locator("textarea").fill("伤者姓名属个人信息，请删去")
    row.get_by_role("button", name="退回").click()
    expect(secrecy.locator(".message.success")).to_have_text("已退回，并附您的意见。")
    expect(gate_row(secrecy, "secrecy")).to_have_attribute("data-state", "returned")

    # The duty officer sees the return in 待办 and revises: every gate waits again, the change is marked.
    duty.goto("/todo/")
    returned = duty.locator(f"#todo-statements li[data-draft='{draft.pk}']")
    expect(returned.locator("blockquote")).to_have_text("伤者姓名属个人信息，请删去")
    returned.get_by_role("link", name="修改出新版本").click()
    duty.locator("#new-version summary").click()
    duty.fill("#new-version textarea", REVISED)
    duty.click("#new-version button.primary")
    expect(duty.locator(".message.success")).to_have_text("新版本已保存，各关重新审核。")
    expect(duty.locator("h1")).to_have_text("权威发布 · 第2版")
    expect(duty.locator("#gates li.gate-row[data-state=pending]")).to_have_count(4)
    expect(duty.locator("#compare .older del")).to_contain_text(["张某某"])
    expect(duty.locator("#compare .newer ins").first).to_be_visible()
    expect(duty.locator("#compare .newer")).to_contain_text("目前生命体征平稳")
    expect(duty.locator("#history")).to_contain_text("伤者姓名属个人信息，请删去")
    screenshot(duty, "drafting")

    # The four reviewers approve version 2.
    for gate, reviewer in reviewers.items():
        page = new_page()
        sign_in(page, reviewer)
        page.goto(f"/drafts/{draft.pk}/")
        gate_row(page, gate).get_by_role("button", name="通过").click()
        expect(page.locator(".message.success")).to_have_text("已审核通过。")
        expect(gate_row(page, gate)).to_have_attribute("data-state", "approved")

    # The principal leader signs off on a phone: one column, the flag read and acknowledged, a button a thumb hits.
    leader = new_page(SIGN_OFF_PHONE)
    sign_in(leader, org.leader)
    leader.goto("/todo/")
    to_sign = leader.locator(f"#todo-sign-off li[data-draft='{draft.pk}']")
    expect(to_sign).to_contain_text("各关均已审核通过。")
    to_sign.get_by_role("link", name="签发").click()
    expect(leader).to_have_url(re.compile(rf"/drafts/{draft.pk}/#sign-off$"))
    form = leader.locator("form.sign-off-form")
    expect(form.locator(".flag-ack")).to_contain_text("领导高度重视")
    expect(form.locator(".flag-ack")).to_contain_text("空话套话")
    assert not scrolls_sideways(leader), "the drafting page scrolls sideways on a phone"
    button = form.locator("button.primary")
    expect(button).to_have_text("签发第2版")
    box = button.bounding_box()
    assert box["height"] >= 44, box
    assert box["width"] >= 300, box
    assert 0 <= box["x"] <= box["x"] + box["width"] <= SIGN_OFF_PHONE["width"], box
    form.locator("input[name=acknowledge_flags]").check()
    screenshot(leader, "sign-off-phone")
    button.click()
    expect(leader.locator(".message.success")).to_have_text("已签发，值班人员可以发布。")
    expect(leader.locator("#sign-off-state")).to_contain_text(f"{org.leader} 于")
    assert not scrolls_sideways(leader)

    # The duty officer publishes on 政务微博 with the link to the post.
    duty.goto(f"/drafts/{draft.pk}/")
    publish = duty.locator("form.publish-form")
    publish.locator("select[name=channel]").select_option("政务微博")
    publish.locator("input[name=evidence_url]").fill("https://weibo.com/jiangchengfabu/5012345678")
    publish.locator("button.primary").click()
    expect(duty.locator(".message.success")).to_have_text("已发布，处置记录已登记，并保存文本的 SHA-256。")
    expect(duty.locator("#publish li[data-channel=政务微博]")).to_contain_text("第2版")

    # The incident page: the statement published, the first statement met, the action carrying the hash.
    duty.goto(f"/incidents/{incident.pk}/")
    expect(duty.locator(f"#statements li[data-draft='{draft.pk}']")).to_have_attribute("data-state", "published")
    expect(duty.locator(f"#statements li[data-draft='{draft.pk}'] .state")).to_have_text("已发布")
    expect(duty.locator("tr[data-kind=first_statement]")).to_have_attribute("data-state", "met")
    expect(duty.locator("tr[data-kind=first_statement] .clock")).to_have_text("按时完成")
    action = incident.actions.get()
    assert action.text == REVISED
    expect(duty.locator(".actions")).to_contain_text(action.text_sha256)
    expect(duty.locator("ol.timeline li[data-kind=signed_off]")).to_contain_text("已确认提示用语：领导高度重视")

    # Anyone who reads the incident checks a text against what was signed off.
    duty.goto(f"/drafts/{draft.pk}/")
    duty.locator("#check-text summary").click()
    duty.fill("#check-text textarea", REVISED)
    duty.locator("#check-text button").click()
    expect(duty.locator(".check-result")).to_have_text("与签发的第2版一致。")
    duty.fill("#check-text textarea", REVISED.replace("平稳", "稳定"))
    duty.locator("#check-text button").click()
    expect(duty.locator(".check-result")).to_have_text("与签发的第2版不一致。")


EVERY_GATE = "政策关、文字关、保密关、法律关"
WEIBO_POST = "https://weibo.com/jiangchengfabu/5012345679"


def test_a_holding_statement_from_a_template_goes_out_on_one_sign_off_and_the_skip_is_reported(new_page, org, incident):
    # The duty officer drafts a holding statement from the national template, its text filled in by the page.
    duty = new_page()
    sign_in(duty, org.duty_officer)
    duty.goto(f"/incidents/{incident.pk}/")
    duty.locator("#statements").get_by_role("link", name="起草回应稿").click()
    duty.locator("select[name=kind]").select_option(label="先期表态稿")
    duty.locator("input[name=channels][value=政务微博]").check()
    duty.locator("select[name=template]").select_option(label="快报事实 · 首次通报 (全国)")
    duty.get_by_role("button", name="用模板填充").click()
    text = duty.locator("textarea[name=text]")
    expect(text).to_have_value(re.compile(rf"^\d{{4}}年.+市交通运输局关注到网民反映“{incident.title}”的情况"))
    expect(duty.locator("select[name=kind]")).to_have_value("holding")
    duty.click("form.new-draft button.primary")
    expect(duty.locator(".message.success")).to_have_text("回应稿已提交，进入各关审核。")
    draft = incident.drafts.get()
    expect(duty.locator("h1")).to_have_text("先期表态稿 · 第1版")
    expect(duty.locator("#gates li.gate-row[data-state=pending]")).to_have_count(4)
    expect(duty.locator("#sign-off")).to_contain_text(f"尚待审核：{EVERY_GATE}")

    # The principal leader finds it in 待办 and signs it off with no gate approved: the page says the skip is kept.
    leader = new_page()
    sign_in(leader, org.leader)
    leader.goto("/todo/")
    to_sign = leader.locator(f"#todo-sign-off li[data-draft='{draft.pk}']")
    expect(to_sign).to_contain_text("依据模板起草的先期表态稿：经您签发即可发布。")
    to_sign.get_by_role("link", name="签发").click()
    form = leader.locator("form.sign-off-form")
    expect(form).to_contain_text("经您签发即可在各关审核前发布，跳过审核将留痕。")
    form.get_by_role("button", name="签发第1版").click()
    expect(leader.locator(".message.success")).to_have_text("已签发，值班人员可以发布。")
    expect(leader.locator("#sign-off")).to_contain_text(f"先期表态稿，签发时以下关口尚未审核通过：{EVERY_GATE}")
    expect(leader.locator("#gates li.gate-row[data-state=pending]")).to_have_count(4)

    # The duty officer publishes it with the link to the post; the incident page shows it published.
    duty.goto(f"/drafts/{draft.pk}/")
    publish = duty.locator("form.publish-form")
    publish.locator("input[name=evidence_url]").fill(WEIBO_POST)
    publish.locator("button.primary").click()
    expect(duty.locator(".message.success")).to_have_text("已发布，处置记录已登记，并保存文本的 SHA-256。")
    duty.goto(f"/incidents/{incident.pk}/")
    row = duty.locator(f"#statements li[data-draft='{draft.pk}']")
    expect(row).to_have_attribute("data-state", "published")
    expect(row.locator(".state")).to_have_text("已发布")
    expect(duty.locator(".actions")).to_contain_text(incident.actions.get().text_sha256)
    expect(duty.locator("ol.timeline li[data-kind=signed_off]")).to_contain_text(f"先期表态，跳过关口：{EVERY_GATE}")

    # The auditor's compliance page for the period counts it among the statements signed off without review.
    auditor = new_page()
    sign_in(auditor, PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    today = timezone.localdate()
    auditor.goto(f"/compliance/?start={today - timedelta(days=1)}&end={today}")
    figures = auditor.locator(".review-time .figure")
    expect(figures.filter(has_text="未经审核签发的先期表态稿").locator(".number")).to_have_text("1")
    expect(figures.filter(has_text="签发份数").locator(".number")).to_have_text("1")


def test_an_author_who_reviews_a_gate_may_only_return_it_and_an_approval_posted_anyway_is_refused(
    new_page, org, incident, reviewers
):
    author = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER, Role.REVIEWER], review_gates=["policy"])
    draft = create_draft(
        incident, kind="statement", channels=["政务微博"], text=REVISED, actor=author, now=timezone.now()
    )

    # On their own draft the policy gate offers the author a return, never an approval; 待办 does not list it.
    page = new_page()
    sign_in(page, author)
    page.goto("/todo/")
    expect(page.locator(f"#todo-gates li[data-draft='{draft.pk}']")).to_have_count(0)
    page.goto(f"/drafts/{draft.pk}/")
    row = gate_row(page, "policy")
    expect(row.get_by_role("button", name="退回")).to_be_visible()
    expect(row.get_by_role("button", name="通过")).to_have_count(0)
    expect(row).to_contain_text("您是本稿起草人：可以退回，不能审核通过。")
    expect(page.locator("#gates form")).to_have_count(1)  # the other gates are not theirs

    # An approval posted through that form anyway is refused, the reason shown on the gate, nothing decided.
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        row.locator("form").evaluate(
            """form => {
                const decision = Object.assign(document.createElement("input"),
                    {type: "hidden", name: "policy-decision", value: "approve"});
                form.append(decision);
                form.submit();
            }"""
        )
    assert posted.value.status == 403
    expect(gate_row(page, "policy").locator(".errorlist")).to_have_text("起草人不能审核通过本人起草的稿件。")
    expect(gate_row(page, "policy")).to_have_attribute("data-state", "pending")
    assert not GateDecision.objects.filter(version__draft=draft).exists()

    # The other policy reviewer approves it.
    reviewer = new_page()
    sign_in(reviewer, reviewers["policy"])
    reviewer.goto(f"/drafts/{draft.pk}/")
    gate_row(reviewer, "policy").get_by_role("button", name="通过").click()
    expect(reviewer.locator(".message.success")).to_have_text("已审核通过。")
    expect(gate_row(reviewer, "policy")).to_have_attribute("data-state", "approved")
    expect(gate_row(reviewer, "policy")).to_contain_text("王政策")


def post_publish(page, draft):
    """A publication posted to the draft's publish step with the page's session and CSRF token, as a
    hand-made form would: the first channel, now, with an evidence link."""
    token = page.locator("#check-text input[name=csrfmiddlewaretoken]").input_value()
    return page.request.post(
        f"/drafts/{draft.pk}/publish/",
        form={
            "csrfmiddlewaretoken": token,
            "channel": "政务微博",
            "published_at": f"{timezone.localtime():%Y-%m-%dT%H:%M:%S}",
            "evidence_url": WEIBO_POST,
            "seen": "1",
        },
    )


def test_nothing_is_published_before_the_sign_off(new_page, org, incident, reviewers):
    draft = create_draft(
        incident, kind="statement", channels=["政务微博"], text=REVISED, actor=org.duty_officer, now=timezone.now()
    )
    duty = new_page()
    sign_in(duty, org.duty_officer)

    # While the gates wait, the drafting page offers no publication, and one posted anyway is refused.
    duty.goto(f"/drafts/{draft.pk}/")
    expect(duty.locator("#sign-off")).to_contain_text(f"尚待审核：{EVERY_GATE}")
    expect(duty.locator("form.publish-form")).to_have_count(0)
    refused = post_publish(duty, draft)
    assert refused.status == 400, refused.status
    assert "只有已签发的版本才能发布；该版本尚未签发。" in refused.text()

    # Every gate approved but not signed off: still nothing to publish.
    approve_every_gate(draft, reviewers, timezone.now())
    duty.reload()
    expect(duty.locator("#gates li.gate-row[data-state=approved]")).to_have_count(4)
    expect(duty.locator("#sign-off-state")).to_have_text("尚未签发")
    expect(duty.locator("form.publish-form")).to_have_count(0)
    refused = post_publish(duty, draft)
    assert refused.status == 400, refused.status
    assert "只有已签发的版本才能发布；该版本尚未签发。" in refused.text()

    # Nothing was recorded: the incident has no action, the statement is still in review.
    assert not incident.actions.exists()
    assert not Publication.objects.filter(draft=draft).exists()
    duty.goto(f"/incidents/{incident.pk}/")
    expect(duty.locator(".actions")).to_have_count(0)
    expect(duty.locator("main")).to_contain_text("尚无处置记录。")
    expect(duty.locator(f"#statements li[data-draft='{draft.pk}']")).to_have_attribute("data-state", "in_review")
