"""The reads of one report in one snapshot of the database, two of them side by side where PostgreSQL can.

A report is several statements. In autocommit each would see a moment of its own, and the figures of one report
would disagree with each other while incidents are being logged; so on PostgreSQL they run in one read-only
REPEATABLE READ transaction, which reads the database as of its first statement.

PostgreSQL runs an ordered-set aggregate (a median) on one core, so a report made of two large independent reads
takes the sum of their times. ``at_once`` runs the second on a connection of its own, in a thread, where the machine
has a core to spare (a province's year: docs/benchmarks.md, "A province"). That connection imports the first one's
snapshot (``pg_export_snapshot`` and ``SET TRANSACTION SNAPSHOT``, as pg_dump's parallel jobs do), so both still read
one moment. Where it cannot be had (every connection the server or a pooler allows is taken, or a pooler hands it a
server without the snapshot), the second read runs after the first on the first connection, in the same snapshot:
slower, never wrong.

Within a caller's transaction, or with autocommit off, the two run one after the other in it: its isolation level
is set already, and its writes could not be seen from another connection. SQLite, one writer at a time and a small
office's data, runs them one after the other in autocommit: a read transaction there would hold off every writer
for the report's length.
"""

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.db import DatabaseError, connection, transaction

First = TypeVar("First")
Second = TypeVar("Second")

REPEATABLE_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


class NoSecondConnection(Exception):
    """The thread's connection could not be opened or could not import the snapshot; nothing was read on it."""


def owns_its_snapshot() -> bool:
    """Whether this connection can open a read-only snapshot transaction of its own (see the module's docstring)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block and connection.get_autocommit()


@contextmanager
def one_snapshot() -> Iterator[None]:
    """What reads within reads one snapshot: a read-only REPEATABLE READ transaction, where this connection
    ``owns_its_snapshot``; elsewhere, as it is.

    ``SET TRANSACTION`` must be the transaction's first statement: a health check due on a kept connection runs
    before, as Django turns autocommit off.
    """
    if not owns_its_snapshot():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REPEATABLE_READ)
        yield


def in_one_snapshot(
    first: Callable[[], First], second: Callable[[], Second], *, at_once: bool = False
) -> tuple[First, Second]:
    """``(first(), second())`` in ``one_snapshot``; with ``at_once``, the second on a connection of its own beside
    the first, where this connection ``owns_its_snapshot``.

    The exporting transaction stays open until the thread is done (the pool is left inside it), since a snapshot
    can only be imported while the transaction that exported it is open.
    """
    if not (at_once and owns_its_snapshot()):
        with one_snapshot():
            return first(), second()
    with one_snapshot(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        [snapshot] = cursor.fetchone()
        with ThreadPoolExecutor(1, thread_name_prefix="side-by-side") as pool:
            beside = pool.submit(in_snapshot, snapshot, second)
            result = first()
            try:
                return result, beside.result()
            except NoSecondConnection:
                return result, second()


def in_snapshot(snapshot: str, call: Callable[[], Second]) -> Second:
    """``call()`` in a read-only transaction that sees ``snapshot``, on this thread's own connection, closed after
    it: the thread ends with the call, and its connection must not outlive it.

    The snapshot's id is written into the statement, not passed as a parameter: ``SET`` takes no bind parameters
    where the driver binds them on the server. It comes from the server and is checked to be one.
    """
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    try:
        try:
            connection.ensure_connection()
        except DatabaseError as error:  # the server or the pooler said no
            raise NoSecondConnection from error
        with transaction.atomic(), connection.cursor() as cursor:
            try:
                cursor.execute(REPEATABLE_READ)
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            except DatabaseError as error:  # a server that does not hold the snapshot
                raise NoSecondConnection from error
            return call()
    finally:
        connection.close()
