"""Two reads side by side on two PostgreSQL connections that see one snapshot of the database.

PostgreSQL runs an ordered-set aggregate (a median) on one core, so a report made of two large independent
statements takes the sum of their times. On two connections at once it takes the longer of the two, where the
machine has a core to spare (a province's year: docs/benchmarks.md, "A province"). The second connection imports the
first one's snapshot (``pg_export_snapshot`` and ``SET TRANSACTION SNAPSHOT``, as pg_dump's parallel jobs do), so both
read the database as of one moment, and the figures of one report agree with each other while incidents are being
logged: two statements one after the other in autocommit would each see a moment of their own.

Only where it can: on PostgreSQL, outside a transaction (a caller's transaction may hold writes another connection
cannot see, and its isolation level is set already). Elsewhere the two run one after the other on one connection.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, transaction

First = TypeVar("First")
Second = TypeVar("Second")

REPEATABLE_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


def side_by_side(first: Callable[[], First], second: Callable[[], Second]) -> tuple[First, Second]:
    """``(first(), second())``, the second computed in a thread of its own on a connection of its own, both reading
    one snapshot.

    The exporting transaction stays open until the thread is done (the pool is left inside it), since a snapshot can
    only be imported while the transaction that exported it is still open.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return first(), second()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPEATABLE_READ)
        cursor.execute("SELECT pg_export_snapshot()")
        [snapshot] = cursor.fetchone()
        with ThreadPoolExecutor(1, thread_name_prefix="side-by-side") as pool:
            beside = pool.submit(in_snapshot, snapshot, second)
            return first(), beside.result()


def in_snapshot(snapshot: str, call: Callable[[], Second]) -> Second:
    """``call()`` in a read-only transaction that sees ``snapshot``, on this thread's own connection, closed after
    it: the thread ends with the call, and its connection must not outlive it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(REPEATABLE_READ)
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            return call()
    finally:
        connection.close()
