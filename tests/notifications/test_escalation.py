"""The escalation ladder as a pass records it: who is told, when, once, and when it stops."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from incidents.models import TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import regrade
from incidents.services.obligations import reschedule, waive
from notifications.acknowledgement import acknowledge
from notifications.enforcement import enforce
from notifications.models import EscalationPolicy, EscalationStep, Notification

from ..conftest import beijing

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def run_pass(at):
    with time_machine.travel(at, tick=False):
        return enforce(at)


def told(incident, channel="in_app", status="sent") -> list[tuple[str, str, str]]:
    """(obligation, step, person) for each notification, in the order they were recorded."""
    rows = Notification.objects.filter(incident=incident, channel=channel, status=status).order_by("pk")
    return [(n.obligation.kind, n.step, n.recipient.username) for n in rows]


def test_an_incident_logged_seven_hours_late_reaches_every_overdue_level_and_the_latest_repeat_in_one_pass(org, log):
    discovered = beijing(2026, 3, 10, 10)
    now = discovered + 7 * HOUR
    incident = log(discovered_at=discovered, now=now)

    run_pass(now)

    leader, office, publicity, mayor = (
        org.leader.username,
        org.office_head.username,
        org.publicity_head.username,
        org.mayor.username,
    )
    expected = [
        (kind, step, person)
        for kind in ("internal_report", "first_statement")
        for step, person in [
            ("overdue_l1", leader),
            ("overdue_l2", office),
            ("overdue_l2", publicity),
            ("overdue_l3", mayor),
        ]
    ]
    # The internal report's last level (due + 2 h) has been repeated once since (due + 4 h): the mayor
    # gets one message about it, naming the level; the repeat is on record, merged into it.
    assert sorted(told(incident)) == sorted(expected)
    merged = Notification.objects.get(incident=incident, step="repeat_1", channel="in_app")
    assert (merged.status, merged.recipient) == ("skipped", org.mayor)
    assert merged.error == "合并至“超时三级督办”，本轮一并通知。"
    assert merged.entry.step == "overdue_l3"
    assert sorted(told(incident, channel="email")) == sorted(expected)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{person}@example.gov.cn" for _kind, _step, person in expected
    )
    # The warnings came too late to matter: recorded as skipped, never sent.
    stale = Notification.objects.filter(incident=incident, step__in=["warning", "due_soon"])
    assert stale.exists()
    assert set(stale.values_list("status", flat=True)) == {"skipped"}
    assert set(stale.values_list("obligation__kind", flat=True)) == {"internal_report", "first_statement"}
    assert set(
        Notification.objects.filter(incident=incident, channel__in=["robot", "sms"]).values_list("status", flat=True)
    ) == {"skipped"}
    first_level = Notification.objects.get(
        incident=incident, obligation__kind="internal_report", step="overdue_l1", channel="in_app"
    )
    assert first_level.latency == 5 * HOUR

    rows, events = Notification.objects.count(), TimelineEvent.objects.count()
    summary = run_pass(now + timedelta(minutes=1))
    assert summary.steps_recorded == 0
    assert (Notification.objects.count(), TimelineEvent.objects.count()) == (rows, events)
    assert len(mail.outbox) == len(expected)


def test_the_ladder_climbs_step_by_step_to_the_right_people(org, log):
    discovered = beijing(2026, 3, 10, 10)
    incident = log(discovered_at=discovered, severity="general")
    response = incident.obligations.get(kind="response")
    climb = [
        (24, [("warning", org.duty_officer)]),
        (47, [("due_soon", org.duty_officer), ("due_soon", org.deputy)]),
        (48, [("overdue_l1", org.leader)]),
        (49, [("overdue_l2", org.office_head), ("overdue_l2", org.publicity_head)]),
        (52, [("overdue_l3", org.mayor)]),
        (54, [("repeat_1", org.mayor)]),
        (56, [("repeat_2", org.mayor)]),
    ]
    seen = 0
    for (hours, expected), (next_hours, _next) in zip(climb, [*climb[1:], (58, None)], strict=True):
        run_pass(discovered + hours * HOUR - timedelta(seconds=1))
        assert len(told_about(response)) == seen, f"nothing is sent before {hours} h"
        run_pass(discovered + hours * HOUR)
        new = told_about(response)[seen:]
        assert new == [(step, person.username) for step, person in expected]
        seen += len(new)
        response.refresh_from_db()
        assert response.next_step_at == discovered + next_hours * HOUR


def told_about(obligation) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(obligation=obligation, channel="in_app", status="sent").order_by("pk")
    return [(n.step, n.recipient.username) for n in rows]


def test_a_short_deadline_warns_half_an_hour_before_instead_of_an_hour(org, log):
    discovered = beijing(2026, 3, 10, 10)
    internal_report = log(discovered_at=discovered).obligations.get(kind="internal_report")

    run_pass(discovered + 1 * HOUR)
    run_pass(discovered + 1 * HOUR + timedelta(minutes=29))
    assert [step for step, _person in told_about(internal_report)] == ["warning"]
    run_pass(discovered + 1 * HOUR + timedelta(minutes=30))
    assert [step for step, _person in told_about(internal_report)] == ["warning", "due_soon", "due_soon"]


def test_a_stopped_scheduler_catches_up_with_only_the_latest_repeat(org, log):
    discovered = beijing(2026, 3, 10, 10)
    response = log(discovered_at=discovered, severity="general").obligations.get(kind="response")
    run_pass(discovered + 52 * HOUR)
    before = told_about(response)

    run_pass(discovered + 61 * HOUR)  # repeats were due at 54, 56, 58 and 60 h

    assert told_about(response)[len(before) :] == [("repeat_4", org.mayor.username)]
    response.refresh_from_db()
    assert response.next_step_at == discovered + 62 * HOUR


@pytest.mark.parametrize(
    ("logged_after", "sent", "skipped"),
    [
        (30 * HOUR, ["warning"], []),
        # The duty officer gets one message naming the later warning; the earlier is merged into it.
        (47.5 * HOUR, ["due_soon", "due_soon"], ["warning"]),
        (48 * HOUR, ["overdue_l1"], ["warning", "due_soon", "due_soon"]),
    ],
    ids=["warning-still-useful", "both-warnings-before-the-deadline", "stale-after-the-deadline"],
)
def test_a_late_warning_is_sent_only_while_it_is_still_ahead_of_the_deadline(log, logged_after, sent, skipped):
    discovered = beijing(2026, 3, 10, 10)
    now = discovered + logged_after
    response = log(discovered_at=discovered, now=now, severity="general").obligations.get(kind="response")

    run_pass(now)

    assert [step for step, _person in told_about(response)] == sent
    skipped_rows = Notification.objects.filter(obligation=response, channel="in_app", status="skipped")
    assert sorted(skipped_rows.values_list("step", flat=True)) == sorted(skipped)


@pytest.mark.parametrize("how", ["met", "waived"])
def test_an_obligation_met_or_waived_between_two_steps_gets_no_further_step(org, log, how):
    discovered = beijing(2026, 3, 10, 10)
    incident = log(discovered_at=discovered, severity="general")
    response = incident.obligations.get(kind="response")
    run_pass(discovered + 48 * HOUR)
    assert told_about(response)[-1] == ("overdue_l1", org.leader.username)

    then = discovered + 48 * HOUR + timedelta(minutes=30)
    with time_machine.travel(then, tick=False):
        if how == "met":
            record_action(
                incident,
                kind="statement",
                published_at=then,
                evidence_url="https://www.example.gov.cn/notice",
                actor=org.duty_officer,
                now=then,
            )
        else:
            waive(response, reason="与另一事件合并", approver=org.leader, now=then)
    steps_before = told_about(response)

    for hours in (49, 52, 60):
        run_pass(discovered + hours * HOUR)

    assert told_about(response) == steps_before


def test_an_acknowledgement_stops_repeats_to_that_person_only_never_a_higher_level(org, log):
    """A government's own ladder: the department's two leaders at the deadline, then one of them
    again with the mayor an hour later, repeated hourly."""
    policy = EscalationPolicy.objects.create(government=org.government, severity="general", repeat_every=HOUR)
    for code, offset, audiences in [
        ("overdue_l1", timedelta(0), ["principal_leader", "responsible_leader"]),
        ("overdue_l2", HOUR, ["principal_leader", "government_leader"]),
    ]:
        EscalationStep.objects.create(policy=policy, code=code, offset=offset, audiences=audiences, channels=["in_app"])
    discovered = beijing(2026, 3, 10, 10)
    response = log(discovered_at=discovered, severity="general").obligations.get(kind="response")
    run_pass(discovered + 48 * HOUR)
    first = Notification.objects.get(obligation=response, step="overdue_l1", recipient=org.leader)

    acknowledge(first, org.leader, discovered + 48 * HOUR + timedelta(minutes=5))
    run_pass(discovered + 49 * HOUR)
    run_pass(discovered + 50 * HOUR)

    assert told_about(response) == [
        ("overdue_l1", org.leader.username),
        ("overdue_l1", org.deputy.username),
        ("overdue_l2", org.leader.username),  # a higher level still reaches the one who acknowledged
        ("overdue_l2", org.mayor.username),
        ("repeat_1", org.mayor.username),  # the repeat reaches only who has not acknowledged
    ]


def test_editing_a_policy_never_changes_an_escalation_already_running(org, log):
    discovered = beijing(2026, 3, 10, 10)
    response = log(discovered_at=discovered, severity="general").obligations.get(kind="response")
    run_pass(discovered + 1 * HOUR)  # the first pass that sees the obligation freezes its ladder

    national = EscalationPolicy.objects.get(government=None, severity="general")
    national.steps.filter(code="overdue_l3").update(offset=10 * HOUR)
    national.steps.filter(code="warning").delete()
    run_pass(discovered + 24 * HOUR)
    run_pass(discovered + 52 * HOUR)

    steps = [step for step, _person in told_about(response)]
    assert steps[0] == "warning"
    assert "overdue_l3" in steps


def test_a_deadline_moved_later_is_escalated_again_when_it_passes(org, log):
    discovered = beijing(2026, 3, 10, 10)
    response = log(discovered_at=discovered, severity="general").obligations.get(kind="response")
    run_pass(discovered + 48 * HOUR)
    assert told_about(response)[-1] == ("overdue_l1", org.leader.username)

    with time_machine.travel(discovered + 50 * HOUR, tick=False):
        reschedule(response, discovered + 72 * HOUR, False, discovered + 50 * HOUR)
    run_pass(discovered + 50 * HOUR)
    run_pass(discovered + 71 * HOUR)
    before = len(told_about(response))
    run_pass(discovered + 72 * HOUR)

    assert told_about(response)[before:] == [("overdue_l1#2", org.leader.username)]


def test_regrading_to_major_brings_the_mayor_in_two_hours_after_the_deadline_not_four(org, log):
    discovered = beijing(2026, 3, 10, 10)
    incident = log(discovered_at=discovered, severity="general")
    internal_report = incident.obligations.get(kind="internal_report")
    run_pass(discovered + 1 * HOUR)  # the general ladder is frozen
    with time_machine.travel(discovered + 1 * HOUR, tick=False):
        regrade(incident, severity="major", reason="伤亡人数上升", actor=org.duty_officer, now=discovered + 1 * HOUR)

    run_pass(discovered + 1 * HOUR)
    run_pass(discovered + 4 * HOUR)

    # Regrading starts a new round of the escalation, so its steps carry the round in their key.
    assert ("overdue_l3#2", org.mayor.username) in told_about(internal_report)


def test_a_deadline_moved_a_little_during_repeats_keeps_their_rhythm(org, log):
    discovered = beijing(2026, 3, 10, 10)
    response = log(discovered_at=discovered, severity="general").obligations.get(kind="response")
    run_pass(discovered + 56 * HOUR)  # levels and the latest repeat (repeat_2 at 56 h) are out
    with time_machine.travel(discovered + 56 * HOUR, tick=False):
        reschedule(response, discovered + 48 * HOUR + 10 * MINUTE, False, discovered + 56 * HOUR)
    before = told_about(response)

    run_pass(discovered + 56 * HOUR + 5 * MINUTE)
    assert told_about(response) == before, "nobody is paged again for a deadline that moved ten minutes"
    run_pass(discovered + 58 * HOUR + 10 * MINUTE)

    assert told_about(response)[len(before) :] == [("repeat_3#2", org.mayor.username)]


def test_warnings_skipped_as_stale_go_out_when_the_deadline_moves_ahead_again(org, log):
    discovered = beijing(2026, 3, 10, 10)
    now = discovered + 49 * HOUR
    response = log(discovered_at=discovered, now=now, severity="general").obligations.get(kind="response")
    run_pass(now)  # the warnings are stale: the deadline (48 h) has passed
    with time_machine.travel(now, tick=False):
        reschedule(response, now + 30 * MINUTE, False, now)

    run_pass(now)

    assert [step for step, _person in told_about(response)] == [
        "overdue_l1",
        "overdue_l2",
        "overdue_l2",
        "due_soon#2",  # with the warning#2 merged into it: one message to the duty officer
        "due_soon#2",
    ]


def test_regrading_during_repeats_keeps_the_new_ladders_rhythm(org, log):
    discovered = beijing(2026, 3, 10, 10)
    incident = log(discovered_at=discovered, severity="major")
    internal_report = incident.obligations.get(kind="internal_report")
    run_pass(discovered + 8 * HOUR)  # major: the mayor at 4 h, repeats at 6 and 8 h
    with time_machine.travel(discovered + 9 * HOUR, tick=False):
        regrade(incident, severity="general", reason="影响范围缩小", actor=org.duty_officer, now=discovered + 9 * HOUR)
    before = told_about(internal_report)

    for hours in (9, 10):
        run_pass(discovered + hours * HOUR)

    # general: the mayor at 6 h, repeats at 8, 10, 12 h — the next one is due at 10 h, none before.
    assert told_about(internal_report)[len(before) :] == [("repeat_2#2", org.mayor.username)]
