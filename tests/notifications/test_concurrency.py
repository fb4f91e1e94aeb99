"""On PostgreSQL, the enforcement pass and people recording actions work on the same incidents at once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from incidents.models import Incident, Obligation, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from incidents.services.schedule import load_year
from notifications.delivery import claim
from notifications.enforcement import enforce
from notifications.models import Notification

from ..conftest import beijing

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")

DISCOVERED = beijing(2026, 3, 10, 10, 0)
H = timedelta(hours=1)


def in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connections.close_all()

    return run


@pytest.mark.django_db(transaction=True)
def test_passes_and_actions_on_the_same_incidents_neither_deadlock_nor_lose_anything(org, national_defaults):
    incidents = [
        log_incident(
            title=f"事件{n}", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED
        )
        for n in range(40)
    ]
    now = DISCOVERED + 6 * H

    def report(incident):
        record_action(incident, kind="internal_report", published_at=DISCOVERED + H, summary="报告", now=now)

    with ThreadPoolExecutor(max_workers=4) as pool:
        passes = [pool.submit(in_thread(enforce), now) for _ in range(3)]
        reports = [pool.submit(in_thread(report), incident) for incident in incidents]
        for future in passes + reports:
            future.result(timeout=60)

    assert set(Obligation.objects.filter(kind="internal_report").values_list("state", flat=True)) == {"met"}
    assert set(Obligation.objects.filter(kind="first_statement").values_list("state", flat=True)) == {"overdue"}


@pytest.mark.django_db(transaction=True)
def test_calendar_loads_and_reports_on_the_same_incidents_neither_deadlock_nor_lose_anything(org, national_defaults):
    """A calendar load recomputes provisional deadlines across many incidents while people record
    verification reports on them, newest incident first: both lock incidents before obligations."""
    year_end = beijing(2026, 12, 31, 10)
    incidents = [
        log_incident(
            title=f"事件{n}", severity="general", department=org.department, discovered_at=year_end, now=year_end
        )
        for n in range(40)
    ]
    now = beijing(2027, 1, 2)

    def report(incident):
        record_action(incident, kind="verification_report", published_at=now, summary="核查报告", now=now)

    def load_2027():
        load_year(2027, holidays=[date(2027, 1, 1), date(2027, 1, 4)], workdays=[], now=now)

    with ThreadPoolExecutor(max_workers=4) as pool:
        loads = [pool.submit(in_thread(load_2027)) for _ in range(3)]
        reports = [pool.submit(in_thread(report), incident) for incident in reversed(incidents)]
        for future in loads + reports:
            future.result(timeout=60)

    verifications = Obligation.objects.filter(kind="verification_report")
    assert set(verifications.values_list("state", flat=True)) == {"met"}
    assert set(verifications.values_list("provisional", flat=True)) == {False}
    assert set(verifications.values_list("due_at", flat=True)) == {beijing(2027, 1, 7)}


@pytest.mark.django_db(transaction=True)
def test_passes_running_at_once_over_a_thousand_due_obligations_record_each_step_exactly_once(
    org, settings, national_defaults
):
    settings.ENFORCEMENT_BATCH_SIZE = 50
    kinds = ["internal_report", "response", "first_statement", "verification_report"]
    incidents = Incident.objects.bulk_create(
        Incident(
            title=f"事件{n}",
            severity="general",
            department=org.department,
            discovered_at=DISCOVERED,
            logged_at=DISCOVERED,
        )
        for n in range(250)
    )
    Obligation.objects.bulk_create(
        Obligation(
            incident=incident,
            kind=kind,
            clock="discovery",
            clock_started_at=DISCOVERED,
            offset=2 * H,
            due_at=DISCOVERED + 2 * H,
            created_at=DISCOVERED,
            next_step_at=DISCOVERED,
            incident_discovered_at=DISCOVERED,
        )
        for incident in incidents
        for kind in kinds
    )
    now = DISCOVERED + 2 * H

    with ThreadPoolExecutor(max_workers=4) as pool:
        passes = [pool.submit(in_thread(enforce), now, lambda now: 0) for _ in range(4)]
        recorded = [future.result(timeout=120).steps_recorded for future in passes]

    # Per obligation: the stale warning and due-soon (skipped) and the first level, to the leader.
    assert sum(recorded) == 1000 * 3
    assert max(recorded) < 1000 * 3, "the passes shared the work"
    per_obligation = Notification.objects.values("obligation").annotate(rows=Count("pk"))
    assert per_obligation.count() == 1000
    assert {row["rows"] for row in per_obligation} == {2 + 6 + 4}
    levels = Notification.objects.filter(step="overdue_l1", channel="in_app", status="sent")
    assert levels.count() == 1000
    assert set(levels.values_list("recipient", flat=True)) == {org.leader.pk}
    assert TimelineEvent.objects.filter(kind="escalated").count() == 1000
    assert not Obligation.objects.filter(next_step_at__lte=now).exists()


@pytest.mark.django_db(transaction=True)
def test_a_claim_made_while_another_sender_is_claiming_the_same_notification_gets_nothing(org, national_defaults):
    log_incident(title="事件", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED)
    now = DISCOVERED + 2 * H
    enforce(now, deliver=lambda now: 0)
    notification = Notification.objects.filter(channel="email", status="pending").first()
    holding, release = threading.Event(), threading.Event()

    def first_claim_still_in_progress():
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk).update(available_at=now + H, attempts=1)
            holding.set()
            release.wait(30)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(in_thread(first_claim_still_in_progress))
        holding.wait(30)
        second = pool.submit(in_thread(claim), notification.pk, now)
        assert second.result(timeout=10) is None, "the row being claimed is skipped, not waited for nor taken"
        release.set()
        first.result(timeout=30)
    assert claim(notification.pk, now) is None, "and once the first claim is in, it holds the lease"
    assert Notification.objects.get(pk=notification.pk).attempts == 1
