"""Regrading, closing and waiving: nothing silently dropped, every change on the timeline."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.services.actions import record_action
from incidents.services.incidents import close, regrade
from incidents.services.obligations import waive

from ..conftest import beijing, obligations_by_kind

DISCOVERED = beijing(2026, 3, 10, 10, 0)
H = timedelta(hours=1)


def statement_at_3h(incident):
    record_action(
        incident,
        kind="statement",
        published_at=DISCOVERED + 3 * H,
        evidence_url="https://gov.cn/a",
        now=DISCOVERED + 3 * H,
    )


def states(incident):
    return {o.kind: (o.state, o.waived_reason) for o in incident.obligations.all()}


def test_regrading_down_keeps_met_obligations_and_waives_the_dropped_ones(log, org):
    incident = log(severity="major", discovered_at=DISCOVERED)
    statement_at_3h(incident)

    regrade(incident, severity="general", reason="经核实影响有限", actor=org.leader, now=DISCOVERED + 4 * H)

    assert states(incident) == {
        "internal_report": ("pending", ""),
        "first_statement": ("met", ""),
        "press_conference": ("waived", "regraded"),
        "follow_up": ("waived", "regraded"),
        # The new response obligation is met at once by the statement already recorded.
        "response": ("met", ""),
        "verification_report": ("pending", ""),
    }
    response = obligations_by_kind(incident)["response"]
    assert response.due_at == DISCOVERED + 48 * H
    regraded = incident.timeline.get(kind="regraded")
    assert (regraded.detail["before"], regraded.detail["after"], regraded.actor) == ("major", "general", org.leader)
    assert incident.obligations.get(kind="press_conference").waived_by == org.leader


def test_regrading_up_adds_obligations_from_the_same_clock_start(log, org):
    incident = log(severity="general", discovered_at=DISCOVERED)

    regrade(incident, severity="especially_major", reason="事态升级", actor=org.leader, now=DISCOVERED + 6 * H)

    obligations = obligations_by_kind(incident)
    assert obligations["first_statement"].due_at == DISCOVERED + 5 * H
    assert obligations["first_statement"].state == "overdue"  # already past when it appeared
    assert obligations["press_conference"].due_at == DISCOVERED + 24 * H
    assert obligations["press_conference"].state == "pending"
    assert incident.obligations.get(kind="response").waived_reason == "regraded"


def test_regrading_back_up_restarts_the_follow_up_from_the_latest_response(log, org):
    incident = log(severity="major", discovered_at=DISCOVERED)
    statement_at_3h(incident)
    regrade(incident, severity="general", reason="降级", actor=org.leader, now=DISCOVERED + 4 * H)

    regrade(incident, severity="major", reason="再次升级", actor=org.leader, now=DISCOVERED + 5 * H)

    follow_up = incident.obligations.get(kind="follow_up", state="pending")
    assert follow_up.due_at == DISCOVERED + 27 * H


def test_closing_waives_the_waiting_follow_up_and_records_why(log, org):
    incident = log(severity="major", discovered_at=DISCOVERED)
    for kind, at in [("internal_report", H), ("press_conference", 4 * H), ("verification_report", 30 * H)]:
        record_action(
            incident,
            kind=kind,
            published_at=DISCOVERED + at,
            summary="材料",
            evidence_url="https://gov.cn/x",
            now=DISCOVERED + at,
        )

    close(incident, reason="舆情平息", actor=org.duty_officer, now=DISCOVERED + 31 * H)

    incident.refresh_from_db()
    assert incident.state == "closed"
    assert incident.obligations.get(kind="follow_up").waived_reason == "closed"
    assert incident.timeline.last().kind == "closed"


def test_closing_with_open_obligations_is_refused_and_names_them(log, org):
    incident = log(severity="general", discovered_at=DISCOVERED)

    with pytest.raises(ValidationError) as error:
        close(incident, reason="结束", actor=org.duty_officer, now=DISCOVERED + H)

    assert "内部报告" in str(error.value.message_dict["non_field_errors"])
    incident.refresh_from_db()
    assert incident.state == "open"


def test_waiving_records_the_approver_and_the_reason(log, org):
    incident = log(discovered_at=DISCOVERED)
    obligation = obligations_by_kind(incident)["press_conference"]

    waive(obligation, reason="与另一事件合并", approver=org.leader, now=DISCOVERED + H)

    obligation.refresh_from_db()
    assert (obligation.state, obligation.waived_reason, obligation.waived_by) == (
        "waived",
        "与另一事件合并",
        org.leader,
    )
    event = incident.timeline.get(kind="waived")
    assert (event.actor, event.detail["reason"]) == (org.leader, "与另一事件合并")


def test_a_met_obligation_cannot_be_waived(log, org):
    incident = log(discovered_at=DISCOVERED)
    record_action(incident, kind="internal_report", published_at=DISCOVERED + H, summary="报告", now=DISCOVERED + H)

    with pytest.raises(ValidationError):
        waive(obligations_by_kind(incident)["internal_report"], reason="x", approver=org.leader, now=DISCOVERED + H)
    assert obligations_by_kind(incident)["internal_report"].state == "met"


def test_regrading_never_brings_back_an_obligation_a_leader_waived(log, org):
    incident = log(severity="major", discovered_at=DISCOVERED)
    press_conference = obligations_by_kind(incident)["press_conference"]
    waive(press_conference, reason="合并至另一事件", approver=org.leader, now=DISCOVERED)

    regrade(incident, severity="especially_major", reason="升级", actor=org.leader, now=DISCOVERED + H)

    assert list(incident.obligations.filter(kind="press_conference").values_list("state", flat=True)) == ["waived"]


def test_obligations_added_by_regrading_and_met_already_are_never_overdue(log, org):
    incident = log(severity="general", discovered_at=DISCOVERED)
    statement_at_3h(incident)

    regrade(incident, severity="major", reason="升级", actor=org.leader, now=DISCOVERED + 6 * H)

    first_statement = obligations_by_kind(incident)["first_statement"]
    assert first_statement.state == "met"
    assert not incident.timeline.filter(obligation=first_statement, kind="obligation_overdue").exists()


def test_regrading_moves_an_open_deadline_the_new_severity_sets_differently(log, org):
    from incidents.models import ObligationPolicy

    ObligationPolicy.objects.create(
        government=org.government, severity="especially_major", kind="internal_report", clock="discovery", offset=H
    )
    incident = log(severity="major", discovered_at=DISCOVERED)

    regrade(incident, severity="especially_major", reason="升级", actor=org.leader, now=DISCOVERED + 90 * H / 60)

    internal_report = obligations_by_kind(incident)["internal_report"]
    assert (internal_report.due_at, internal_report.state) == (DISCOVERED + H, "overdue")
    assert incident.timeline.filter(obligation=internal_report, kind="deadline_recomputed").exists()
    assert incident.timeline.filter(obligation=internal_report, kind="obligation_overdue").exists()
