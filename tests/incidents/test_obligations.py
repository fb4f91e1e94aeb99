"""Each severity gets exactly the obligations and deadlines of docs/rules.md, on the right clocks."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from incidents.models import TimelineEvent
from incidents.services.actions import record_action

from ..conftest import beijing, obligations_by_kind

# A Tuesday in an ordinary 2026 week: the verification report is due at the end of Thursday.
DISCOVERED = beijing(2026, 3, 10, 10, 0)
END_OF_THURSDAY = beijing(2026, 3, 13, 0, 0)
H = timedelta(hours=1)


# The deadlines of docs/rules.md, each written once; a severity's expected obligations are the union of its groups.
# Every severity: the internal report (2 h from discovery) and the verification report (2 working days).
EVERY_SEVERITY = {"internal_report": DISCOVERED + 2 * H, "verification_report": END_OF_THURSDAY}
# 特别重大 and 重大: authoritative information within 5 h and a press conference within 24 h.
MAJOR_AND_ABOVE = {"first_statement": DISCOVERED + 5 * H, "press_conference": DISCOVERED + 24 * H}
# 较大 and 一般: a response within 48 h.
BELOW_MAJOR = {"response": DISCOVERED + 48 * H}


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("especially_major", EVERY_SEVERITY | MAJOR_AND_ABOVE),
        ("major", EVERY_SEVERITY | MAJOR_AND_ABOVE),
        ("relatively_major", EVERY_SEVERITY | BELOW_MAJOR),
        ("general", EVERY_SEVERITY | BELOW_MAJOR),
    ],
)
def test_each_severity_gets_the_obligations_and_deadlines_of_the_rules(log, severity, expected):
    incident = log(severity=severity, discovered_at=DISCOVERED)

    obligations = obligations_by_kind(incident)
    assert {kind: o.due_at for kind, o in obligations.items()} == expected
    assert all(o.state == "pending" and not o.provisional for o in obligations.values())


def test_the_event_clock_starts_at_the_earlier_of_occurrence_and_discovery(log):
    occurred = DISCOVERED - 3 * H
    incident = log(discovered_at=DISCOVERED, occurred_at=occurred)

    obligations = obligations_by_kind(incident)
    assert incident.clock_started_at == occurred
    assert obligations["first_statement"].due_at == occurred + 5 * H
    assert obligations["press_conference"].due_at == occurred + 24 * H
    # The internal report runs from discovery, whatever the event time.
    assert obligations["internal_report"].due_at == DISCOVERED + 2 * H


def test_an_occurrence_reported_just_after_discovery_does_not_move_the_clock(log):
    incident = log(discovered_at=DISCOVERED, occurred_at=DISCOVERED + timedelta(minutes=3))

    assert incident.clock_started_at == DISCOVERED
    assert obligations_by_kind(incident)["first_statement"].due_at == DISCOVERED + 5 * H


def test_logging_late_never_buys_time(log):
    logged = DISCOVERED + 7 * H
    with time_machine.travel(logged, tick=False):
        incident = log(discovered_at=DISCOVERED, now=logged)
        call_command("enforce_deadlines", "--once")

    states = {kind: o.state for kind, o in obligations_by_kind(incident).items()}
    assert states == {
        "internal_report": "overdue",
        "first_statement": "overdue",
        "press_conference": "pending",
        "verification_report": "pending",
    }
    logged_event = incident.timeline.get(kind=TimelineEvent.Kind.LOGGED)
    assert logged_event.detail["logging_delay_seconds"] == 7 * 3600


def test_the_pass_marks_obligations_overdue_as_their_deadlines_pass(log):
    incident = log(discovered_at=DISCOVERED)

    with time_machine.travel(DISCOVERED + 2 * H - timedelta(seconds=1), tick=False):
        call_command("enforce_deadlines", "--once")
    assert obligations_by_kind(incident)["internal_report"].state == "pending"

    with time_machine.travel(DISCOVERED + 2 * H, tick=False):
        call_command("enforce_deadlines", "--once")
        call_command("enforce_deadlines", "--once")
    assert obligations_by_kind(incident)["internal_report"].state == "overdue"
    assert obligations_by_kind(incident)["first_statement"].state == "pending"
    assert incident.timeline.filter(kind=TimelineEvent.Kind.OBLIGATION_OVERDUE).count() == 1


@pytest.mark.parametrize(
    ("published_after", "state"),
    [(5 * H - timedelta(minutes=1), "met"), (5 * H, "met"), (5 * H + timedelta(minutes=1), "met_late")],
)
def test_a_statement_meets_the_first_statement_on_time_or_late(log, org, published_after, state):
    incident = log(discovered_at=DISCOVERED)
    published = DISCOVERED + published_after

    action = record_action(
        incident,
        kind="statement",
        channel="weibo",
        published_at=published,
        evidence_url="https://weibo.com/123",
        actor=org.duty_officer,
        now=published + timedelta(minutes=10),
    )

    first_statement = obligations_by_kind(incident)["first_statement"]
    assert (first_statement.state, first_statement.met_at, first_statement.met_by) == (state, published, action)
    # A statement is not a press conference.
    assert obligations_by_kind(incident)["press_conference"].state == "pending"


def test_evidence_recorded_after_the_deadline_counts_from_its_publication(log, org):
    incident = log(discovered_at=DISCOVERED)
    with time_machine.travel(DISCOVERED + 6 * H, tick=False):
        call_command("enforce_deadlines", "--once")
    assert obligations_by_kind(incident)["first_statement"].state == "overdue"

    record_action(
        incident,
        kind="statement",
        published_at=DISCOVERED + 4 * H,
        evidence_url="https://www.gov.cn/notice",
        actor=org.duty_officer,
        now=DISCOVERED + 6 * H,
    )

    assert obligations_by_kind(incident)["first_statement"].state == "met"


def test_a_briefing_meets_the_press_conference_and_the_first_statement(log, org):
    incident = log(discovered_at=DISCOVERED)

    record_action(
        incident,
        kind="briefing",
        published_at=DISCOVERED + 3 * H,
        evidence_url="https://www.gov.cn/briefing",
        actor=org.duty_officer,
        now=DISCOVERED + 3 * H,
    )

    obligations = obligations_by_kind(incident)
    assert obligations["first_statement"].state == "met"
    assert obligations["press_conference"].state == "met"
    assert obligations["internal_report"].state == "pending"


def test_internal_reports_meet_only_their_own_obligations(log, org):
    incident = log(discovered_at=DISCOVERED)

    record_action(incident, kind="internal_report", published_at=DISCOVERED + H, summary="已报告", now=DISCOVERED + H)
    record_action(
        incident, kind="verification_report", published_at=DISCOVERED + 30 * H, summary="核实", now=DISCOVERED + 30 * H
    )

    states = {kind: o.state for kind, o in obligations_by_kind(incident).items()}
    assert states == {
        "internal_report": "met",
        "first_statement": "pending",
        "press_conference": "pending",
        "verification_report": "met",
    }


def statement(incident, at, now=None):
    return record_action(
        incident, kind="statement", published_at=at, evidence_url="https://www.gov.cn/n", now=now or at
    )


def follow_ups(incident):
    return list(
        incident.obligations.filter(kind="follow_up")
        .order_by("clock_started_at")
        .values_list("clock_started_at", "due_at", "state")
    )


def test_each_public_response_starts_the_next_follow_up_for_grave_incidents(log):
    incident = log(discovered_at=DISCOVERED)

    statement(incident, DISCOVERED + 3 * H)
    statement(incident, DISCOVERED + 20 * H)
    statement(incident, DISCOVERED + 50 * H)

    assert follow_ups(incident) == [
        (DISCOVERED + 3 * H, DISCOVERED + 27 * H, "met"),
        (DISCOVERED + 20 * H, DISCOVERED + 44 * H, "met_late"),
        (DISCOVERED + 50 * H, DISCOVERED + 74 * H, "pending"),
    ]


def test_a_back_filled_earlier_response_does_not_restart_the_follow_up(log):
    incident = log(discovered_at=DISCOVERED)
    statement(incident, DISCOVERED + 10 * H)

    statement(incident, DISCOVERED + 3 * H, now=DISCOVERED + 11 * H)

    assert follow_ups(incident) == [(DISCOVERED + 10 * H, DISCOVERED + 34 * H, "pending")]
    assert obligations_by_kind(incident)["first_statement"].met_at == DISCOVERED + 3 * H


def test_general_incidents_have_no_follow_up(log):
    incident = log(severity="general", discovered_at=DISCOVERED)

    statement(incident, DISCOVERED + 3 * H)

    assert follow_ups(incident) == []
    assert obligations_by_kind(incident)["response"].state == "met"


def test_every_change_is_on_the_timeline_oldest_first(log, org):
    incident = log(discovered_at=DISCOVERED)
    statement(incident, DISCOVERED + 3 * H)

    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[0] == "logged"
    assert kinds.count("obligation_added") == 5  # four at logging, then the follow-up
    assert {"action_recorded", "obligation_met"} <= set(kinds)
    event = incident.timeline.get(kind="logged")
    assert event.actor == org.duty_officer


def test_timeline_events_cannot_be_changed_or_deleted(log):
    event = log(discovered_at=DISCOVERED).timeline.first()

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_a_back_filled_response_meets_the_follow_up_it_falls_in(log):
    incident = log(discovered_at=DISCOVERED)
    statement(incident, DISCOVERED + 3 * H)
    statement(incident, DISCOVERED + 30 * H)

    statement(incident, DISCOVERED + 20 * H, now=DISCOVERED + 31 * H)

    assert follow_ups(incident) == [
        (DISCOVERED + 3 * H, DISCOVERED + 27 * H, "met"),
        (DISCOVERED + 30 * H, DISCOVERED + 54 * H, "pending"),
    ]


def test_the_same_statement_on_a_second_platform_does_not_meet_its_own_follow_up(log):
    incident = log(discovered_at=DISCOVERED)
    statement(incident, DISCOVERED + 3 * H)

    statement(incident, DISCOVERED + 3 * H)

    assert follow_ups(incident) == [(DISCOVERED + 3 * H, DISCOVERED + 27 * H, "pending")]
