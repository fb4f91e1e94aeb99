"""The tamper-evident timeline: hash chains per incident, the daily seal, and their verification.

Tampering is done as someone with database access would, in raw SQL, on whichever database the suite runs on
(SQLite by default, PostgreSQL with ``DATABASE_URL``); the verification must name the event that was touched.
"""

import itertools
import json
import threading
from datetime import date, timedelta
from importlib import import_module
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader

from incidents.models import AuditSeal, Incident, TimelineEvent
from incidents.models.audit import GENESIS, canonical_event, canonical_json, event_hash
from incidents.services.actions import record_action
from incidents.services.audit_seal import seal_due, seal_for
from incidents.services.audit_verify import verify
from incidents.services.incidents import log_incident
from incidents.services.locks import lock_incident
from incidents.services.timeline import record_event
from notifications.enforcement import enforce

from ..clients import client_for
from ..conftest import beijing
from ..factories import PersonFactory

DISCOVERED = beijing(2026, 3, 10, 10, 0)
H = timedelta(hours=1)
NEXT_MORNING = beijing(2026, 3, 11, 1, 0)
TABLE = TimelineEvent._meta.db_table


def no_delivery(now):
    return 0


def timeline(incident) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(incident=incident).order_by("pk"))


def run_verify_audit(*args) -> tuple[int, dict]:
    """``manage.py verify_audit``: its exit status and what it printed."""
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def patch_detail(pk, change: dict):
    """Edit an event's detail in place, as SQL on the database at hand."""
    merged = "detail || %s::jsonb" if connection.vendor == "postgresql" else "json_patch(detail, %s)"
    execute(f"UPDATE {TABLE} SET detail = {merged} WHERE id = %s", [json.dumps(change), pk])


def swap_ids(first, second):
    """Reorder two events: each takes the other's place (its id) in the chain."""
    execute(f"UPDATE {TABLE} SET id = -id WHERE id IN (%s, %s)", [first, second])
    execute(
        f"UPDATE {TABLE} SET id = CASE WHEN id = %s THEN %s ELSE %s END WHERE id IN (%s, %s)",
        [-first, second, first, -first, -second],
    )


@pytest.fixture
def incidents(org):
    """Two incidents with a day of history: logging, an action, a pass marking overdue and escalating in bulk."""
    made = [
        log_incident(
            title=f"事件{n}", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED
        )
        for n in range(2)
    ]
    record_action(made[0], kind="internal_report", published_at=DISCOVERED + H, summary="报告", now=DISCOVERED + H)
    enforce(DISCOVERED + 6 * H, deliver=no_delivery)
    return made


def middle_event(incident) -> TimelineEvent:
    events = timeline(incident)
    assert len(events) >= 5
    return events[len(events) // 2]


# The chain as written


def test_each_event_follows_the_one_before_it_in_its_incident(incidents):
    for incident in incidents:
        events = timeline(incident)
        kinds = {event.kind for event in events}
        assert {"logged", "obligation_overdue", "escalated"} <= kinds, "written one by one and in bulk"
        assert (events[0].prev_id, events[0].prev_hash) == (None, GENESIS)
        for before, event in itertools.pairwise(events):
            assert (event.prev_id, event.prev_hash) == (before.pk, before.hash)
        for event in events:
            assert event.hash == event_hash(
                incident=incident.pk,
                kind=event.kind,
                at=event.at,
                actor=event.actor_id,
                obligation=event.obligation_id,
                detail=event.detail,
                prev_id=event.prev_id,
                prev_hash=event.prev_hash,
            )
            assert len(event.hash) == 64


def test_an_event_written_around_the_chain_is_refused(incidents):
    with pytest.raises(ValueError, match="into its chain"):
        TimelineEvent.objects.create(incident=incidents[0], kind="edited", at=DISCOVERED)


def test_the_api_timeline_shows_each_events_hashes(incidents, org):
    response = client_for(org.duty_officer).get(f"/api/v1/incidents/{incidents[0].pk}/timeline/")
    assert response.status_code == 200
    shown = {item["id"]: (item["prev_hash"], item["hash"]) for item in response.json()["results"]}
    assert shown == {event.pk: (event.prev_hash, event.hash) for event in timeline(incidents[0])}


# Verification of an untouched record


def test_an_untouched_database_verifies(incidents):
    seal_due(NEXT_MORNING)
    status, printed = run_verify_audit()
    assert status == 0
    assert printed == {
        "ok": True,
        "events_checked": TimelineEvent.objects.count(),
        "seals_checked": 1,
        "first_mismatch": None,
    }


def test_one_incidents_chain_alone(incidents):
    status, printed = run_verify_audit("--incident", str(incidents[1].pk))
    assert status == 0
    assert printed["events_checked"] == len(timeline(incidents[1]))


# Tampering in SQL, named by the verification


def test_editing_an_events_detail_is_named(incidents):
    event = middle_event(incidents[0])
    patch_detail(event.pk, {"reason": "改过"})
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["ok"] is False
    assert printed["first_mismatch"]["event"] == event.pk
    assert printed["first_mismatch"]["incident"] == incidents[0].pk
    assert printed["first_mismatch"]["reason"]


def test_changing_an_events_kind_time_or_actor_is_named(incidents, org):
    events = timeline(incidents[1])
    execute(f"UPDATE {TABLE} SET kind = 'closed' WHERE id = %s", [events[1].pk])
    assert run_verify_audit()[1]["first_mismatch"]["event"] == events[1].pk


def test_deleting_an_event_is_named(incidents):
    event = middle_event(incidents[0])
    execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["first_mismatch"]["event"] == event.pk
    assert printed["events_checked"] == TimelineEvent.objects.count()


def test_deleting_an_incidents_first_event_is_named(incidents):
    first = timeline(incidents[1])[0]
    execute(f"DELETE FROM {TABLE} WHERE id = %s", [first.pk])
    assert run_verify_audit() == (1, verify().as_dict())
    assert verify().first_mismatch.event == first.pk


def test_reordering_two_events_is_named(incidents):
    events = timeline(incidents[0])
    first, second = events[1].pk, events[3].pk
    swap_ids(first, second)
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["first_mismatch"]["event"] == first


def test_swapping_two_events_contents_is_named(incidents):
    events = timeline(incidents[0])
    first, second = events[2], events[4]
    for target, source in ((first, second), (second, first)):
        execute(
            f"UPDATE {TABLE} SET kind = %s, detail = %s WHERE id = %s",
            [source.kind, json.dumps(source.detail), target.pk],
        )
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["first_mismatch"]["event"] == first.pk


def test_an_event_inserted_around_the_chain_is_named(incidents):
    execute(
        f"INSERT INTO {TABLE} (incident_id, at, kind, detail) VALUES (%s, %s, 'edited', '{{}}')",
        [incidents[1].pk, DISCOVERED + 7 * H],
    )
    inserted = TimelineEvent.objects.order_by("pk").last()
    assert inserted.hash == ""
    assert verify().first_mismatch.event == inserted.pk


# The seals


def test_a_sealed_chain_rewritten_in_full_is_named(incidents):
    """Someone edits an event and computes every hash after it again: the chain holds together, the seal not."""
    seal_due(NEXT_MORNING)
    events = timeline(incidents[0])
    edited = events[2]
    patch_detail(edited.pk, {"reason": "改过"})
    head = (events[1].pk, events[1].hash)
    for event in TimelineEvent.objects.filter(pk__in=[e.pk for e in events[2:]]).order_by("pk"):
        digest = event_hash(
            incident=event.incident_id,
            kind=event.kind,
            at=event.at,
            actor=event.actor_id,
            obligation=event.obligation_id,
            detail=event.detail,
            prev_id=head[0],
            prev_hash=head[1],
        )
        execute(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [head[1], digest, event.pk])
        head = (event.pk, digest)
    mismatch = verify().first_mismatch
    assert mismatch.event == events[-1].pk, "the sealed head no longer has the hash it was sealed with"
    assert "2026-03-10" in mismatch.reason


def test_deleting_a_sealed_head_is_named(incidents):
    seal_due(NEXT_MORNING)
    head = timeline(incidents[1])[-1]
    execute(f"DELETE FROM {TABLE} WHERE id = %s", [head.pk])
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["first_mismatch"]["event"] == head.pk
    assert "2026-03-10" in printed["first_mismatch"]["reason"]


def test_a_seal_changed_after_it_was_made_is_named(incidents):
    seal_due(NEXT_MORNING)
    execute(f"UPDATE {AuditSeal._meta.db_table} SET chains = chains + 1")
    status, printed = run_verify_audit()
    assert status == 1
    assert printed["first_mismatch"]["event"] is None
    assert "2026-03-10" in printed["first_mismatch"]["reason"]


def test_a_seal_deleted_between_two_is_named(incidents):
    seal_due(NEXT_MORNING + timedelta(days=2))
    assert AuditSeal.objects.count() == 1, "the first seal is the last ended day's"
    seal_due(NEXT_MORNING + timedelta(days=4))
    days = [date(2026, 3, 12), date(2026, 3, 13), date(2026, 3, 14)]
    assert list(AuditSeal.objects.values_list("day", flat=True)) == days
    execute(f"DELETE FROM {AuditSeal._meta.db_table} WHERE day = %s", [date(2026, 3, 13)])
    assert "2026-03-14" in verify().first_mismatch.reason


def test_each_day_is_sealed_once_and_a_missed_day_when_the_scheduler_is_back(incidents, org):
    assert [seal.day for seal in seal_due(NEXT_MORNING)] == [date(2026, 3, 10)]
    assert seal_due(NEXT_MORNING + H) == [], "a second run, or a second scheduler, seals nothing more"
    later = beijing(2026, 3, 12, 9, 0)
    record_event(incidents[1], "edited", later, org.duty_officer, before={}, after={})
    back = beijing(2026, 3, 14, 0, 30)  # down on the 12th and the 13th
    assert [seal.day for seal in seal_due(back)] == [date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13)]
    seals = {seal.day: seal for seal in AuditSeal.objects.all()}
    assert seals[date(2026, 3, 11)].heads == []
    event = timeline(incidents[1])[-1]
    assert seals[date(2026, 3, 12)].heads == [[incidents[1].pk, event.pk, event.hash]]
    assert seals[date(2026, 3, 12)].prev_digest == seals[date(2026, 3, 11)].digest
    assert seals[date(2026, 3, 13)].chains == 2
    assert verify().ok


def test_a_day_is_sealed_up_to_its_first_event_stamped_after_it(incidents, org):
    after_midnight = beijing(2026, 3, 11, 0, 1)
    later = record_event(incidents[0], "edited", after_midnight, org.duty_officer, before={}, after={})
    seal = seal_due(beijing(2026, 3, 11, 0, 10))[0]
    assert seal.day == date(2026, 3, 10)
    assert seal.last_event == TimelineEvent.objects.filter(pk__lt=later.pk).order_by("pk").last().pk
    assert [incidents[0].pk, later.pk, later.hash] not in seal.heads
    assert {incident for incident, _event, _hash in seal.heads} == {incidents[0].pk, incidents[1].pk}
    assert seal.chains == 2


def test_the_days_report_reads_the_seal_of_its_day(incidents):
    seal = seal_for(date(2026, 3, 10), now=NEXT_MORNING)
    assert seal is not None
    assert (seal.day, len(seal.digest)) == (date(2026, 3, 10), 64)
    assert seal_for(date(2026, 3, 10), now=NEXT_MORNING + H) == seal
    assert seal_for(date(2026, 3, 11), now=NEXT_MORNING) is None, "a day not over yet"


def test_seals_are_append_only(incidents):
    seal_due(NEXT_MORNING)
    with pytest.raises(ValueError, match="append-only"):
        AuditSeal.objects.update(chains=0)
    with pytest.raises(ValueError, match="append-only"):
        AuditSeal.objects.get().delete()


# The endpoint


def test_auditors_verify_through_the_api(incidents):
    auditor = PersonFactory(department=incidents[0].department, roles=["auditor"])
    response = client_for(auditor).get("/api/v1/audit/verify/")
    assert response.status_code == 200
    assert response.json() == run_verify_audit()[1]
    patch_detail(timeline(incidents[0])[1].pk, {"x": 1})
    answer = client_for(auditor).get("/api/v1/audit/verify/", {"incident": incidents[0].pk}).json()
    assert answer["ok"] is False
    assert answer["first_mismatch"]["event"] == timeline(incidents[0])[1].pk
    assert answer["events_checked"] == len(timeline(incidents[0]))
    assert client_for(auditor).get("/api/v1/audit/verify/", {"incident": incidents[1].pk}).json()["ok"] is True


def test_the_api_refuses_an_incident_that_is_not_an_id_or_does_not_exist(incidents):
    admin = PersonFactory(department=incidents[0].department, roles=["admin"])
    assert client_for(admin).get("/api/v1/audit/verify/", {"incident": "x"}).status_code == 400
    assert client_for(admin).get("/api/v1/audit/verify/", {"incident": 0}).status_code == 400
    assert client_for(admin).get("/api/v1/audit/verify/", {"incident": 10**9}).status_code == 404


# Events recorded before the chain existed


def test_the_migration_chains_events_recorded_before(incidents):
    migration = import_module("incidents.migrations.0016_audit_chain")
    execute(f"UPDATE {TABLE} SET prev_id = NULL, prev_hash = '', hash = ''")
    assert not verify().ok
    state = MigrationLoader(connection).project_state(("incidents", "0016_audit_chain"))
    migration.chain_recorded_events(state.apps, SimpleNamespace(connection=connection))
    assert verify().ok
    events = timeline(incidents[0])
    assert events[1].prev_id == events[0].pk


# Concurrency (PostgreSQL: row locks)

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


def in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connections.close_all()

    return run


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_writers_appending_to_one_incident_at_once_keep_its_chain(org, national_defaults):
    incident = log_incident(
        title="事件", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED
    )
    start = threading.Barrier(3)

    def write(writer):
        start.wait()
        for n in range(40):
            with transaction.atomic():
                record_event(incident, "edited", DISCOVERED + n * timedelta(seconds=1), None, writer=writer, n=n)

    def passes():
        start.wait()
        for n in range(5):
            enforce(DISCOVERED + (2 + n) * H, deliver=no_delivery)

    threads = [threading.Thread(target=in_thread(work), args=args) for work, args in ((write, ("a",)), (write, ("b",)))]
    threads.append(threading.Thread(target=in_thread(passes)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    events = timeline(incident)
    assert sum(event.kind == "edited" for event in events) == 80
    assert [event.prev_id for event in events[1:]] == [event.pk for event in events[:-1]]
    assert verify().as_dict()["ok"] is True


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_pass_leaves_an_incident_someone_is_changing_and_records_the_others(org, national_defaults):
    held, free = (
        log_incident(
            title=f"事件{n}", severity="major", department=org.department, discovered_at=DISCOVERED, now=DISCOVERED
        )
        for n in range(2)
    )
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            lock_incident(held)
            locked.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=in_thread(hold))
    holder.start()
    try:
        assert locked.wait(timeout=30)
        enforce(DISCOVERED + 3 * H, deliver=no_delivery)  # returns without waiting for the holder
        assert TimelineEvent.objects.filter(incident=free, kind="escalated").exists()
        assert not TimelineEvent.objects.filter(incident=held, kind="escalated").exists()
    finally:
        release.set()
        holder.join(timeout=30)
    enforce(DISCOVERED + 3 * H, deliver=no_delivery)
    assert TimelineEvent.objects.filter(incident=held, kind="escalated").exists(), "the next pass records it"
    assert verify().ok
    assert Incident.objects.count() == 2


# The canonical content


@pytest.mark.parametrize("kind", ["escalated", 'a"b\\c', "中文\n\u2028\x00"])
def test_an_events_canonical_content_is_the_stable_json_of_its_fields(kind):
    at = beijing(2026, 3, 10, 10, 0, 0, 123456)
    detail = {"b": [1, 2.5, None, True], "a": {"时间": at, "z": "「引号」"}}
    written = canonical_event(
        incident=7,
        kind=kind,
        at=at,
        actor=None,
        obligation=9,
        detail_json=canonical_json(detail),
        prev_id=None,
        prev_hash=GENESIS,
    )
    fields = {
        "incident": 7,
        "kind": kind,
        "at": "2026-03-10T02:00:00.123456+00:00",
        "actor": None,
        "obligation": 9,
        "detail": json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
        "prev": None,
        "prev_hash": "",
    }
    assert written == json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
