"""The statements' pages without a browser: the drafting page's forms, each for the person allowed it and refused
to others; errors kept with what was typed; the versions compared character by character with the text escaped;
the incident page's drafts and the deadline they race; and what waits in 待办 for reviewers, leaders and duty
officers, in queries that do not grow with the rows."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Role
from opinion_tracker.lib import contributions
from statements.drafting import add_version, create_draft
from statements.models import Draft, HoldingTemplate
from statements.publishing import publish
from statements.review import decide_gate, sign_off
from statements.web.drafts import compared
from tests.clients import browser_for

from ..conftest import approve_every_gate, beijing, signed_off_statement
from ..factories import DepartmentFactory, PersonFactory

DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + timedelta(minutes=30)  # the first statement (重大: 5 hours) is due in 4 h 30 min
TEXT = "3月10日上午，市交通运输局关注到网民反映的路面塌陷情况，已第一时间赶赴现场处置。"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def incident(log):
    return log(discovered_at=DISCOVERED)


def page(person, path) -> str:
    answer = browser_for(person).get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def draft_of(org, incident, text=TEXT, **fields) -> Draft:
    return create_draft(
        incident, kind="statement", channels=["政务微博"], text=text, actor=org.duty_officer, now=NOW, **fields
    )


def approve_all(draft, reviewers):
    approve_every_gate(draft, reviewers, NOW)


def part(html, selector_id) -> str:
    """The HTML of the element with ``id`` (a section or details), up to its end tag."""
    found = re.search(rf'<(section|details)[^>]*id="{selector_id}".*?</\1>', html, re.S)
    assert found, f"no #{selector_id}"
    return found.group(0)


def gate_row(html, gate) -> str:
    found = re.search(rf'<li class="gate-row[^"]*" data-gate="{gate}".*?\n    </li>', html, re.S)  # its own end tag
    assert found, f"no gate {gate}"
    return found.group(0)


# A new draft


def test_a_duty_officer_drafts_a_statement_for_ticked_and_typed_channels(org, incident):
    client = browser_for(org.duty_officer)
    assert 'name="channels"' in client.get(f"/incidents/{incident.pk}/drafts/new/").content.decode()

    answer = client.post(
        f"/incidents/{incident.pk}/drafts/new/",
        {
            "kind": "statement",
            "channels": ["政务微博", "政府网站"],
            "other_channels": "江城发布、 今日江城",
            "text": TEXT,
        },
    )

    draft = incident.drafts.get()
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/drafts/{draft.pk}/"
    assert draft.channels == ["政务微博", "政府网站", "江城发布", "今日江城"]
    assert draft.versions.get().text == TEXT


def test_a_new_draft_with_errors_comes_back_with_what_was_typed(org, incident):
    answer = browser_for(org.duty_officer).post(
        f"/incidents/{incident.pk}/drafts/new/", {"kind": "statement", "text": "<b>已赶赴现场</b>"}
    )

    assert answer.status_code == 400
    html = answer.content.decode()
    assert "请至少填写一个发布渠道。" in html
    assert "&lt;b&gt;已赶赴现场&lt;/b&gt;</textarea>" in html
    assert not incident.drafts.exists()


def test_a_template_fills_the_text_in_before_drafting_or_when_left_empty(org, incident):
    template = HoldingTemplate.objects.get(government=None, name__startswith="快报事实")
    client = browser_for(org.duty_officer)
    path = f"/incidents/{incident.pk}/drafts/new/"

    filled = client.post(path, {"kind": "holding", "channels": ["政务微博"], "template": template.pk, "prefill": "1"})
    assert filled.status_code == 200
    assert incident.title in filled.content.decode().split('name="text"')[1].split("</textarea>")[0]
    assert not incident.drafts.exists(), "filling in drafts nothing"

    assert client.post(path, {"kind": "holding", "channels": ["政务微博"], "template": template.pk}).status_code == 302
    assert incident.title in incident.drafts.get().versions.get().text


def test_only_those_who_may_draft_are_offered_it(org, incident, reviewers):
    for person in (org.leader, reviewers["policy"]):
        assert browser_for(person).get(f"/incidents/{incident.pk}/drafts/new/").status_code == 403
        assert f"/incidents/{incident.pk}/drafts/new/" not in page(person, f"/incidents/{incident.pk}/")
        refused = browser_for(person).post(
            f"/incidents/{incident.pk}/drafts/new/", {"kind": "statement", "channels": ["政务微博"], "text": TEXT}
        )
        assert refused.status_code == 403
    assert not incident.drafts.exists()
    assert "起草回应稿" in page(org.duty_officer, f"/incidents/{incident.pk}/")


# The drafting page: reading it and comparing versions


def test_the_diff_marks_each_inserted_and_deleted_character():
    older, newer = compared("已赶赴现场处置", "已第一时间赶到现场处置完毕")
    assert older == [("same", "已"), ("same", "赶"), ("deleted", "赴"), ("same", "现场处置")]
    assert newer == [
        ("same", "已"),
        ("inserted", "第一时间"),
        ("same", "赶"),
        ("inserted", "到"),
        ("same", "现场处置"),
        ("inserted", "完毕"),
    ]


def test_the_page_shows_two_versions_side_by_side_with_user_text_escaped(org, incident):
    draft = draft_of(org, incident, text="<script>alert(1)</script>已赶赴现场")
    add_version(draft, text="<script>alert(2)</script>已第一时间赶赴现场", actor=org.duty_officer, now=NOW)

    html = page(org.leader, f"/drafts/{draft.pk}/")

    compare = part(html, "compare")
    assert "<script>" not in compare
    assert "&lt;script&gt;alert(<del>1</del>)&lt;/script&gt;" in compare
    assert "&lt;script&gt;alert(<ins>2</ins>)&lt;/script&gt;已<ins>第一时间</ins>赶赴现场" in compare
    assert '<option value="1" selected>第1版</option>' in compare


def test_any_two_versions_are_compared_by_choice(org, incident):
    draft = draft_of(org, incident, text="第一稿")
    add_version(draft, text="第二稿", actor=org.duty_officer, now=NOW)
    add_version(draft, text="第三稿", actor=org.duty_officer, now=NOW)

    compare = part(page(org.leader, f"/drafts/{draft.pk}/?old=1&new=3"), "compare")

    assert 'data-version="1"' in compare
    assert 'data-version="3"' in compare
    assert "第<del>一</del>稿" in compare
    assert "第<ins>三</ins>稿" in compare
    assert "第二稿" not in compare
    # A version the draft does not have falls back to the previous and the current.
    assert 'data-version="2"' in part(page(org.leader, f"/drafts/{draft.pk}/?old=9&new=3"), "compare")


def test_a_draft_is_read_by_whoever_reads_the_incident_and_by_nobody_else(org, incident):
    draft = draft_of(org, incident)
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    assert "4小时30分" in page(auditor, f"/drafts/{draft.pk}/")
    outsider = PersonFactory(department=DepartmentFactory(parent=org.government), roles=[Role.DUTY_OFFICER])
    assert browser_for(outsider).get(f"/drafts/{draft.pk}/").status_code == 404
    assert browser_for(outsider).post(f"/drafts/{draft.pk}/verify/", {"check-text": TEXT}).status_code == 404


def test_the_page_shows_the_racing_clock_the_gates_and_the_flags(org, incident, reviewers):
    draft = draft_of(org, incident, text="对此事无可奉告。")
    decide_gate(draft, "secrecy", decision="return", comment="删去<伤者>姓名", actor=reviewers["secrecy"], now=NOW)

    html = page(org.duty_officer, f"/drafts/{draft.pk}/")

    assert "距首次权威发布时限还剩 4小时30分" in html
    assert 'data-left="距首次权威发布时限还剩 %(duration)s"' in html
    assert 'data-overdue="首次权威发布已超时 %(duration)s"' in html
    secrecy = gate_row(html, "secrecy")
    assert "已退回" in secrecy
    assert str(reviewers["secrecy"]) in secrecy
    assert "删去&lt;伤者&gt;姓名" in secrecy
    assert "待审核" in gate_row(html, "policy")
    flags = part(html, "flags")
    assert "无可奉告" in flags
    assert "回避问题" in flags


def test_an_overdue_deadline_reads_as_overdue(org, incident, clock):
    draft = draft_of(org, incident)
    clock.move_to(DISCOVERED + timedelta(hours=5, minutes=12))
    assert "首次权威发布已超时 12分0秒" in page(org.duty_officer, f"/drafts/{draft.pk}/")


# A new version


def test_a_duty_officer_writes_a_new_version_and_every_gate_starts_again(org, incident, reviewers):
    draft = draft_of(org, incident)
    decide_gate(draft, "policy", decision="approve", actor=reviewers["policy"], now=NOW)

    answer = browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/version/", {"text": TEXT + "\r\n伤者已送医。"})

    assert answer.status_code == 302
    version = draft.versions.get(number=2)
    assert version.text == TEXT + "\n伤者已送医。", "line breaks kept as LF"
    html = page(org.duty_officer, f"/drafts/{draft.pk}/")
    assert html.count('data-state="pending"') >= 4
    assert "待审核" in gate_row(html, "policy")


def test_an_empty_version_is_refused_on_its_field(org, incident):
    draft = draft_of(org, incident)
    answer = browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/version/", {"text": "   "})
    assert answer.status_code == 400
    assert "此字段为必填项。" in part(answer.content.decode(), "new-version")
    assert draft.versions.count() == 1


def test_only_drafters_are_offered_a_new_version(org, incident, reviewers):
    draft = draft_of(org, incident)
    assert 'id="new-version"' not in page(reviewers["policy"], f"/drafts/{draft.pk}/")
    refused = browser_for(reviewers["policy"]).post(f"/drafts/{draft.pk}/version/", {"text": "改写"})
    assert refused.status_code == 403
    assert "只有牵头单位和配合单位的值班人员可以起草回应稿。" in refused.content.decode()
    assert draft.versions.count() == 1


# The gates


def test_a_reviewer_is_offered_their_own_gate_and_returns_it_with_a_comment(org, incident, reviewers):
    draft = draft_of(org, incident)
    secrecy = reviewers["secrecy"]
    html = page(secrecy, f"/drafts/{draft.pk}/")
    assert f'action="/drafts/{draft.pk}/gate-secrecy/"' in html
    assert "/gate-policy/" not in html

    answer = browser_for(secrecy).post(
        f"/drafts/{draft.pk}/gate-secrecy/",
        {"secrecy-decision": "return", "secrecy-comment": "删去伤者姓名", "secrecy-seen": 1},
    )

    assert answer.status_code == 302
    decision = draft.versions.get().decisions.get()
    assert (decision.gate, decision.decision, decision.comment) == ("secrecy", "returned", "删去伤者姓名")
    timeline = page(org.duty_officer, f"/incidents/{incident.pk}/").split('class="timeline"')[1]
    assert f"审核关口退回 · 保密关，第1版，审核用时 0分0秒 · 删去伤者姓名 · {secrecy}" in timeline


def test_a_return_without_a_comment_comes_back_with_the_error(org, incident, reviewers):
    draft = draft_of(org, incident)
    answer = browser_for(reviewers["secrecy"]).post(
        f"/drafts/{draft.pk}/gate-secrecy/", {"secrecy-decision": "return", "secrecy-comment": "  ", "secrecy-seen": 1}
    )
    assert answer.status_code == 400
    assert "此字段为必填项。" in gate_row(answer.content.decode(), "secrecy")
    assert not draft.versions.get().decisions.exists()


def test_a_decision_on_a_replaced_version_is_refused(org, incident, reviewers):
    draft = draft_of(org, incident)
    add_version(draft, text=TEXT + "（修改）", actor=org.duty_officer, now=NOW)
    answer = browser_for(reviewers["policy"]).post(
        f"/drafts/{draft.pk}/gate-policy/", {"policy-decision": "approve", "policy-comment": "同意", "policy-seen": 1}
    )
    assert answer.status_code == 400
    html = gate_row(answer.content.decode(), "policy")
    assert "第1版已被第2版取代，请先阅读最新版本。" in html
    assert "同意</textarea>" in html, "what was typed is kept"


def test_the_author_is_not_offered_approval_and_is_refused_it(org, incident):
    author = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER, Role.REVIEWER], review_gates=["policy"])
    draft = create_draft(incident, kind="statement", channels=["政务微博"], text=TEXT, actor=author, now=NOW)

    row = gate_row(page(author, f"/drafts/{draft.pk}/"), "policy")
    assert 'value="return"' in row
    assert 'value="approve"' not in row
    refused = browser_for(author).post(
        f"/drafts/{draft.pk}/gate-policy/", {"policy-decision": "approve", "policy-seen": 1}
    )
    assert refused.status_code == 403
    assert "起草人不能审核通过本人起草的稿件。" in gate_row(refused.content.decode(), "policy")


def test_someone_who_may_not_review_a_gate_is_refused(org, incident, reviewers):
    draft = draft_of(org, incident)
    for person in (reviewers["policy"], org.duty_officer):
        refused = browser_for(person).post(f"/drafts/{draft.pk}/gate-secrecy/", {"secrecy-decision": "approve"})
        assert refused.status_code == 403
    assert browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/gate-nonsense/", {}).status_code == 404
    assert not draft.versions.get().decisions.exists()


# Sign-off


def test_the_leader_acknowledges_the_flags_to_sign_off(org, incident, reviewers):
    draft = draft_of(org, incident, text="对此事无可奉告。")
    assert 'id="sign-off"' in (before := page(org.leader, f"/drafts/{draft.pk}/"))
    assert "/sign-off/" not in before, "not offered while gates wait"
    assert "尚待审核：政策关、文字关、保密关、法律关" in before
    approve_all(draft, reviewers)
    form = part(page(org.leader, f"/drafts/{draft.pk}/"), "sign-off")
    assert 'name="acknowledge_flags"' in form
    assert "无可奉告" in form

    refused = browser_for(org.leader).post(f"/drafts/{draft.pk}/sign-off/", {"seen": 1})
    assert refused.status_code == 400
    assert "请确认已阅知提示用语后再签发。" in part(refused.content.decode(), "sign-off")

    signed = browser_for(org.leader).post(f"/drafts/{draft.pk}/sign-off/", {"seen": 1, "acknowledge_flags": "on"})
    assert signed.status_code == 302
    version = draft.versions.get()
    assert version.signed_off_by == org.leader
    assert version.flags_acknowledged
    assert f"{org.leader} 于" in part(page(org.duty_officer, f"/drafts/{draft.pk}/"), "sign-off")


def test_only_a_leader_of_the_lead_or_the_office_signs_off(org, incident, reviewers):
    draft = draft_of(org, incident)
    approve_all(draft, reviewers)
    for person in (org.duty_officer, reviewers["policy"]):
        assert "/sign-off/" not in page(person, f"/drafts/{draft.pk}/")
        refused = browser_for(person).post(f"/drafts/{draft.pk}/sign-off/", {"seen": 1})
        assert refused.status_code == 403
    assert draft.versions.get().signed_off_at is None
    assert "/sign-off/" in page(org.office_head, f"/drafts/{draft.pk}/")


# Publishing and checking a text


def signed_off(org, incident, reviewers, text=TEXT):
    return signed_off_statement(org, incident, reviewers, text, NOW)


def test_a_duty_officer_publishes_with_an_evidence_link(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers)
    form = part(page(org.duty_officer, f"/drafts/{draft.pk}/"), "publish")
    assert '<option value="政务微博">政务微博</option>' in form

    answer = browser_for(org.duty_officer).post(
        f"/drafts/{draft.pk}/publish/",
        {
            "channel": "政务微博",
            "published_at": NOW.strftime("%Y-%m-%dT%H:%M"),
            "evidence_url": "weibo.com/jiangcheng/1",
            "seen": 1,
        },
    )

    assert answer.status_code == 302
    action = incident.actions.get()
    assert (action.text, action.evidence_url) == (TEXT, "https://weibo.com/jiangcheng/1")
    html = page(org.duty_officer, f"/incidents/{incident.pk}/")
    assert action.text_sha256 in html
    assert 'data-kind="first_statement" data-state="met"' in html
    assert 'data-state="published"' in part(html, "statements")


def test_publishing_without_evidence_comes_back_with_what_was_typed(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers)
    answer = browser_for(org.duty_officer).post(
        f"/drafts/{draft.pk}/publish/",
        {"channel": "政务微博", "published_at": NOW.strftime("%Y-%m-%dT%H:%M"), "seen": 1},
    )
    assert answer.status_code == 400
    form = part(answer.content.decode(), "publish")
    assert "公开回应须提供佐证：链接或文件。" in form
    assert '<option value="政务微博" selected>' in form
    assert not incident.actions.exists()


def test_only_the_leads_duty_officers_publish(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers)
    assert "/publish/" not in page(org.leader, f"/drafts/{draft.pk}/")
    refused = browser_for(org.leader).post(
        f"/drafts/{draft.pk}/publish/",
        {"channel": "政务微博", "published_at": NOW.strftime("%Y-%m-%dT%H:%M"), "evidence_url": "https://weibo.com/1"},
    )
    assert refused.status_code == 403
    assert not incident.actions.exists()


def test_every_reader_checks_a_text_against_the_signed_off_version(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers, text="第一段。\n第二段。")
    publish(
        draft,
        channel="政务微博",
        published_at=NOW,
        evidence_url="https://weibo.com/1",
        actor=org.duty_officer,
        now=NOW,
    )
    auditor = browser_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))

    same = auditor.post(f"/drafts/{draft.pk}/verify/", {"check-text": "第一段。\r\n第二段。"})
    assert same.status_code == 200
    assert "与签发的第1版一致。" in same.content.decode()

    changed = auditor.post(f"/drafts/{draft.pk}/verify/", {"check-text": "第一段。\r\n第二段"})
    assert "与签发的第1版不一致。" in (html := changed.content.decode())
    assert "第二段</textarea>" in html, "the text checked stays in the box"


def test_a_text_drafted_with_crlf_line_breaks_matches_when_pasted(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers, text="第一段。\r\n第二段。")  # as an API client may send it

    same = browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/verify/", {"check-text": "第一段。\r\n第二段。"})
    assert "与签发的第1版一致。" in same.content.decode()


def test_before_any_sign_off_there_is_nothing_to_check_against(org, incident):
    draft = draft_of(org, incident)
    answer = browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/verify/", {"check-text": TEXT})
    assert "该回应稿尚无签发版本，无从核对。" in answer.content.decode()
    assert browser_for(org.duty_officer).post(f"/drafts/{draft.pk}/verify/", {"check-text": ""}).status_code == 400


# The incident page


def test_the_incident_page_shows_the_drafts_the_racing_clock_and_the_report_link(org, incident, reviewers):
    draft = draft_of(org, incident)
    decide_gate(draft, "policy", decision="approve", actor=reviewers["policy"], now=NOW)

    panel = part(page(org.leader, f"/incidents/{incident.pk}/"), "statements")

    assert "距首次权威发布时限还剩 4小时30分" in panel
    assert f'href="/drafts/{draft.pk}/"' in panel
    assert "权威发布 · 第1版" in panel
    assert "审核中" in panel
    assert re.search(r'data-gate="policy" data-state="approved">政策关 <span class="gate-state">已通过', panel)
    assert re.search(r'data-gate="legal" data-state="pending">法律关 <span class="gate-state">待审核', panel)
    assert f'href="/incidents/{incident.pk}/bulletin/"' in panel
    assert "起草回应稿" not in panel, "a leader does not draft"


def test_the_timeline_words_drafting_and_sign_off(org, incident, reviewers):
    draft = signed_off(org, incident, reviewers, text="对此事无可奉告。")
    add_version(draft, text="我们将及时发布调查进展。", actor=org.duty_officer, now=NOW)
    timeline = page(org.duty_officer, f"/incidents/{incident.pk}/").split('class="timeline"')[1]
    assert "起草回应稿 · 权威发布 · 第1版 · 提示用语：无可奉告" in timeline
    assert "审核关口通过 · 法律关，第1版，审核用时 0分0秒" in timeline
    assert "回应稿签发 · 第1版，距首次起草 0分0秒 · 已确认提示用语：无可奉告" in timeline
    assert "修改回应稿 · 第2版" in timeline


# 待办


def todo(person) -> str:
    return page(person, "/todo/")


def section(html, name) -> str:
    found = re.search(rf'<section class="todo" id="todo-{name}">(.*?)</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def test_a_reviewer_finds_the_gates_waiting_for_them_nearest_deadline_first(org, log, incident, reviewers):
    later = log(title="网传公交停运", discovered_at=DISCOVERED + timedelta(minutes=20), now=NOW)
    far = draft_of(org, later)
    near = draft_of(org, incident)
    decided = draft_of(org, incident, text="另一稿")
    decide_gate(decided, "secrecy", decision="approve", actor=reviewers["secrecy"], now=NOW)

    gates = section(todo(reviewers["secrecy"]), "gates")

    assert gates.index(f'data-draft="{near.pk}"') < gates.index(f'data-draft="{far.pk}"')
    assert f'data-draft="{decided.pk}"' not in gates, "already decided at this gate"
    assert f'href="/drafts/{near.pk}/"' in gates
    assert "距首次权威发布时限还剩 4小时30分" in gates
    assert "保密关" in gates
    assert "todo-gates" not in todo(org.duty_officer)


def test_a_reviewer_does_not_find_their_own_draft(org, incident):
    author = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER, Role.REVIEWER], review_gates=["policy"])
    create_draft(incident, kind="statement", channels=["政务微博"], text=TEXT, actor=author, now=NOW)
    assert "没有待您审核的回应稿。" in section(todo(author), "gates")


def test_a_leader_finds_the_drafts_whose_gates_are_all_approved(org, incident, reviewers):
    ready = draft_of(org, incident)
    approve_all(ready, reviewers)
    waiting = draft_of(org, incident, text="另一稿")

    to_sign = section(todo(org.leader), "sign-off")

    assert f'data-draft="{ready.pk}"' in to_sign
    assert f'data-draft="{waiting.pk}"' not in to_sign
    assert f'href="/drafts/{ready.pk}/#sign-off"' in to_sign
    assert f'data-draft="{ready.pk}"' in section(todo(org.office_head), "sign-off")
    sign_off(ready, actor=org.leader, now=NOW)
    assert "没有待您签发的回应稿。" in section(todo(org.leader), "sign-off")


def test_a_holding_statement_with_a_blank_left_does_not_wait_for_a_sign_off(org, incident):
    follow_up = HoldingTemplate.objects.get(government=None, name__startswith="再报进展")
    blank_left = create_draft(
        incident, kind="holding", channels=["政务微博"], template=follow_up, actor=org.duty_officer, now=NOW
    )
    assert f'data-draft="{blank_left.pk}"' not in section(todo(org.deputy), "sign-off")


def test_a_leader_finds_a_holding_statement_from_a_template_at_once(org, incident):
    template = HoldingTemplate.objects.get(government=None, name__startswith="快报事实")
    holding = create_draft(
        incident, kind="holding", channels=["政务微博"], template=template, actor=org.duty_officer, now=NOW
    )
    to_sign = section(todo(org.deputy), "sign-off")
    assert f'data-draft="{holding.pk}"' in to_sign
    assert "依据模板起草的先期表态稿" in to_sign


def test_what_waits_is_found_however_many_drafts_wait_elsewhere(org, incident, reviewers, monkeypatch):
    monkeypatch.setattr(contributions, "LIMIT", 3)  # a section's rows are cut at LIMIT
    for number in range(4):  # drafts not ready for a sign-off, whose secrecy gate is decided, made first
        decide_gate(
            draft_of(org, incident, text=f"稿{number}"),
            "secrecy",
            decision="approve",
            actor=reviewers["secrecy"],
            now=NOW,
        )
    ready = draft_of(org, incident, text="待签发稿")
    approve_all(ready, reviewers)
    pending = draft_of(org, incident, text="待审核稿")

    assert f'data-draft="{ready.pk}"' in section(todo(org.leader), "sign-off")
    assert f'data-draft="{pending.pk}"' in section(todo(reviewers["secrecy"]), "gates")


def test_a_duty_officer_finds_their_returned_and_signed_off_drafts(org, incident, reviewers):
    returned = draft_of(org, incident)
    decide_gate(returned, "secrecy", decision="return", comment="删去伤者姓名", actor=reviewers["secrecy"], now=NOW)
    ready = signed_off(org, incident, reviewers, text="另一稿")
    in_review = draft_of(org, incident, text="第三稿")

    statements = section(todo(org.duty_officer), "statements")

    assert f'data-draft="{returned.pk}"' in statements
    assert "删去伤者姓名" in statements
    assert f'data-draft="{ready.pk}"' in statements
    assert f'href="/drafts/{ready.pk}/#publish"' in statements
    assert f'data-draft="{in_review.pk}"' not in statements
    other = PersonFactory(department=DepartmentFactory(parent=org.government), roles=[Role.DUTY_OFFICER])
    assert "没有被退回或待发布的回应稿。" in section(todo(other), "statements")


def test_the_sections_queries_do_not_grow_with_the_drafts(org, log, reviewers):
    def queries(person) -> int:
        client = browser_for(person)
        client.get("/todo/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/todo/").status_code == 200
        return len(captured)

    def statements(count):
        """Per incident: a draft in review, one returned at a gate (which waits for its revision, not for the
        other gates), one with every gate approved, one signed off."""
        for number in range(count):
            incident = log(title=f"网传事件{number}", discovered_at=DISCOVERED, now=NOW)
            draft_of(org, incident, text=f"待审稿{number}")
            returned = draft_of(org, incident, text=f"退回稿{number}，无可奉告")
            decide_gate(returned, "secrecy", decision="return", comment="改", actor=reviewers["secrecy"], now=NOW)
            approve_all(draft_of(org, incident, text=f"待签稿{number}"), reviewers)
            signed_off(org, incident, reviewers, text=f"已签稿{number}")

    people = (reviewers["policy"], org.leader, org.office_head, org.duty_officer)
    statements(1)
    one = {person: queries(person) for person in people}
    statements(4)
    five = {person: queries(person) for person in people}
    assert five == one
    assert section(todo(org.leader), "sign-off").count("data-draft=") == 5
    assert section(todo(org.duty_officer), "statements").count("data-draft=") == 10
    assert section(todo(reviewers["policy"]), "gates").count("data-draft=") == 5


def test_bad_input_is_answered_in_words_never_with_a_server_error(org, incident, reviewers):
    draft = draft_of(org, incident)
    duty, secrecy = browser_for(org.duty_officer), browser_for(reviewers["secrecy"])
    assert duty.get(f"/drafts/{draft.pk}/version/").status_code == 405
    assert duty.post(f"/drafts/{draft.pk}/nonsense/", {}).status_code == 404
    assert duty.post(f"/drafts/{draft.pk}/gate/", {}).status_code == 404
    assert duty.post("/drafts/999999/version/", {"text": TEXT}).status_code == 404
    bad = {"secrecy-decision": "maybe", "secrecy-comment": "x", "secrecy-seen": "two"}
    assert secrecy.post(f"/drafts/{draft.pk}/gate-secrecy/", bad).status_code == 400
    assert duty.post(f"/drafts/{draft.pk}/version/", {"text": "含\x00字符"}).status_code == 400
    assert browser_for(org.leader).post(f"/drafts/{draft.pk}/sign-off/", {"seen": "x"}).status_code == 400
    assert browser_for(org.leader).get(f"/drafts/{draft.pk}/?old=x&new=1").status_code == 200
    new = {"kind": "speech", "channels": ["火星"], "template": "abc", "text": TEXT}
    assert duty.post(f"/incidents/{incident.pk}/drafts/new/", new).status_code == 400
    assert draft.versions.count() == 1
    assert not draft.versions.get().decisions.exists()
