"""The drafting and sign-off rules, at the services: versions never overwritten, gates per version, the
author never approving their own gates, sign-off only once every gate is approved, flags acknowledged."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from incidents.models import ObligationKind, TimelineEvent
from statements.drafting import add_version, create_draft
from statements.models import Draft, HoldingTemplate
from statements.publishing import check_published_text, publish
from statements.racing import racing_for
from statements.review import decide_gate, gate_states, sign_off
from tests.conftest import approve_every_gate, beijing
from tests.factories import PersonFactory

START = beijing(2026, 3, 2, 9, 30)


@pytest.fixture(autouse=True)
def _in_english():
    """The refusals are matched by their English words (the pages show them in Chinese)."""
    with translation.override("en"):
        yield


TEXT = "3月2日上午，市交通运输局关注到网民反映的路面塌陷情况，已第一时间赶赴现场处置。"


def draft_of(org, incident, text=TEXT, **fields):
    return create_draft(
        incident, kind="statement", channels=["weibo"], text=text, actor=org.duty_officer, now=START, **fields
    )


def published_statement(org, incident, reviewers):
    """A statement approved at every gate, signed off and published on weibo at ``START``."""
    draft = draft_of(org, incident)
    approve_all(draft, reviewers)
    sign_off(draft, actor=org.leader, now=START)
    publish(
        draft,
        channel="weibo",
        published_at=START,
        evidence_url="https://weibo.com/1",
        actor=org.duty_officer,
        now=START,
    )
    return draft


def approve_all(draft, reviewers):
    approve_every_gate(draft, reviewers, START)


def test_a_returned_gate_waits_for_a_new_version_which_starts_every_gate_again(org, incident, reviewers):
    draft = draft_of(org, incident)
    decide_gate(draft, "policy", decision="approve", actor=reviewers["policy"], now=START)
    decide_gate(draft, "secrecy", decision="return", comment="删去伤者姓名", actor=reviewers["secrecy"], now=START)
    with pytest.raises(ValidationError):
        decide_gate(draft, "secrecy", decision="approve", actor=reviewers["secrecy"], now=START)
    version = add_version(
        draft, text=TEXT + "（已删除个人信息）", actor=org.duty_officer, now=START + timedelta(minutes=20)
    )
    assert version.number == 2
    assert [state.state for state in gate_states(draft, version)] == ["pending"] * 4
    assert draft.versions.get(number=1).text == TEXT  # never overwritten


def test_sign_off_needs_every_gate_and_publishing_needs_the_sign_off(org, incident, reviewers):
    draft = draft_of(org, incident)
    with pytest.raises(ValidationError):
        sign_off(draft, actor=org.leader, now=START)
    approve_all(draft, reviewers)
    with pytest.raises(ValidationError, match="not signed off"):
        publish(
            draft,
            channel="weibo",
            published_at=START,
            evidence_url="https://weibo.com/1",
            actor=org.duty_officer,
            now=START,
        )
    sign_off(draft, actor=org.leader, now=START + timedelta(hours=1))
    action = publish(
        draft,
        channel="weibo",
        published_at=START + timedelta(hours=1),
        evidence_url="https://weibo.com/1",
        actor=org.duty_officer,
        now=START + timedelta(hours=1),
    )
    assert action.text == TEXT
    assert action.text_sha256 == draft.versions.get().sha256
    assert incident.obligations.get(kind=ObligationKind.FIRST_STATEMENT).state == "met"
    assert check_published_text(draft, TEXT)["matches"]
    assert not check_published_text(draft, TEXT + " ")["matches"]
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.PUBLISHED


def test_the_author_does_not_approve_their_own_draft(org, incident):
    author = PersonFactory(department=org.department, roles=["duty_officer", "reviewer"], review_gates=["policy"])
    draft = create_draft(incident, kind="statement", channels=["weibo"], text=TEXT, actor=author, now=START)
    with pytest.raises(PermissionDenied):
        decide_gate(draft, "policy", decision="approve", actor=author, now=START)
    with pytest.raises(PermissionDenied):
        decide_gate(draft, "policy", decision="approve", actor=org.duty_officer, now=START)  # not a reviewer


def test_flags_warn_and_must_be_acknowledged_at_sign_off(org, incident, reviewers):
    draft = draft_of(org, incident, text="对此事无可奉告。")
    assert draft.versions.get().flags[0]["phrase"] == "无可奉告"
    approve_all(draft, reviewers)  # never blocking the gates
    with pytest.raises(ValidationError, match="Acknowledge"):
        sign_off(draft, actor=org.leader, now=START)
    assert sign_off(draft, acknowledge_flags=True, actor=org.leader, now=START).flags_acknowledged


def test_a_holding_statement_from_a_template_may_skip_the_gates_on_one_sign_off(org, incident):
    template = HoldingTemplate.objects.get(government=None, name="快报事实 · 首次通报")
    draft = create_draft(
        incident, kind="holding", channels=["weibo"], template=template, actor=org.duty_officer, now=START
    )
    assert incident.title in draft.versions.get().text
    version = sign_off(draft, actor=org.deputy, now=START + timedelta(minutes=5))
    assert version.gates_skipped == ["policy", "wording", "secrecy", "legal"]
    event = incident.timeline.get(kind=TimelineEvent.Kind.SIGNED_OFF)
    assert event.detail["gates_skipped"] == version.gates_skipped
    assert event.detail["since_first_draft_seconds"] == 300


def test_only_the_lead_leaders_or_the_office_sign_off(org, incident, reviewers):
    draft = draft_of(org, incident)
    approve_all(draft, reviewers)
    for outsider in (org.duty_officer, org.publicity_head):
        with pytest.raises(PermissionDenied):
            sign_off(draft, actor=outsider, now=START)
    assert sign_off(draft, actor=org.office_head, now=START).signed_off_by == org.office_head


def holding_template():
    return HoldingTemplate.objects.get(government=None, name="快报事实 · 首次通报")


def test_a_returned_gate_is_never_skipped_nor_a_blank_left(org, incident, reviewers):
    returned = create_draft(
        incident, kind="holding", channels=["weibo"], template=holding_template(), actor=org.duty_officer, now=START
    )
    decide_gate(returned, "legal", decision="return", comment="措辞不当", actor=reviewers["legal"], now=START)
    with pytest.raises(ValidationError, match="Returned at"):
        sign_off(returned, actor=org.leader, now=START)
    follow_up = HoldingTemplate.objects.get(government=None, name="再报进展 · 续报")
    blank_left = create_draft(
        incident, kind="holding", channels=["weibo"], template=follow_up, actor=org.duty_officer, now=START
    )
    with pytest.raises(ValidationError, match="blanks"):
        sign_off(blank_left, actor=org.leader, now=START)


def test_a_skip_records_how_much_of_the_template_went_out(org, incident):
    kept = create_draft(
        incident, kind="holding", channels=["weibo"], template=holding_template(), actor=org.duty_officer, now=START
    )
    rewritten = create_draft(
        incident,
        kind="holding",
        channels=["weibo"],
        template=holding_template(),
        text=TEXT,
        actor=org.duty_officer,
        now=START,
    )
    for draft in (kept, rewritten):
        sign_off(draft, actor=org.leader, now=START)
    shares = [event.detail["template_kept"] for event in incident.timeline.filter(kind=TimelineEvent.Kind.SIGNED_OFF)]
    assert shares[0] == 100
    assert shares[1] < 50


def test_a_decision_on_a_replaced_version_is_refused(org, incident, reviewers):
    draft = draft_of(org, incident)
    add_version(draft, text=TEXT + "续", actor=org.duty_officer, now=START)
    with pytest.raises(ValidationError, match="replaced"):
        decide_gate(draft, "policy", decision="approve", seen=1, actor=reviewers["policy"], now=START)
    decide_gate(draft, "policy", decision="approve", seen=2, actor=reviewers["policy"], now=START)


def test_a_statement_is_not_published_before_its_sign_off_nor_twice_on_one_channel(org, incident, reviewers):
    draft = draft_of(org, incident)
    approve_all(draft, reviewers)
    signed = START + timedelta(hours=2)
    sign_off(draft, actor=org.leader, now=signed)
    facts = {"evidence_url": "https://weibo.com/1", "actor": org.duty_officer, "now": signed}
    with pytest.raises(ValidationError) as refused:
        publish(draft, channel="weibo", published_at=signed - timedelta(minutes=30), **facts)
    assert "published_at" in refused.value.message_dict
    publish(draft, channel="weibo", published_at=signed, **facts)
    with pytest.raises(ValidationError) as twice:
        publish(draft, channel="weibo", published_at=signed, **facts)
    assert "channel" in twice.value.message_dict
    with pytest.raises(ValidationError, match="published"):
        add_version(draft, text=TEXT + "更正", actor=org.duty_officer, now=signed)


def test_the_text_check_answers_for_what_went_out(org, incident, reviewers):
    draft = published_statement(org, incident, reviewers)
    assert check_published_text(draft, TEXT) == {
        "matches": True,
        "sha256": draft.versions.get().sha256,
        "approved_sha256": draft.versions.get().sha256,
        "version": 1,
    }


def test_an_author_who_is_a_lead_leader_does_not_sign_off_their_own_draft(org, incident, reviewers):
    org.leader.groups.add(Group.objects.get_or_create(name="duty_officer")[0])
    draft = create_draft(incident, kind="statement", channels=["weibo"], text=TEXT, actor=org.leader, now=START)
    approve_all(draft, reviewers)
    with pytest.raises(PermissionDenied):
        sign_off(draft, actor=org.leader, now=START)
    assert sign_off(draft, actor=org.deputy, now=START).signed_off_by == org.deputy


def test_flags_read_through_spaces_and_full_width_forms(org, incident):
    draft = draft_of(org, incident, text="对此，无 可 奉 告。")
    assert [flag["phrase"] for flag in draft.versions.get().flags] == ["无可奉告"]


@pytest.mark.parametrize("text", [5, ["一"], {"a": 1}, True, "含\x00字符", "\ud800"])
def test_text_that_cannot_be_stored_is_refused_on_its_field(org, incident, text):
    with pytest.raises(ValidationError) as refused:
        draft_of(org, incident, text=text)
    assert list(refused.value.message_dict) == ["text"]


def test_a_template_with_odd_braces_still_prefills(org, incident):
    odd = HoldingTemplate.objects.create(name="奇怪模板", text="{department.name}{title:>99999}关于“{title}”的情况")
    draft = create_draft(incident, kind="holding", channels=["weibo"], template=odd, actor=org.duty_officer, now=START)
    assert draft.versions.get().text == f"{{department.name}}{{title:>99999}}关于“{incident.title}”的情况"


def test_co_handlers_draft_but_only_the_lead_publishes(org, incident, housing, reviewers):
    incident.co_departments.add(housing.department)
    draft = create_draft(
        incident, kind="statement", channels=["weibo"], text=TEXT, actor=housing.duty_officer, now=START
    )
    approve_all(draft, reviewers)
    sign_off(draft, actor=org.leader, now=START)
    with pytest.raises(PermissionDenied):
        publish(
            draft,
            channel="weibo",
            published_at=START,
            evidence_url="https://weibo.com/1",
            actor=housing.duty_officer,
            now=START,
        )


def test_a_draft_races_what_publishing_it_would_meet_never_the_press_conference(org, incident, reviewers):
    published_statement(org, incident, reviewers)
    create_draft(incident, kind="press_release", channels=["weibo"], text=TEXT, actor=org.duty_officer, now=START)

    raced = racing_for(incident, START)
    assert raced.obligation.kind == ObligationKind.FOLLOW_UP  # due after the press conference, yet what it meets
    assert incident.obligations.get(kind=ObligationKind.PRESS_CONFERENCE).due_at < raced.obligation.due_at


def test_any_leader_of_the_lead_department_reviews_but_only_its_two_posts_sign_off(org, incident):
    another_leader = PersonFactory(department=org.department, roles=["leader"])
    draft = draft_of(org, incident)
    decide_gate(draft, "legal", decision="approve", actor=another_leader, now=START)
    with pytest.raises(PermissionDenied):
        decide_gate(draft, "policy", decision="approve", actor=org.publicity_head, now=START)  # another department
    with pytest.raises(PermissionDenied):
        sign_off(draft, actor=another_leader, now=START)
