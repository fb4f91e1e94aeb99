"""Structured logs (``LOG_FORMAT=json``): each line a JSON object with the request id, and the incident, obligation
and notification ids where it is about one; never an acknowledgement token or a provider's credential."""

import io
import json
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from gunicorn.config import Config

from notifications.enforcement import enforce
from notifications.models import Robot
from opinion_tracker.accesslog import GunicornLogger
from opinion_tracker.logs import JsonFormatter

from ..conftest import first_level_on

DISCOVERED_HOURS_AGO = 3


@pytest.fixture
def json_lines():
    """Every line logged while the test runs, formatted as the console formats them with ``LOG_FORMAT=json``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_every_answer_carries_a_request_id_and_keeps_a_proxys(db):
    made = Client().get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c21")["X-Request-ID"] == "edge-7f3a9c21"
    odd = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", odd), "an id that does not look like one is replaced"


def test_a_line_logged_in_a_request_names_it_and_never_the_token(db, json_lines):
    answer = Client().get("/ack/a-leaders-signed-token-0123456789/")
    assert answer.status_code == 404
    [line] = [line for line in json_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == answer["X-Request-ID"]
    assert (line["level"], line["message"]) == ("WARNING", "Not Found: /ack/[redacted]/")
    assert "a-leaders-signed-token" not in json.dumps(json_lines())


def test_a_delivery_line_names_its_notification_and_not_the_robots_key(org, log, providers, json_lines):
    Robot.objects.create(department=org.department, provider="dingtalk", token="dt-rotated-0123456789", secret="")
    first_level_on(org, "robot")
    discovered = timezone.now() - timedelta(hours=DISCOVERED_HOURS_AGO)
    incident = log(discovered_at=discovered, now=discovered)
    enforce(timezone.now())  # the receiver does not know this key: a permanent failure, logged

    [line] = [line for line in json_lines() if line["message"].startswith("Delivery of notification")]
    notification = incident.notifications.get(channel="robot")
    assert (line["notification"], line["obligation"], line["incident"]) == (
        notification.pk,
        notification.obligation_id,
        incident.pk,
    )
    assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert "dt-rotated-0123456789" not in json.dumps(json_lines())


def console_output(write) -> str:
    """What LOGGING's console (in the text format here) writes while ``write`` runs."""
    [console] = [handler for handler in logging.getLogger().handlers if handler.get_name() == "console"]
    written = io.StringIO()
    before = console.setStream(written)
    try:
        write()
    finally:
        console.setStream(before)
    return written.getvalue()


def log_a_failure_quoting_a_link():
    try:
        raise ValueError("the receiver answered 500: <a href='/ack/a-leaders-signed-token-0123456789/'>")
    except ValueError:
        logging.getLogger("notifications.delivery").exception("Delivery of notification 812 failed")


def test_a_traceback_quoting_an_acknowledgement_link_is_written_without_its_token(json_lines):
    text = console_output(log_a_failure_quoting_a_link)
    assert "ValueError: the receiver answered 500: <a href='/ack/[redacted]/'>" in text
    assert "[ERROR] notifications.delivery: Delivery of notification 812 failed" in text
    [line] = json_lines()
    assert "/ack/[redacted]/" in line["exception"]
    assert "a-leaders-signed-token" not in text + json.dumps(line)


def test_celery_workers_log_through_the_trackers_console_in_either_format():
    """Celery's own handlers, in place of the root logger's, would write tokens unredacted."""
    from opinion_tracker.celery import app

    assert app.conf.worker_hijack_root_logger is False


def test_gunicorns_access_line_is_json_too_with_the_request_id(monkeypatch, capsys):
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = Config()
    config.set("accesslog", "-")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/ack/a-leaders-signed-token-0123456789/?from=mail",
        "PATH_INFO": "/ack/a-leaders-signed-token-0123456789/",
        "QUERY_STRING": "from=mail",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="404 Not Found", headers=[("X-Request-ID", "edge-7f3a9c21")], sent=512)

    GunicornLogger(config).access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))

    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["path"] == "/ack/[redacted]/"
    assert (line["method"], line["status"], line["bytes"], line["request_id"]) == ("GET", 404, 512, "edge-7f3a9c21")
    assert line["duration_ms"] == 3.0


def test_a_refused_post_to_an_acknowledgement_link_logs_no_token_in_text_either(db):
    """Django's CSRF refusal ("Forbidden (CSRF cookie not set.): /ack/…/") names the path; the console (LOGGING's,
    in the text format here) takes the token out of every line, whichever logger wrote it."""
    client, answers = Client(enforce_csrf_checks=True), []
    written = console_output(lambda: answers.append(client.post("/ack/a-leaders-signed-token-0123456789/")))
    assert answers[0].status_code == 403
    assert "/ack/[redacted]/" in written
    assert "a-leaders-signed-token" not in written
