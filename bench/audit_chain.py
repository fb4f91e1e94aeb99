"""Benchmark of the timeline's hash chains on PostgreSQL (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/audit_chain.py [burst] [writers] [verify] [--runs N] [--smoke]

Uses its own database, ``opinion_tracker_bench_audit`` on 127.0.0.1 (``BENCH_DATABASE`` names another), dropped
and made again, so it never touches a database in use. Each figure is taken with the chain as written and with
events written as before it (the rows alone: no incident locks, no hashes, no ids drawn first), in alternating
runs, so the difference is what the chain costs.
- burst: 10,000 obligations of 2,500 incidents coming due at the same moment, each at the first overdue level with
  one recipient on two channels: two passes at once record 10,000 overdue and 10,000 escalation events and 20,000
  notifications. Also the statements of one pass over 1,000 and over 10,000 obligations.
- writers: four processes each appending 500 events one transaction at a time, as the services do: first each to
  incidents of its own (the chains grow at once), then all four to the same incident (appends to one chain
  follow one another).
- verify: ``verify_audit`` over the timeline a burst left, and the day's seal.

``--smoke``: every scenario at a tiny size, once, checking what it counts but not its time (``make test`` runs
it, so the benchmark cannot rot unseen).
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from _environment import remake_database, use_database

DATABASE = os.environ.get("BENCH_DATABASE", "opinion_tracker_bench_audit")
SMOKE = "--smoke" in sys.argv
# A smoke run's batches are small, so that it still takes several of them.
use_database(DATABASE, **({"ENFORCEMENT_BATCH_SIZE": "10"} if SMOKE else {}))

from _obligations import organisation  # noqa: E402
from django.conf import settings  # noqa: E402  (Django must be set up first)
from django.db import connection, models, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

import incidents.services.obligations as obligation_service  # noqa: E402
import incidents.services.timeline as timeline_service  # noqa: E402
import notifications.escalation as escalation  # noqa: E402
from incidents.models import Department, Incident, Obligation, TimelineEvent  # noqa: E402
from incidents.services.audit_chain import EVENT_FIELDS  # noqa: E402
from incidents.services.audit_seal import seal_due  # noqa: E402
from incidents.services.audit_verify import verify  # noqa: E402
from incidents.services.timeline import record_event  # noqa: E402
from notifications.enforcement import enforce  # noqa: E402
from notifications.models import Notification  # noqa: E402
from opinion_tracker.lib.bulk import insert_rows  # noqa: E402

KINDS = ["internal_report", "response", "first_statement", "verification_report"]
WRITERS = 4
# Obligations of a burst, and events each writer appends: full size, or a smoke run's.
BURST, EVENTS_PER_WRITER = (80, 20) if SMOKE else (10_000, 500)


def deliver_nothing(now):
    """The delivery step left out: the benchmark times recording the steps."""
    return 0


@contextmanager
def events_written_as_before_the_chain():
    """Within it, events are written as they were before the chain: a pass claims obligations without their
    incidents and inserts its rows as they are, and a service inserts its event with a plain INSERT."""

    def claimed_alone(obligations):
        return obligations.select_for_update(skip_locked=True, no_key=True, of=("self",))

    def append_events(rows, held=False):
        insert_rows(TimelineEvent, EVENT_FIELDS, rows)

    def append_event(incident, kind, at, actor=None, obligation=None, detail=None):
        event = TimelineEvent(incident=incident, kind=kind, at=at, actor=actor, obligation=obligation, detail=detail)
        models.Model.save(event, force_insert=True)  # past the model's refusal of an unchained event
        return event

    replaced = [
        (escalation, "append_events", append_events),
        (obligation_service, "append_events", append_events),
        (escalation, "claimed_with_chains", claimed_alone),
        (obligation_service, "claimed_with_chains", claimed_alone),
        (timeline_service, "append_event", append_event),
    ]
    kept = [(module, name, getattr(module, name)) for module, name, _new in replaced]
    for module, name, new in replaced:
        setattr(module, name, new)
    try:
        yield
    finally:
        for module, name, old in kept:
            setattr(module, name, old)


@contextmanager
def writing(chain: bool):
    if chain:
        yield
    else:
        with events_written_as_before_the_chain():
            yield


def fresh_database():
    remake_database(DATABASE)


def prepare_burst(count):
    """``count`` obligations (four per incident) whose plans a pass froze earlier, all coming due at ``due``."""
    fresh_database()
    department = organisation(["in_app", "email"])
    due = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    start = due - timedelta(hours=2)
    incidents = Incident.objects.bulk_create(
        Incident(title=f"事件{n}", severity="general", department=department, discovered_at=start, logged_at=start)
        for n in range((count + 3) // 4)
    )
    Obligation.objects.bulk_create(
        Obligation(
            incident=incident,
            kind=kind,
            clock="discovery",
            clock_started_at=start,
            offset=timedelta(hours=2),
            due_at=due,
            created_at=start,
            next_step_at=start,
            incident_discovered_at=start,
        )
        for incident in incidents
        for kind in KINDS
    )
    enforce(start, deliver=deliver_nothing)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return due


def one_pass(due):
    connection.close()  # a forked process must not share its parent's connection
    return enforce(due, deliver=deliver_nothing).steps_recorded


def burst(count, passes, chain: bool) -> float:
    """Seconds until ``passes`` passes running at once have recorded every step."""
    due = prepare_burst(count)
    with writing(chain):
        started = time.perf_counter()
        with ProcessPoolExecutor(passes, mp_context=multiprocessing.get_context("fork")) as pool:
            steps = sum(pool.map(one_pass, [due] * passes))
        elapsed = time.perf_counter() - started
    assert steps == count, steps
    assert Notification.objects.count() == 2 * count
    assert TimelineEvent.objects.filter(kind__in=["escalated", "obligation_overdue"]).count() == 2 * count
    assert verify().ok == chain
    return elapsed


def statements_per_pass(count, chain: bool) -> int:
    due = prepare_burst(count)
    with writing(chain), CaptureQueriesContext(connection) as queries:
        one_pass(due)
    return len(queries)


def append(incident_ids, now):
    """One writer: ``EVENTS_PER_WRITER`` events, one transaction each, round the incidents ``incident_ids``."""
    connection.close()
    incidents = list(Incident.objects.filter(pk__in=incident_ids))
    for n in range(EVENTS_PER_WRITER):
        with transaction.atomic():
            record_event(incidents[n % len(incidents)], "edited", now, None, before={"n": n}, after={"n": n + 1})
    return EVENTS_PER_WRITER


def writers(same_incident: bool, chain: bool) -> float:
    """Events per second written by ``WRITERS`` processes at once."""
    department = Department.objects.get(code="transport")
    now = timezone.now()
    incidents = [
        Incident.objects.create(
            title="写入", severity="general", department=department, discovered_at=now, logged_at=now
        ).pk
        for _ in range(1 if same_incident else WRITERS * 10)
    ]
    shares = [incidents] * WRITERS if same_incident else [incidents[n::WRITERS] for n in range(WRITERS)]
    connection.close()
    with writing(chain):
        started = time.perf_counter()
        with ProcessPoolExecutor(WRITERS, mp_context=multiprocessing.get_context("fork")) as pool:
            written = sum(pool.map(append, shares, [now] * WRITERS))
        elapsed = time.perf_counter() - started
    return written / elapsed


def median_of(runs, measure, *args):
    return statistics.median(measure(*args) for _ in range(runs))


def report_burst(runs):
    for chain in (False, True, False, True):  # alternating, so the machine's drift shows in both
        seconds = median_of(runs, burst, BURST, 2, chain)
        label = "with the chain" if chain else "events as before"
        print(
            f"burst of {BURST:,} obligations, {2 * BURST:,} events, two passes at once, {label}: "
            f"median {seconds:.2f} s of {runs}"
        )
    for chain in (False, True):
        small, large = statements_per_pass(BURST // 10, chain), statements_per_pass(BURST, chain)
        batches = (BURST - BURST // 10) // settings.ENFORCEMENT_BATCH_SIZE
        label = "with the chain" if chain else "events as before"
        print(f"statements per batch of {settings.ENFORCEMENT_BATCH_SIZE}, {label}: {(large - small) / batches:.1f}")


def report_writers(runs):
    prepare_burst(4)
    for same_incident in (False, True):
        where = "to one incident" if same_incident else "each to incidents of its own"
        for chain in (False, True, False, True):
            rate = median_of(runs, writers, same_incident, chain)
            label = "with the chain" if chain else "events as before"
            print(f"{WRITERS} writers at once, {where}, {label}: median {rate:.0f} events/s of {runs}")


def report_verify():
    burst(BURST, 2, True)
    events = TimelineEvent.objects.count()
    started = time.perf_counter()
    assert verify().ok
    seconds = time.perf_counter() - started
    print(f"verify_audit over {events:,} events: {seconds:.2f} s ({events / seconds:,.0f} events/s)")
    started = time.perf_counter()
    seal = seal_due(timezone.now() + timedelta(days=1))[0]
    print(f"sealing the day ({len(seal.heads):,} chains moved): {time.perf_counter() - started:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["burst", "writers", "verify"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="every scenario at a tiny size, once, untimed")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.runs = 1
    if "burst" in arguments.scenarios:
        report_burst(arguments.runs)
    if "writers" in arguments.scenarios:
        report_writers(arguments.runs)
    if "verify" in arguments.scenarios:
        report_verify()


if __name__ == "__main__":
    sys.exit(main())
