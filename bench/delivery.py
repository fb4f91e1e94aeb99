"""Benchmark of delivery on PostgreSQL (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/delivery.py [inline] [workers] [--channel webhook|email] [--runs N] [--smoke]
                                       [--smtp-sink PATH]

10,000 notifications pending at once (one escalation step of 10,000 obligations, one recipient each), delivered to
receivers on 127.0.0.1 that answer at once (``bench/_sinks.py``, a process of its own): the signed webhook, or
email to an SMTP server. Robots are not a throughput figure: their providers allow 20 messages a minute.
- inline: this process delivers, as the embedded scheduler's delivery job does in ``runtracker``;
- workers: two Celery delivery workers, started as docker-compose starts them, with this process queueing what is
  due every enforcement interval, as the pass does under beat.
Each run times from the first hand-over until every notification is ``sent``, then checks that the receiver got each
exactly once. ``--smoke``: a few hundred, once, checking the counts but not the time (``make test`` runs it, so the
benchmark cannot rot unseen).
``--smtp-sink PATH``: mail goes to Postfix's ``smtp-sink`` (a test server written in C, answering at once) instead of
aiosmtpd, which is one Python process and on two cores takes a share of the machine the senders then lack. Debian's
``postfix`` package has it; to use it without installing Postfix, ``apt-get download postfix && dpkg -x postfix_*.deb
/tmp/postfix`` and pass ``/tmp/postfix/usr/sbin/smtp-sink`` (its libraries are found beside it).

Uses its own database, ``opinion_tracker_bench_delivery`` on 127.0.0.1, and Redis database 10.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from _environment import ROOT, free_port, remake_database, use_database, wait_until_up

DATABASE = "opinion_tracker_bench_delivery"
HTTP_PORT, SMTP_PORT = free_port(), free_port()
ENVIRONMENT = {
    "OUTBOUND_WEBHOOK_URL": f"http://127.0.0.1:{HTTP_PORT}/hook",
    "OUTBOUND_WEBHOOK_SECRET": "bench-only",
    "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "EMAIL_TIMEOUT": "5",
    "REDIS_URL": "redis://127.0.0.1:6379/10",
    "SITE_URL": "http://tracker.example.gov.cn",
}
DATABASE_URL = use_database(DATABASE, **ENVIRONMENT)

from _obligations import bulk_obligations, organisation  # noqa: E402
from django.conf import settings  # noqa: E402  (Django must be set up first)
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications.batches import deliver_due_inline, enqueue_due  # noqa: E402
from notifications.enforcement import enforce  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.tasks import deliver_notifications  # noqa: E402
from opinion_tracker.celery import app as celery_app  # noqa: E402

CELERY = Path(sys.executable).parent / "celery"
WORKER = [CELERY, "-A", "opinion_tracker", "worker", "--queues", "delivery", "--loglevel", "WARNING"]
WORKERS = 2


def deliver_nothing(now):
    return 0


def pending(count: int, channel: str) -> None:
    """``count`` notifications on ``channel``, pending since a pass recorded their step a minute ago."""
    remake_database(DATABASE)
    department = organisation([channel])
    due = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    bulk_obligations(department, count, due, next_step_at=due - timedelta(hours=2))
    enforce(due - timedelta(hours=2), deliver=deliver_nothing)  # the plans frozen, as after logging
    enforce(due, deliver=deliver_nothing)
    assert Notification.objects.filter(status=Notification.Status.PENDING).count() == count
    connection.close()


def received(reset=False) -> dict:
    """What the sinks received (since the last reset, and before this one)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/{'reset' if reset else 'count'}", timeout=5) as answer:
        return json.load(answer)


def all_sent(count: int) -> bool:
    return Notification.objects.filter(status=Notification.Status.SENT).count() == count


def inline(count: int) -> float:
    started = time.perf_counter()
    while deliver_due_inline(timezone.now()):
        pass
    elapsed = time.perf_counter() - started
    assert all_sent(count)
    return elapsed


def start_workers() -> list[subprocess.Popen]:
    """Two delivery workers, as docker-compose's ``worker`` service runs them (``--scale worker=2``)."""
    environment = {**os.environ, **ENVIRONMENT, "DATABASE_URL": DATABASE_URL, "LOG_LEVEL": "WARNING"}
    workers = [
        subprocess.Popen(
            [*WORKER, "--hostname", f"bench-{number}@%h"],
            cwd=ROOT,
            env=environment,
        )
        for number in range(WORKERS)
    ]
    deadline = time.monotonic() + 60
    while len(celery_app.control.ping(timeout=0.5) or []) < WORKERS:
        assert time.monotonic() < deadline, "the delivery workers did not start"
    return workers


def with_workers(count: int) -> float:
    celery_app.connection_for_write().default_channel.client.flushdb()  # nothing queued by an earlier run
    workers = start_workers()
    try:
        started = time.perf_counter()
        queued_at = -settings.ENFORCEMENT_INTERVAL_SECONDS
        while not all_sent(count):
            if time.perf_counter() - started >= queued_at + settings.ENFORCEMENT_INTERVAL_SECONDS:
                queued_at = time.perf_counter() - started
                enqueue_due(timezone.now(), enqueue=deliver_notifications.delay)
            assert time.perf_counter() - started < 600, "not delivered within ten minutes"
            time.sleep(0.2)
        return time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()


def run(scenario: str, count: int, channel: str) -> float:
    pending(count, channel)
    received(reset=True)  # each run's ids start again from 1
    seconds = {"inline": inline, "workers": with_workers}[scenario](count)
    got = received()
    if channel == "webhook":
        assert got["webhook"] == count, got
        assert got["webhook_ids"] == count, "a delivery id arrived twice"
    else:
        assert got["mail"] == count, got
        assert got["mail_ids"] == count, "a mail arrived twice"
    return seconds


@contextmanager
def smtp_sink(path: str | None):
    """Postfix's ``smtp-sink`` on ``SMTP_PORT``, appending every message to a file; yields the file (None: no sink)."""
    if path is None:
        yield None
        return
    libraries = Path(path).resolve().parent.parent / "lib" / "postfix"  # where ``dpkg -x`` put them
    environment = dict(os.environ)
    if libraries.is_dir():
        environment["LD_LIBRARY_PATH"] = os.pathsep.join(
            filter(None, [str(libraries), os.environ.get("LD_LIBRARY_PATH")])
        )
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o777)  # run as root, the sink writes as nobody
        dump = Path(directory) / "mail"
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        sink = subprocess.Popen(
            [path, *user, "-h", "sink", "-D", str(dump), f"127.0.0.1:{SMTP_PORT}", "1024"], env=environment
        )
        try:
            wait_until_up(
                lambda: socket.create_connection(("127.0.0.1", SMTP_PORT), timeout=1).close(), "smtp-sink", sink
            )
            yield dump
        finally:
            sink.terminate()
            sink.wait()


def main(scenarios, count: int, runs: int, channel: str, smtp_sink_path: str | None):
    with smtp_sink(smtp_sink_path) as dump:
        sinks = subprocess.Popen(
            [
                sys.executable,
                ROOT / "bench" / "_sinks.py",
                str(HTTP_PORT),
                str(SMTP_PORT),
                *([str(dump)] if dump else []),
            ]
        )
        try:
            wait_until_up(received, "the sinks", sinks)
            for scenario in scenarios:
                times = [run(scenario, count, channel) for _ in range(runs)]
                rates = sorted(count / seconds for seconds in times)
                print(
                    f"{scenario}, {count:,} {channel} notifications: median {statistics.median(times):.2f} s "
                    f"({statistics.median(rates):,.0f}/s; runs {', '.join(f'{rate:,.0f}' for rate in rates)}/s), "
                    f"load {os.getloadavg()[0]:.2f}"
                )
        finally:
            sinks.terminate()
            sinks.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["inline", "workers"])
    parser.add_argument("--channel", choices=["webhook", "email"], default="webhook")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a few hundred, once, untimed")
    parser.add_argument("--smtp-sink", metavar="PATH", help="Postfix's smtp-sink to receive mail, not aiosmtpd")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.count, arguments.runs = 300, 1
    main(arguments.scenarios, arguments.count, arguments.runs, arguments.channel, arguments.smtp_sink)
