"""Bad input gets a clear error on its field, in Chinese by default and English on request, and writes nothing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from incidents.models import Action, Incident, Obligation, Role, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident, regrade
from incidents.services.obligations import waive
from statements.drafting import create_draft
from statements.models import Draft, DraftVersion, GateDecision
from statements.review import decide_gate, sign_off

from ..clients import client_for
from ..conftest import beijing, obligations_by_kind
from ..factories import PersonFactory

NOW = beijing(2026, 3, 10, 12, 0)
H = timedelta(hours=1)


def counts():
    return (Incident.objects.count(), Obligation.objects.count(), Action.objects.count(), TimelineEvent.objects.count())


def rejected(call) -> dict:
    """The field errors ``call`` raised; asserts it raised and wrote nothing."""
    before = counts()
    with pytest.raises(ValidationError) as error:
        call()
    assert counts() == before
    return error.value.message_dict


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"severity": "catastrophic"}, "severity", "“catastrophic”不是有效选项。"),
        ({"discovered_at": NOW + 10 * timedelta(minutes=1)}, "discovered_at", "该时间晚于当前时间"),
        ({"occurred_at": NOW - H + 6 * timedelta(minutes=1)}, "occurred_at", "事件发生时间不能晚于舆情发现时间"),
        ({"title": "   "}, "title", "此字段为必填项"),
    ],
)
def test_bad_incidents_are_refused_on_their_field(log, fields, field, message):
    errors = rejected(lambda: log(**{"discovered_at": NOW - H, "now": NOW, **fields}))

    assert list(errors) == [field]
    assert message in errors[field][0]


def test_a_time_a_few_minutes_ahead_of_the_clock_is_accepted(log):
    incident = log(discovered_at=NOW + timedelta(minutes=4), now=NOW)
    assert incident.pk


def test_errors_are_in_english_on_request(log):
    with translation.override("en"):
        errors = rejected(lambda: log(discovered_at=NOW + H, now=NOW))
    assert errors["discovered_at"] == ["This time is in the future; times may be at most 5 minutes ahead of now."]


@pytest.fixture
def incident(log):
    return log(discovered_at=NOW - H, now=NOW - H)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "statement", "published_at": NOW + H, "evidence_url": "https://gov.cn/a"}, "published_at"),
        ({"kind": "statement", "published_at": NOW - 2 * H, "evidence_url": "https://gov.cn/a"}, "published_at"),
        ({"kind": "statement", "published_at": NOW}, "evidence_url"),
        ({"kind": "statement", "published_at": NOW, "evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"kind": "internal_report", "published_at": NOW}, "summary"),
        ({"kind": "tweet", "published_at": NOW, "summary": "x"}, "kind"),
    ],
)
def test_bad_actions_are_refused_on_their_field(incident, fields, field):
    errors = rejected(lambda: record_action(incident, now=NOW, **fields))
    assert field in errors


def test_no_action_can_be_recorded_on_a_closed_incident(incident, org):
    for obligation in incident.obligations.all():
        waive(obligation, reason="合并至其他事件", approver=org.leader, now=NOW)
    close(incident, reason="合并", actor=org.duty_officer, now=NOW)

    errors = rejected(
        lambda: record_action(incident, kind="statement", published_at=NOW, evidence_url="https://gov.cn/a", now=NOW)
    )
    assert errors["non_field_errors"] == ["该事件已办结，不能再记录处置。"]


def test_a_waiver_without_reason_is_refused(incident, org):
    obligation = obligations_by_kind(incident)["first_statement"]

    errors = rejected(lambda: waive(obligation, reason=" ", approver=org.leader, now=NOW))

    assert errors == {"reason": ["此字段为必填项。"]}
    obligation.refresh_from_db()
    assert obligation.state == "pending"


def test_regrading_to_the_same_severity_is_refused(incident, org):
    errors = rejected(lambda: regrade(incident, severity="major", reason="复核", actor=org.leader, now=NOW))
    assert errors == {"severity": ["事件已是该级别。"]}


def test_regrading_needs_a_reason_and_a_known_severity(incident, org):
    errors = rejected(lambda: regrade(incident, severity="huge", reason="", actor=org.leader, now=NOW))
    assert set(errors) == {"severity", "reason"}


def test_a_time_before_1990_is_taken_for_a_typing_error(log):
    errors = rejected(lambda: log(discovered_at=beijing(1850, 1, 1), now=NOW))
    assert errors["discovered_at"] == ["该时间早于1990年，请检查年份。"]


def test_an_action_without_publication_time_is_refused(incident):
    errors = rejected(
        lambda: record_action(incident, kind="statement", published_at=None, evidence_url="https://a.cn", now=NOW)
    )
    assert errors["published_at"] == ["此字段为必填项。"]


def test_a_waiver_needs_a_named_approver(incident):
    first_statement = obligations_by_kind(incident)["first_statement"]
    errors = rejected(lambda: waive(first_statement, reason="合并", approver=None, now=NOW))
    assert "non_field_errors" in errors


@pytest.mark.django_db
def test_text_longer_than_its_field_is_refused_with_the_limit_and_nothing_is_written(org):
    with pytest.raises(ValidationError) as refused:
        log_incident(
            title="网传" * 101,
            severity="general",
            department=org.department,
            discovered_at=beijing(2026, 3, 10, 10),
            source_platform="微博" * 26,
            now=beijing(2026, 3, 10, 10),
        )

    assert refused.value.message_dict["title"] == ["最多 200 个字符（当前 202 个）。"]
    assert "source_platform" in refused.value.message_dict
    assert not Incident.objects.exists()


# --- statements through the API: each bad body is refused on its field, in Chinese or English, writing nothing ---

CJK = re.compile(r"[\u4e00-\u9fff]")
DRAFT = {"kind": "statement", "channels": ["weibo"], "text": "关于网传路面塌陷的情况通报。"}
PUBLISH = {"channel": "weibo", "published_at": "2026-03-10T12:00:00", "evidence_url": "https://weibo.com/jc/1"}
BAD_STATEMENT_BODIES = [
    ("drafts", {**DRAFT, "kind": "tweet"}, "kind"),
    ("drafts", {**DRAFT, "channels": "weibo"}, "channels"),
    ("drafts", {**DRAFT, "channels": []}, "channels"),
    ("drafts", {**DRAFT, "channels": ["weibo", "weibo"]}, "channels"),
    ("drafts", {**DRAFT, "channels": ["微" * 31]}, "channels"),
    ("drafts", {**DRAFT, "text": "   "}, "text"),
    ("drafts", {**DRAFT, "text": ["关于"]}, "text"),
    ("drafts", {**DRAFT, "text": "字" * 20_001}, "text"),
    ("drafts", {**DRAFT, "kind": "holding", "text": "", "template": 2**40}, "template"),
    ("drafts", {**DRAFT, "state": "published"}, "state"),
    ("versions", {"text": None}, "text"),
    ("versions", {"text": "新的版本", "number": 7}, "number"),
    ("gates/policy", {"decision": "maybe"}, "decision"),
    ("gates/policy", {"decision": "return", "comment": "  "}, "comment"),
    ("gates/policy", {"decision": "approve", "version": 0}, "version"),
    ("sign-off", {"acknowledge_flags": "perhaps"}, "acknowledge_flags"),
    ("sign-off", {"acknowledge_flags": True, "signed_off_by": 1}, "signed_off_by"),
    ("publish", {**PUBLISH, "channel": "tv"}, "channel"),
    ("publish", {**PUBLISH, "published_at": "soon"}, "published_at"),
    ("publish", {**PUBLISH, "published_at": "2026-03-10T13:00:00"}, "published_at"),
    ("publish", {**PUBLISH, "evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ("publish", {**PUBLISH, "evidence_url": ""}, "evidence_url"),
    ("publish", {**PUBLISH, "text": "另一段文字"}, "text"),
    ("verify", {"text": {"a": 1}}, "text"),
    ("verify", {}, "text"),
]


def statement_counts():
    return (Draft.objects.count(), DraftVersion.objects.count(), GateDecision.objects.count(), *counts())


@pytest.fixture
def signed_off_draft(incident, org):
    """A draft of ``incident`` whose first version passed its four gates and was signed off."""
    draft = create_draft(incident, **DRAFT, actor=org.duty_officer, now=NOW - H / 2)
    for gate in draft.gates:
        reviewer = PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=[gate])
        decide_gate(draft, gate, decision="approve", actor=reviewer, now=NOW - H / 2)
    sign_off(draft, actor=org.leader, now=NOW - H / 2)
    return draft


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("step", "body", "field"), BAD_STATEMENT_BODIES)
def test_bad_statement_bodies_are_refused_on_their_field(org, incident, signed_off_draft, step, body, field, language):
    path = f"/api/v1/incidents/{incident.pk}/drafts/" if step == "drafts" else f"/api/v1/drafts/{signed_off_draft.pk}/"
    person = org.leader if step == "sign-off" else org.duty_officer
    before = statement_counts()
    with time_machine.travel(NOW, tick=False):
        answer = client_for(person, language=language).post(
            path if step == "drafts" else f"{path}{step}/", body, format="json"
        )
    assert answer.status_code == 400, answer.content
    errors = answer.json()
    assert field in errors, errors
    in_chinese = bool(CJK.search(str(errors[field])))
    assert in_chinese == (language == "zh-hans"), errors
    assert statement_counts() == before
