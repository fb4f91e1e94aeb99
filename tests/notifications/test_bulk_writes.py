"""The pass's writes of many rows at once (``opinion_tracker.lib.bulk``): the values a pass writes into notifications,
plans and obligations (times to the microsecond, intervals, JSON, Chinese text, empty and missing values) come back
as they went in, a row already there is skipped, and the statements are counted like any other (on PostgreSQL the
values go apart from them, in binary)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Obligation
from notifications.enforcement import enforce
from notifications.models import EscalationEntry, EscalationPlan, Notification
from opinion_tracker.lib.bulk import insert_rows, update_rows

from ..conftest import beijing

FIELDS = ["incident", "obligation", "step", "entry", "recipient", "channel", "status", "error", "step_at", "held_until"]
FIELDS += ["created_at", "latency", "available_at", "sent_at", "attempts"]
KEYS = {"incident", "obligation", "entry", "recipient"}
COLUMNS = [f"{name}_id" if name in KEYS else name for name in FIELDS]


def test_rows_written_in_bulk_come_back_as_they_went_in(org, log):
    discovered = beijing(2026, 3, 10, 10)
    incident = log(discovered_at=discovered, now=discovered)
    obligation = incident.obligations.order_by("pk").first()
    enforce(discovered)  # the plans are frozen
    at = beijing(2026, 3, 10, 15, 0, 1, 250)
    entry = EscalationEntry.objects.create(obligation=obligation, step="逾期一级", recipient=org.leader, created_at=at)
    rows = [
        (
            incident.pk,
            obligation.pk,
            "逾期一级",
            entry.pk,
            org.leader.pk,
            channel,
            status,
            error,
            at,
            held,
            at,
            lag,
            at,
            sent,
            0,
        )
        for channel, status, error, held, lag, sent in [
            ("in_app", "sent", "", None, timedelta(seconds=1, microseconds=5), at),
            ("email", "skipped", "没有邮箱地址。", at + timedelta(hours=1), timedelta(0), None),
        ]
    ]
    with CaptureQueriesContext(connection) as statements:
        insert_rows(Notification, FIELDS, rows)
        insert_rows(Notification, FIELDS, rows)  # the same rows again: skipped, not doubled
    assert sum("INSERT" in statement["sql"] for statement in statements) == 2
    assert list(Notification.objects.filter(entry=entry).order_by("pk").values_list(*COLUMNS)) == rows

    plan = EscalationPlan.objects.get(obligation=obligation)
    later = at + timedelta(days=2)
    update_rows(EscalationPlan, ["fired", "skipped", "repeats_fired"], {plan.pk: (["逾期一级"], [{"step": "预警"}], 2)})
    update_rows(Obligation, ["next_step_at"], {obligation.pk: (later,)})
    plan.refresh_from_db()
    assert (plan.fired, plan.skipped, plan.repeats_fired) == (["逾期一级"], [{"step": "预警"}], 2)
    assert Obligation.objects.get(pk=obligation.pk).next_step_at == later
    update_rows(Obligation, ["next_step_at"], {obligation.pk: (None,)})
    assert Obligation.objects.get(pk=obligation.pk).next_step_at is None
