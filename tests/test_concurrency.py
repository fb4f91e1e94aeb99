"""On PostgreSQL, the enforcement pass and people recording actions work on the same incidents at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections

from incidents.models import Obligation
from incidents.services.actions import record_action
from incidents.services.incidents import log_incident
from notifications.enforcement import enforce

from .conftest import beijing

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
def test_passes_and_actions_on_the_same_incidents_neither_deadlock_nor_lose_anything(org):
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
