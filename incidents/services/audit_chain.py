"""Appending to the timeline's chains (docs/rules.md, "Assessment (考核) and audit trust").

Each incident's events form a chain in id order: every event carries the id and hash of the event before it
and its own hash over its canonical content (``incidents.models.audit``). Appending to a chain means reading its
head, so appends to one incident's chain must follow one another, and appends to different incidents need not.

The lock that orders them is the incident's row lock, ``FOR NO KEY UPDATE``: the lock every service already
takes first (``incidents.services.locks``). Nothing else is locked, no table-wide lock or counter: two incidents'
chains grow at the same time. Ids are drawn after the lock is held, so within a chain id order is the order of
appending. SQLite runs one writer at a time anyway.

An enforcement pass holds due obligations of many incidents at once. It claims them with their incidents,
``SKIP LOCKED`` (``claimed_with_chains``), and leaves the obligations of an incident someone else holds to a later
batch: waiting there would deadlock with a service that holds the incident and waits for those obligations.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Max, QuerySet

from incidents.models import TimelineEvent
from incidents.models.audit import GENESIS, canonical_event, canonical_json, content_hash, event_hash
from opinion_tracker.lib.bulk import EncodedJSON, copy_rows

from .locks import lock_incidents


def claimed_with_chains(obligations: QuerySet) -> QuerySet:
    """How a pass claims due obligations (``obligations`` joins their incident): with their incidents, skipping
    those held elsewhere.

    The incident comes first: PostgreSQL locks a row's tables in this order, so an obligation skipped because its
    incident was held is not left locked (another pass, once that incident is free, takes it in the same pass
    instead of finding it locked and leaving it to the next).
    """
    return obligations.select_for_update(skip_locked=True, no_key=True, of=("incident", "self"))


# The values of one event in ``append_events``, in this order (ids for the foreign keys).
EVENT_FIELDS = ["incident", "obligation", "kind", "at", "actor", "detail"]
STORED_FIELDS = ["id", *EVENT_FIELDS, "prev_id", "prev_hash", "hash"]

Head = tuple[int | None, str]  # (id, hash) of a chain's last event; (None, GENESIS) for an empty chain
EMPTY: Head = (None, GENESIS)


def heads(incident_ids: Iterable[int]) -> dict[int, Head]:
    """The last event (id, hash) of each incident's chain, read after its lock is held; empty chains left out."""
    return heads_and_ids(incident_ids, 0)[0]


# PostgreSQL: one backward step on the (incident, id) index per incident, and the ids drawn from the sequence.
HEADS_AND_IDS = """
SELECT e.incident_id, e.id, e.hash FROM UNNEST(%s::bigint[]) AS i(id) CROSS JOIN LATERAL
    (SELECT incident_id, id, hash FROM {table} WHERE incident_id = i.id ORDER BY id DESC LIMIT 1) AS e
UNION ALL
SELECT NULL, nextval(pg_get_serial_sequence(%s, 'id')), NULL FROM generate_series(1, %s)
"""


def heads_and_ids(incident_ids: Iterable[int], count: int) -> tuple[dict[int, Head], list[int]]:
    """The chains' heads (as ``heads``) and ``count`` ids for the events about to follow them, ascending, both
    read while the chains' locks are held: in one statement on PostgreSQL."""
    ids = sorted(set(incident_ids))
    table = TimelineEvent._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(HEADS_AND_IDS.format(table=connection.ops.quote_name(table)), [ids, table, count])
            rows = cursor.fetchall()
        found = {incident: (pk, digest) for incident, pk, digest in rows if incident is not None}
        return found, sorted(pk for incident, pk, _digest in rows if incident is None)
    last = TimelineEvent.objects.filter(incident_id__in=ids).values("incident_id").annotate(last=Max("pk"))
    rows = TimelineEvent.objects.filter(pk__in=last.values("last")).values_list("incident_id", "pk", "hash")
    found = {incident: (pk, digest) for incident, pk, digest in rows}
    if not count:
        return found, []
    with connection.cursor() as cursor:
        # SQLite: this transaction is the only writer (IMMEDIATE), and AUTOINCREMENT never reuses an id.
        cursor.execute(
            f"SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM {connection.ops.quote_name(table)} "
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        start = (cursor.fetchone()[0] or 0) + 1
    return found, list(range(start, start + count))


def link(row: Sequence, pk: int, head: Head) -> tuple:
    """``row`` (``EVENT_FIELDS``) as stored (``STORED_FIELDS``), following ``head`` in its chain. The detail is
    encoded once, for its hash and for its column."""
    incident, obligation, kind, at, actor, detail = row
    prev_id, prev_hash = head
    detail_json = canonical_json(detail)
    canonical = canonical_event(
        incident=incident,
        kind=kind,
        at=at,
        actor=actor,
        obligation=obligation,
        detail_json=detail_json,
        prev_id=prev_id,
        prev_hash=prev_hash,
    )
    return (
        pk,
        incident,
        obligation,
        kind,
        at,
        actor,
        EncodedJSON(detail_json),
        prev_id,
        prev_hash,
        content_hash(canonical),
    )


def append_events(rows: Sequence[Sequence], *, held: bool = False) -> None:
    """Append ``rows`` (values in ``EVENT_FIELDS`` order) to their incidents' chains, in this order, in one
    statement (a ``COPY`` on PostgreSQL: the ids are drawn here, so nothing can conflict): one statement more than
    writing the rows alone (the heads and the ids), two when the locks are taken here, whatever the number of rows.

    ``held``: the caller already holds every incident's lock (``claimed_with_chains``); otherwise they are taken
    here, in id order, waiting for whoever holds one.
    """
    if not rows:
        return
    with transaction.atomic(savepoint=False):
        incidents = {row[0] for row in rows}
        if not held:
            lock_incidents(sorted(incidents))
        last, ids = heads_and_ids(incidents, len(rows))
        stored = []
        for row, pk in zip(rows, ids, strict=True):
            stored.append(link(row, pk, last.get(row[0], EMPTY)))
            last[row[0]] = (pk, stored[-1][-1])
        copy_rows(TimelineEvent, STORED_FIELDS, stored)


def append_event(incident, kind, at, actor=None, obligation=None, detail=None) -> TimelineEvent:
    """Append one event to ``incident``'s chain (its lock taken here if the caller does not hold it yet)."""
    detail = {} if detail is None else detail
    with transaction.atomic(savepoint=False):
        lock_incidents([incident.pk])
        prev_id, prev_hash = heads([incident.pk]).get(incident.pk, EMPTY)
        event = TimelineEvent(
            incident=incident,
            kind=kind,
            at=at,
            actor=actor,
            obligation=obligation,
            detail=detail,
            prev_id=prev_id,
            prev_hash=prev_hash,
        )
        event.hash = event_hash(
            incident=incident.pk,
            kind=kind,
            at=at,
            actor=event.actor_id,
            obligation=event.obligation_id,
            detail=detail,
            prev_id=prev_id,
            prev_hash=prev_hash,
        )
        event.save(force_insert=True)
    return event
