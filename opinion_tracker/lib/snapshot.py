"""The reads of one report in one snapshot of the database, two of them side by side where PostgreSQL can.

A report is several statements. In autocommit each would see a moment of its own, and the figures of one report
would disagree with each other while incidents are being logged; so on PostgreSQL they run in one read-only
REPEATABLE READ transaction, which reads the database as of its first statement.

PostgreSQL runs an ordered-set aggregate (a median) on one core, so a report made of two large independent reads
takes the sum of their times. ``at_once`` runs the second on a connection of its own, in a thread, where the machine
has a core to spare (a province's year: docs/benchmarks.md, "A province"). That connection imports the first one's
snapshot (``pg_export_snapshot`` and ``SET TRANSACTION SNAPSHOT``, as pg_dump's parallel jobs do), so both still read
one moment. Where it is not reading by the time the first connection is done (refused, still connecting, waiting
for a pooler's server) or would wait for a lock, the second read runs after the first on the first connection, in
the same snapshot: slower, never wrong, and never waiting on a connection that may not come.

Within a caller's transaction, or with autocommit off, the two run one after the other in it: its isolation level
is set already, and its writes could not be seen from another connection. SQLite, one writer at a time and a small
office's data, runs them one after the other in autocommit: a read transaction there would hold off every writer
for the report's length.
"""

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from psycopg.errors import LockNotAvailable

First = TypeVar("First")
Second = TypeVar("Second")

REPEATABLE_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")
# How long the second connection waits for a lock before the first reads in its place (see ``read_beside``).
LOCK_WAIT = "1s"


class LockWaitedTooLong(Exception):
    """The second connection's read waited ``LOCK_WAIT`` for a lock; the first reads in its place."""


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

    The report never waits on the second connection for longer than its read: one that has not begun reading by
    the time ``first()`` is done (not yet connected, waiting for a pooler's server, refused) is cancelled, and the
    first connection reads in its place. If ``first()`` fails, its error is raised at once; a read begun beside
    runs to its end in its daemon thread and closes its connection. The exporting transaction stays open while
    the thread may still begin, since a snapshot can only be imported while the transaction that exported it is.
    """
    if not (at_once and owns_its_snapshot()):
        with one_snapshot():
            return first(), second()
    with one_snapshot(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        [snapshot] = cursor.fetchone()
        beside: Future = Future()
        threading.Thread(target=read_beside, args=(snapshot, second, beside), name="side-by-side", daemon=True).start()
        try:
            result = first()
        finally:
            begun = not beside.cancel()
        if begun:
            try:
                return result, beside.result()
            except LockWaitedTooLong:
                pass
        return result, second()


def read_beside(snapshot: str, call: Callable[[], Second], beside: Future) -> None:
    """``call()`` in a read-only transaction that sees ``snapshot``, on this thread's own connection, its outcome
    in ``beside``; closed after it: the thread ends with the call, and its connection must not outlive it.

    It begins reading only once it sees the snapshot and only if ``beside`` has not been cancelled by then
    (``set_running_or_notify_cancel``): a connection that fails before leaves ``beside`` to be cancelled, and the
    first connection reads. Once begun, the first waits for it, so it waits for no lock longer than ``LOCK_WAIT``:
    behind a lock queued after one the first connection holds (a migration's ``ALTER TABLE``), it would wait for
    the first, which waits for it, a deadlock PostgreSQL cannot see; the first connection, holding its locks
    already, reads in its place.

    The snapshot's id is written into the statement, not passed as a parameter: ``SET`` takes no bind parameters
    where the driver binds them on the server. It comes from the server and is checked to be one.
    """
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(REPEATABLE_READ)
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
            if not beside.set_running_or_notify_cancel():
                return
            try:
                beside.set_result(call())
            except BaseException as error:
                waited = isinstance(error.__cause__, LockNotAvailable)
                beside.set_exception(LockWaitedTooLong() if waited else error)
    except DatabaseError:
        pass  # not begun: the first connection reads in its place
    finally:
        connection.close()
