"""Benchmarks of the enforcement pass on PostgreSQL (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/escalation.py [burst] [floor] [idle] [latency] [--smoke] [--new-database]

``--smoke``: every scenario at a tiny size, once, checking what it counts but not its time (``make test`` runs
it, so the benchmark cannot rot unseen).

Uses its own database, ``opinion_tracker_bench`` on 127.0.0.1 (dropped and made again), so it never
touches a database in use.
- burst: 10,000 obligations coming due at the same moment, each at the first overdue level with one
  recipient on two channels (20,000 notification rows): how long the passes take to record them, and
  the queries per batch at 1,000 and at 10,000 obligations. Each obligation has an entry of an earlier step, as
  in a running tracker (``with_history``); ``--new-database`` leaves them out, for a tracker's first burst.
- floor: what PostgreSQL alone takes to write the record of that burst: the very rows a pass wrote, kept, and written
  again into a new copy of the same data by the server (one ``INSERT … SELECT`` or ``UPDATE … FROM`` per table, with
  the pass's locks), by one connection and by two at once, with the foreign-key checks and without: no Python,
  no parameters, no statement built, and all in one transaction (a pass commits every batch). No pass writing
  this record into this schema can record the burst faster on the same machine.
- idle: a pass over 1,000,000 open obligations of which none is due.
- latency: with Celery beat every 10 s and a worker as processes, how long after its time each step
  of 300 obligations due over two minutes was recorded.
"""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from _environment import ROOT, remake_database, use_database

DATABASE = "opinion_tracker_bench"
SMOKE = "--smoke" in sys.argv
NEW_DATABASE = "--new-database" in sys.argv
# A smoke run's batches are small, so that it still takes several of them.
CONNINFO = use_database(DATABASE, **({"ENFORCEMENT_BATCH_SIZE": "10"} if SMOKE else {}))

from _obligations import bulk_obligations, organisation  # noqa: E402
from django.conf import settings  # noqa: E402  (Django must be set up first)
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from incidents.models import Obligation  # noqa: E402
from notifications.enforcement import anything_due, enforce  # noqa: E402
from notifications.models import Notification  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    burst: int  # obligations coming due at once
    runs: int  # timed runs of each burst, for the median
    passes: tuple[int, ...]  # passes at once
    writers: tuple[int, ...]  # connections at once writing the record of the burst, for its floor
    idle: int  # open obligations of the idle pass
    idle_passes: int
    latency: tuple[int, int, int]  # obligations, the window they fall due over (s), the beat's interval (s)
    lead: int  # seconds from the start of the latency run to its first deadline


FULL = Sizes(
    burst=10_000,
    runs=3,
    passes=(1, 2, 4),
    writers=(1, 2),
    idle=1_000_000,
    idle_passes=30,
    latency=(300, 120, 10),
    lead=20,
)
TINY = Sizes(burst=80, runs=1, passes=(1, 2), writers=(1, 2), idle=1_000, idle_passes=3, latency=(6, 6, 2), lead=6)


def deliver_nothing(now):
    """The delivery step left out: the benchmark times recording the steps."""
    return 0


def fresh_database():
    remake_database(DATABASE)


def prepare_burst(count):
    """``count`` obligations whose plans a pass froze earlier, all coming due at ``due``."""
    fresh_database()
    department = organisation(["in_app", "email"])
    due = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    bulk_obligations(department, count, due, next_step_at=due - timedelta(hours=2))
    enforce(due - timedelta(hours=2), deliver=deliver_nothing)
    if not NEW_DATABASE:
        with_history(due - timedelta(days=1))
    connection.close()
    return due


def with_history(at):
    """An entry of an earlier step for every obligation, recorded ``at``, and the tables analysed, as a running
    tracker's are.

    On an empty entries table PostgreSQL plans the check of a new notification's entry (its foreign key) as a
    sequential scan, and a session keeps that plan until the table is analysed again: a single pass over a burst
    then reads every entry recorded so far for each notification it writes (100 million rows for 10,000 steps,
    about 9 s instead of 5; docs/benchmarks.md, "Recording a burst"). A running tracker's entries are many, so the
    check is an index scan; ``--new-database`` measures the first burst of a new one.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO notifications_escalationentry (obligation_id, step, recipient_id, created_at)
               SELECT o.id, 'earlier', p.id, %s FROM incidents_obligation o CROSS JOIN incidents_person p""",
            [at],
        )
        cursor.execute("ANALYZE")


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


# What a pass writes when it records a burst: new rows in these tables (every pass's rows have ids above the last
# one before it), and new values in these columns of the obligations and their plans.
RECORD_TABLES = [
    "notifications_escalationentry",
    "incidents_incidentreader",
    "notifications_notification",
    "incidents_timelineevent",
]
# The next steps are kept as seconds after the burst's time, which every new copy of the data moves.
KEPT_OBLIGATIONS = """SELECT id, incident_id, state, extract(epoch FROM next_step_at - %s) AS next_step_after
    FROM incidents_obligation"""
KEPT_PLANS = """SELECT p.obligation_id, o.incident_id, p.fired, p.skipped, p.repeats_fired
    FROM notifications_escalationplan p JOIN incidents_obligation o ON o.id = p.obligation_id"""


def kept_record(count) -> dict[str, bytes]:
    """The rows one pass wrote recording a burst of ``count`` steps, as ``COPY`` gives them out, by table."""
    due = prepare_burst(count)
    with psycopg.connect(CONNINFO, autocommit=True) as database:
        last = {
            table: database.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            for table in RECORD_TABLES
        }
        one_pass(due)
        queries = {table: f"SELECT * FROM {table} WHERE id > {last[table]}" for table in RECORD_TABLES}
        queries.update(obligations=KEPT_OBLIGATIONS, plans=KEPT_PLANS)
        kept = {}
        for name, query in queries.items():
            with database.cursor().copy(f"COPY ({query}) TO STDOUT", [due] if name == "obligations" else None) as copy:
                kept[name] = b"".join(bytes(block) for block in copy)
    return kept


def staged(count, kept: dict[str, bytes]) -> datetime:
    """A new copy of the data of a burst of ``count`` steps before its pass, with the ``kept`` rows in unlogged
    tables ``floor_*`` beside it (not timed); returns when its steps are due."""
    due = prepare_burst(count)
    with psycopg.connect(CONNINFO, autocommit=True) as database:
        for table in RECORD_TABLES:
            database.execute(f"CREATE UNLOGGED TABLE floor_{table} (LIKE {table})")
        database.execute(f"CREATE UNLOGGED TABLE floor_obligations AS {KEPT_OBLIGATIONS} LIMIT 0", [due])
        database.execute(f"CREATE UNLOGGED TABLE floor_plans AS {KEPT_PLANS} LIMIT 0")
        for name, rows in kept.items():
            with database.cursor().copy(f"COPY floor_{name} FROM STDIN") as copy:
                copy.write(rows)
        database.execute("ANALYZE")
    return due


def write_record(due, share: int, shares: int, checks: bool, start: threading.Barrier) -> tuple[float, float]:
    """Write the kept rows of the incidents in ``share`` of ``shares`` (by id) in one transaction, as a pass writes
    them: the obligations claimed with their incidents, every row inserted, the obligations and plans updated, and
    the foreign keys checked at the commit (``checks``; otherwise not at all). Returns the seconds it took and the
    CPU seconds of its server process."""
    mine = f"incident_id % {shares} = {share}"
    statements = [
        f"""SELECT o.id FROM incidents_obligation o JOIN incidents_incident i ON i.id = o.incident_id
            WHERE o.state IN ('pending', 'overdue') AND o.next_step_at <= '{due.isoformat()}' AND o.{mine}
            ORDER BY o.next_step_at, o.id FOR NO KEY UPDATE OF o, i SKIP LOCKED""",
        f"""INSERT INTO notifications_escalationentry SELECT e.* FROM floor_notifications_escalationentry e
            JOIN floor_obligations o ON o.id = e.obligation_id WHERE o.{mine}""",
        *(f"INSERT INTO {table} SELECT * FROM floor_{table} WHERE {mine}" for table in RECORD_TABLES[1:]),
        f"""UPDATE incidents_obligation o SET state = f.state,
            next_step_at = '{due.isoformat()}'::timestamptz + f.next_step_after * interval '1 second'
            FROM floor_obligations f WHERE o.id = f.id AND f.{mine}""",
        f"""UPDATE notifications_escalationplan p SET fired = f.fired, skipped = f.skipped,
            repeats_fired = f.repeats_fired FROM floor_plans f WHERE p.obligation_id = f.obligation_id AND f.{mine}""",
    ]
    with psycopg.connect(CONNINFO) as database:
        server = database.info.backend_pid
        if not checks:
            database.execute("SET session_replication_role = replica")  # no triggers, so no foreign-key checks
        database.commit()
        start.wait()
        began, cpu = time.perf_counter(), cpu_seconds(server)
        for statement in statements:
            database.execute(statement)
        database.commit()
        return time.perf_counter() - began, cpu_seconds(server) - cpu


def record_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in RECORD_TABLES}


def cpu_seconds(pid) -> float:
    """CPU seconds a process of this machine has used (PostgreSQL runs here, on 127.0.0.1)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def floor(count, kept: dict[str, bytes], writers: int, checks: bool) -> tuple[float, float]:
    """Seconds until ``writers`` connections at once have written the ``kept`` record of a burst of ``count`` steps,
    and their server processes' CPU seconds in all."""
    due = staged(count, kept)
    before = record_counts()
    start = threading.Barrier(writers)
    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(lambda share: write_record(due, share, writers, checks, start), range(writers)))
    # Every kept row written once (COPY's text gives one line a row), every obligation as the pass left it.
    assert record_counts() == {table: before[table] + kept[table].count(b"\n") for table in RECORD_TABLES}
    assert Obligation.objects.filter(state=Obligation.State.OVERDUE).count() == count
    return max(seconds for seconds, _cpu in results), sum(cpu for _seconds, cpu in results)


def queries_per_pass(count) -> int:
    due = prepare_burst(count)
    with CaptureQueriesContext(connection) as queries:
        one_pass(due)
    return len(queries)


def idle(count, passes) -> tuple[list[float], list[float]]:
    """Milliseconds of each idle pass, and of its one find-nothing-due query alone."""
    fresh_database()
    department = organisation(["in_app", "email"])
    now = timezone.now()
    bulk_obligations(department, count, now + timedelta(days=1), next_step_at=now + timedelta(hours=12))
    enforce(timezone.now())  # the heartbeat's row made, as after the first pass
    times, queries = [], []
    for _ in range(passes):
        started = time.perf_counter()
        enforce(timezone.now())
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assert not anything_due(timezone.now())
        queries.append((time.perf_counter() - started) * 1000)
    return times, queries


def latency(obligations, window, interval, lead):
    fresh_database()
    department = organisation(["in_app"])
    start = timezone.now() + timedelta(seconds=lead)
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
        deadline = time.monotonic() + lead + window + 4 * interval
        while Notification.objects.count() < obligations and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        for process in (beat, worker):
            process.terminate()
            process.wait()
    return sorted(n.latency.total_seconds() for n in Notification.objects.all())


def nearest_rank(values, share):
    return values[max(0, -(-len(values) * share // 100) - 1)]


def main(scenarios, sizes: Sizes):
    if "burst" in scenarios:
        count = sizes.burst
        for passes in sizes.passes:
            seconds = statistics.median(burst(count, passes) for _ in range(sizes.runs))
            print(
                f"burst of {count:,} obligations ({2 * count:,} rows), {passes} pass(es) at once: "
                f"median {seconds:.2f} s of {sizes.runs}"
            )
        small, large = queries_per_pass(count // 10), queries_per_pass(count)
        batches = (count - count // 10) // settings.ENFORCEMENT_BATCH_SIZE
        print(
            f"queries: {small} for {count // 10:,} obligations, {large} for {count:,}: "
            f"{(large - small) / batches:.1f} per batch of {settings.ENFORCEMENT_BATCH_SIZE}"
        )
    if "floor" in scenarios:
        kept = kept_record(sizes.burst)
        for checks in (True, False):
            for writers in sizes.writers:
                runs = [floor(sizes.burst, kept, writers, checks) for _ in range(sizes.runs)]
                seconds, cpu = (statistics.median(run[figure] for run in runs) for figure in (0, 1))
                print(
                    f"floor: the record of a burst of {sizes.burst:,} steps written by PostgreSQL alone, "
                    f"{writers} connection(s) at once, {'with' if checks else 'without'} the foreign-key checks: "
                    f"median {seconds:.2f} s of {sizes.runs}, {cpu:.2f} s of the server's CPU"
                )
    if "idle" in scenarios:
        times, queries = (sorted(figures) for figures in idle(sizes.idle, sizes.idle_passes))
        print(
            f"idle pass over {sizes.idle:,} open obligations: median {statistics.median(times):.2f} ms, "
            f"max {times[-1]:.2f} ms over {len(times)} passes; its find-nothing-due query alone: median "
            f"{statistics.median(queries):.2f} ms, max {queries[-1]:.2f} ms"
        )
    if "latency" in scenarios:
        obligations, window, interval = sizes.latency
        delays = latency(obligations, window, interval, sizes.lead)
        assert len(delays) == obligations, f"{len(delays)} of {obligations} steps recorded"
        print(
            f"latency over {len(delays)} steps with a {interval} s beat: p50 {nearest_rank(delays, 50):.1f} s, "
            f"p90 {nearest_rank(delays, 90):.1f} s, p99 {nearest_rank(delays, 99):.1f} s, max {delays[-1]:.1f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["burst", "floor", "idle", "latency"])
    parser.add_argument("--smoke", action="store_true", help="every scenario at a tiny size, once, untimed")
    parser.add_argument("--new-database", action="store_true", help="bursts with no earlier escalation entries")
    arguments = parser.parse_args()
    main(arguments.scenarios, TINY if arguments.smoke else FULL)
