"""The embedded default: one `runtracker` process serves the web and runs the enforcement pass."""

import json
import os
import sqlite3
import subprocess
import sys
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.db import connection

from ..mail import free_port
from ..processes import ROOT, Processes, answers, wait_for

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default runs on SQLite")


def health(port):
    try:
        with urlopen(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, json.load(response)
    except HTTPError as error:
        return error.code, json.load(error)


def test_runtracker_serves_the_web_and_runs_passes_and_nothing_else_starts_a_scheduler(tmp_path):
    database = tmp_path / "tracker.sqlite3"
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "tests-only-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ENFORCEMENT_INTERVAL_SECONDS": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM notifications_enforcementrun").fetchone() == (0,), (
            "migrating ran no pass: no scheduler starts with Django"
        )

    port = free_port()
    processes = Processes(tmp_path, env)
    processes.start("runtracker", sys.executable, "manage.py", "runtracker", f"127.0.0.1:{port}")
    try:
        wait_for(lambda: answers(port), "runtracker to listen", timeout=30)
        wait_for(lambda: health(port)[0] == 200, "a pass by the embedded scheduler")
        body = health(port)[1]
        assert body["database"] == "ok"
        first = body["last_sweep_at"]
        wait_for(lambda: health(port)[1]["last_sweep_at"] != first, "the next pass, a second later")
    finally:
        processes.stop_all()
