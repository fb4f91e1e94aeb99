"""Bad input gets a clear error on its field, in Chinese by default and English on request, and writes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from incidents.models import Action, Incident, Obligation, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident, regrade
from incidents.services.obligations import waive

from ..conftest import beijing, obligations_by_kind

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
