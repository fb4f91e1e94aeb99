"""Benchmarks of the enforcement pass on PostgreSQL (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/escalation.py [burst] [idle] [latency]

Uses its own database, ``opinion_tracker_bench`` on 127.0.0.1 (dropped and made again), so it never
touches a database in use.
- burst: 10,000 obligations coming due at the same moment, each at the first overdue level with one
  recipient on two channels (20,000 notification rows): how long the passes take to record them, and
  the queries per batch at 1,000 and at 10,000 obligations.
- idle: a pass over 1,000,000 open obligations of which none is due.
- latency: with Celery beat every 10 s and a worker as processes, how long after its time each step
  of 300 obligations due over two minutes was recorded.
"""

import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

from _environment import ROOT, use_database

DATABASE = "opinion_tracker_bench"
use_database(DATABASE)

from django.conf import settings  # noqa: E402  (Django must be set up first)
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from incidents.models import Department, Person  # noqa: E402
from notifications.enforcement import enforce  # noqa: E402
from notifications.models import EscalationPolicy, EscalationStep, Notification  # noqa: E402


def deliver_nothing(now):
    """The delivery step left out: the benchmark times recording the steps."""
    return 0


def fresh_database():
    connection.close()
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {DATABASE}"], check=True
    )
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {DATABASE}"], check=True)
    call_command("migrate", verbosity=0)


def organisation(channels):
    """A government and a department whose principal leader is reached on ``channels`` at the deadline."""
    government = Department.objects.create(name="市政府", code="gov", is_government=True)
    department = Department.objects.create(name="市交通运输局", code="transport", parent=government)
    leader = Person.objects.create(username="leader", email="leader@example.gov.cn", department=department)
    department.principal_leader = leader
    department.save()
    policy = EscalationPolicy.objects.create(government=government, severity="general")
    EscalationStep.objects.create(
        policy=policy, code="overdue_l1", offset=timedelta(0), audiences=["principal_leader"], channels=channels
    )
    return department


def bulk_obligations(department, count, due_at, next_step_at):
    """``count`` open obligations (four per incident) in a few INSERT … SELECT statements."""
    incidents = (count + 3) // 4
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO incidents_incident (title, summary, severity, source_platform, source_url, discovered_at,
                   logged_at, department_id, state, close_reason)
               SELECT 'incident ' || n, '', 'general', '', '', %s, %s, %s, 'open', ''
               FROM generate_series(1, %s) AS n""",
            [due_at - timedelta(hours=2), due_at - timedelta(hours=2), department.pk, incidents],
        )
        cursor.execute(
            """INSERT INTO incidents_obligation (incident_id, kind, clock, clock_started_at, "offset", due_at,
                   provisional, state, waived_reason, next_step_at, created_at)
               SELECT i.id, k.kind, 'discovery', %s, interval '2 hours', %s, false, 'pending', '', %s, %s
               FROM incidents_incident i
               CROSS JOIN (VALUES ('internal_report'), ('response'), ('first_statement'), ('verification_report'))
                   AS k(kind)
               ORDER BY i.id LIMIT %s""",
            [due_at - timedelta(hours=2), due_at, next_step_at, due_at - timedelta(hours=2), count],
        )
        cursor.execute("ANALYZE")


def prepare_burst(count):
    """``count`` obligations whose plans a pass froze earlier, all coming due at ``due``."""
    fresh_database()
    department = organisation(["in_app", "email"])
    due = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    bulk_obligations(department, count, due, next_step_at=due - timedelta(hours=2))
    enforce(due - timedelta(hours=2), deliver=deliver_nothing)
    connection.close()
    return due


def one_pass(due):
    connection.close()  # a forked process must not share its parent's connection
    return enforce(due, deliver=deliver_nothing).steps_recorded


def burst(count, passes) -> float:
    """Seconds until ``passes`` passes running at once have recorded every step."""
    due = prepare_burst(count)
    started = time.perf_counter()
    with ProcessPoolExecutor(passes, mp_context=multiprocessing.get_context("fork")) as pool:
        steps = sum(pool.map(one_pass, [due] * passes))
    elapsed = time.perf_counter() - started
    assert steps == count, steps
    assert Notification.objects.count() == 2 * count
    return elapsed


def queries_per_pass(count) -> int:
    due = prepare_burst(count)
    with CaptureQueriesContext(connection) as queries:
        one_pass(due)
    return len(queries)


def idle():
    fresh_database()
    department = organisation(["in_app", "email"])
    now = timezone.now()
    bulk_obligations(department, 1_000_000, now + timedelta(days=1), next_step_at=now + timedelta(hours=12))
    times = []
    for _ in range(30):
        started = time.perf_counter()
        enforce(timezone.now())
        times.append((time.perf_counter() - started) * 1000)
    return times


def latency(obligations=300, window=120, interval=10):
    fresh_database()
    department = organisation(["in_app"])
    start = timezone.now() + timedelta(seconds=20)
    with connection.cursor() as cursor:
        bulk_obligations(department, obligations, start, next_step_at=start - timedelta(hours=1))
        # spread the deadlines evenly over the window
        cursor.execute(
            "UPDATE incidents_obligation SET due_at = due_at + (id %% %s) * interval '1 second' * %s / %s",
            [obligations, window, obligations],
        )
    enforce(timezone.now())  # freeze the plans, as the pass after logging would
    env = {**os.environ, "ENFORCEMENT_INTERVAL_SECONDS": str(interval), "REDIS_URL": "redis://127.0.0.1:6379/9"}
    celery = [str(Path(sys.executable).parent / "celery"), "-A", "opinion_tracker"]
    worker = subprocess.Popen([*celery, "worker", "-Q", "enforcement,delivery", "-l", "WARNING"], cwd=ROOT, env=env)
    beat = subprocess.Popen([*celery, "beat", "-l", "WARNING", "-s", "/tmp/bench-beat-schedule"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 20 + window + 4 * interval
        while Notification.objects.count() < obligations and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        for process in (beat, worker):
            process.terminate()
            process.wait()
    return sorted(n.latency.total_seconds() for n in Notification.objects.all())


def nearest_rank(values, share):
    return values[max(0, -(-len(values) * share // 100) - 1)]


def main(scenarios):
    if "burst" in scenarios:
        for passes in (1, 2, 4):
            seconds = statistics.median(burst(10_000, passes) for _ in range(3))
            print(f"burst of 10,000 obligations (20,000 rows), {passes} pass(es) at once: median {seconds:.2f} s of 3")
        small, large = queries_per_pass(1_000), queries_per_pass(10_000)
        batches = (10_000 - 1_000) // settings.ENFORCEMENT_BATCH_SIZE
        print(
            f"queries: {small} for 1,000 obligations, {large} for 10,000: "
            f"{(large - small) / batches:.1f} per batch of {settings.ENFORCEMENT_BATCH_SIZE}"
        )
    if "idle" in scenarios:
        times = sorted(idle())
        print(
            f"idle pass over 1,000,000 open obligations: median {statistics.median(times):.1f} ms, "
            f"max {times[-1]:.1f} ms over {len(times)} passes"
        )
    if "latency" in scenarios:
        delays = latency()
        print(
            f"latency over {len(delays)} steps with a 10 s beat: p50 {nearest_rank(delays, 50):.1f} s, "
            f"p90 {nearest_rank(delays, 90):.1f} s, p99 {nearest_rank(delays, 99):.1f} s, max {delays[-1]:.1f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["burst", "idle", "latency"])
