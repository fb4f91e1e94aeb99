"""``/metrics``: the tracker's figures in Prometheus's format, for a scraper with the token only, and the example
alert rules of docs/alerts.yml asking only for figures it serves, and firing when an operator should hear."""

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
import yaml
from django.db import connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from incidents.models import SignInFailure
from notifications.enforcement import enforce
from notifications.models import Notification

from ..conftest import beijing
from ..processes import ROOT

TOKEN = "scrape-token-for-tests"
# promtool as scripts/test.sh takes it out of Debian's prometheus package.
PROMTOOL = ROOT / ".venv" / "prometheus" / "usr" / "bin" / "promtool"
NOW = beijing(2026, 3, 10, 16)


@pytest.fixture(autouse=True)
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    with time_machine.travel(NOW, tick=False):
        yield


def scrape(token=TOKEN):
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def samples() -> dict:
    answer = scrape()
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(answer.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_only_a_scraper_with_the_token_reads_the_figures(settings, org, signed_in):
    assert scrape("wrong").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404, "the token, as a Bearer token"
    assert Client().get("/metrics").status_code == 404
    assert signed_in(org.leader).get("/metrics").status_code == 404, "a session is not the token"
    settings.METRICS_TOKEN = ""
    assert scrape("").status_code == 404, "no token configured: no metrics"


def test_the_figures_are_the_databases(org, log):
    """A 重大 incident logged 6 h ago: its internal report and first statement are overdue, the pass recorded
    their steps, whose copies wait to be sent; one was sent a minute after its step, one failed."""
    incident = log(discovered_at=NOW - timedelta(hours=6), now=NOW - timedelta(hours=6))
    enforce(NOW, deliver=lambda now: 0)
    SignInFailure.objects.create(address="10.0.0.9", username="someone", at=NOW - timedelta(minutes=3))
    obligation = incident.obligations.get(kind="internal_report")
    pending = Notification.objects.filter(status="pending", available_at__lte=NOW)
    assert pending.exists()
    oldest = pending.order_by("available_at").first()
    Notification.objects.filter(pk=oldest.pk).update(available_at=NOW - timedelta(minutes=7))
    # The inbox copies were sent as they were recorded; take them out of the latency window.
    Notification.objects.filter(status="sent").update(sent_at=NOW - timedelta(days=1))
    sent = Notification.objects.filter(obligation=obligation, status="pending").exclude(pk=oldest.pk).first()
    Notification.objects.filter(pk=sent.pk).update(
        status="sent", step_at=NOW - timedelta(seconds=61), held_until=None, sent_at=NOW - timedelta(seconds=1)
    )
    failed = Notification.objects.filter(status="pending").exclude(pk__in=[oldest.pk, sent.pk]).first()
    Notification.objects.filter(pk=failed.pk).update(status="failed")

    found = samples()
    assert found[("tracker_obligations_overdue", (("kind", "internal_report"),))] == 1
    assert found[("tracker_obligations_overdue", (("kind", "first_statement"),))] == 1
    assert found[("tracker_obligations_overdue", (("kind", "press_conference"),))] == 0
    assert found[("tracker_pass_last_finished_timestamp_seconds", ())] == NOW.timestamp()
    assert found[("tracker_pass_steps_recorded", ())] > 0
    assert found[("tracker_enforcement_interval_seconds", ())] == 10
    by_status = {
        (dict(labels)["channel"], dict(labels)["status"]): value
        for (name, labels), value in found.items()
        if name == "tracker_notifications"
    }
    assert sum(by_status.values()) == Notification.objects.count()
    assert by_status[(failed.channel, "failed")] == 1
    assert by_status[("feishu_app", "failed")] == 0, "every channel and status, zeros included"
    assert found[("tracker_deliveries_due", ())] == pending.count()
    assert found[("tracker_oldest_pending_notification_age_seconds", ())] == 7 * 60
    assert found[("tracker_delivery_latency_seconds", (("quantile", "0.5"),))] == 60
    assert found[("tracker_signin_failures_recent", ())] == 1
    if connection.vendor == "postgresql":  # production's shape: Celery's queues in Redis (none with SQLite)
        assert found[("tracker_broker_up", ())] == 1
        assert ("tracker_queue_length", (("queue", "delivery"),)) in found


def test_no_pass_yet_and_nothing_pending_reads_as_zero(db):
    found = samples()
    assert ("tracker_pass_last_finished_timestamp_seconds", ()) not in found, "no pass ever: nothing to show"
    assert found[("tracker_oldest_pending_notification_age_seconds", ())] == 0
    assert found[("tracker_deliveries_due", ())] == 0


def test_the_example_alerts_ask_for_figures_the_tracker_serves(org, log):
    log(discovered_at=NOW - timedelta(hours=6), now=NOW - timedelta(hours=6))
    enforce(NOW, deliver=lambda now: 0)
    served = {name for name, _labels in samples()} | {"tracker_broker_up"}  # the broker's only without SQLite
    rules = yaml.safe_load((ROOT / "docs" / "alerts.yml").read_text())["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} >= {
        "TrackerNoEnforcementPass",
        "TrackerNotificationWaiting",
        "TrackerChannelFailing",
    }
    for rule in rules:
        asked = set(re.findall(r"\btracker_[a-z_]+", rule["expr"]))
        assert asked, rule["alert"]
        assert asked <= served, (rule["alert"], asked - served)


@pytest.mark.skipif(
    not PROMTOOL.exists() and os.environ.get("CI") != "true", reason="promtool is not in .venv/prometheus"
)
def test_the_example_alerts_fire_when_and_only_when_an_operator_should_hear():
    """promtool evaluates docs/alerts.yml over the scraped figures of alert_rules_test.yml: passes that stop, and
    none ever finished; a copy waiting over five minutes; a channel failing now, not one that failed long ago; the
    broker down. Healthy figures scraped once a minute, Prometheus's default, half a minute before the rules are
    evaluated, raise nothing."""
    assert PROMTOOL.exists(), "promtool is missing (CI=true: scripts/test.sh takes it from Debian's prometheus)"
    tested = subprocess.run(
        [PROMTOOL, "test", "rules", "alert_rules_test.yml"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
