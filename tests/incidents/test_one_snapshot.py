"""A report's reads see one moment while others write, on one connection or two; a second connection that cannot
be had, or would wait for a lock, is read in place of; and nothing waits on it or is left open
(opinion_tracker/lib/snapshot.py)."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, connection, connections, transaction

from incidents.models import Department
from opinion_tracker.lib.snapshot import in_one_snapshot

from ..factories import DepartmentFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a snapshot transaction is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]
WAIT = 30  # seconds any step of a test may wait for another thread before it fails


def departments() -> int:
    return Department.objects.count()


class Elsewhere:
    """Another writer, on a connection of its own opened before the test begins (so it still has one where new
    connections are refused)."""

    def __init__(self, parent):
        self.parent = parent
        self.pool = ThreadPoolExecutor(1)
        self.pool.submit(lambda: connection.ensure_connection()).result(WAIT)  # the thread's own

    def make_a_department(self) -> None:
        self.pool.submit(DepartmentFactory, name="新设部门", parent=self.parent).result(WAIT)

    def lock_departments(self):
        """Asks for the departments' table alone, as a migration's ``ALTER TABLE`` does, and returns once the
        request waits behind this connection's transaction; the future is done when it was granted and let go."""

        def lock():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '10s'")  # so that a failing test ends
                cursor.execute("LOCK TABLE incidents_department IN ACCESS EXCLUSIVE MODE")

        granted = self.pool.submit(lock)
        deadline = time.monotonic() + WAIT
        while not waiting_for_departments() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting_for_departments()
        return granted

    def close(self) -> None:
        self.pool.submit(lambda: connection.close()).result(WAIT)
        self.pool.shutdown()


def waiting_for_departments() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'incidents_department'::regclass AND NOT granted)"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def elsewhere(org):
    writer = Elsewhere(org.department)
    yield writer
    writer.close()


def test_reads_one_after_the_other_see_the_moment_of_the_first(elsewhere):
    """A scheduled report reads on one connection: a department made between its two reads is not in the second."""
    before = departments()

    def first():
        counted = departments()
        elsewhere.make_a_department()
        return counted

    assert in_one_snapshot(first, departments) == (before, before)
    assert departments() == before + 1


def test_reads_side_by_side_see_one_moment_while_others_write(elsewhere):
    """A department made while the two reads run, the second on a connection of its own, is seen by neither."""
    before = departments()
    readers = []
    begun, made = threading.Event(), threading.Event()

    def first():
        assert begun.wait(WAIT)
        try:
            elsewhere.make_a_department()
        finally:
            made.set()
        return departments()

    def second():
        readers.append(threading.current_thread())
        begun.set()
        assert made.wait(WAIT)
        return departments()

    assert in_one_snapshot(first, second, at_once=True) == (before, before)
    assert readers != [threading.current_thread()]
    assert departments() == before + 1


@pytest.fixture
def no_second_connection(elsewhere, monkeypatch):
    """New connections go to a port nobody listens on, as when the server or the pooler has none to give; the
    connections already open (this one, the writer's) are untouched."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection.ensure_connection()
    monkeypatch.setitem(connections.settings, DEFAULT_DB_ALIAS, {**connection.settings_dict, "PORT": str(port)})


def test_without_a_second_connection_the_first_reads_in_its_place_in_its_snapshot(elsewhere, no_second_connection):
    before = departments()
    readers = []

    def first():
        counted = departments()
        elsewhere.make_a_department()
        return counted

    def second():
        readers.append(threading.current_thread())
        return departments()

    assert in_one_snapshot(first, second, at_once=True) == (before, before)
    assert readers == [threading.current_thread()]
    assert departments() == before + 1


def test_a_read_beside_that_would_wait_for_a_lock_is_read_on_the_first_connection(elsewhere):
    """Behind a migration's lock queued after the report's own, the connection beside would wait for the first,
    which waits for it: it gives up, the first reads in its place, and the migration then has its lock."""
    before = departments()
    readers = []
    begun, queued = threading.Event(), threading.Event()
    main = threading.current_thread()
    migration = []

    def first():
        counted = departments()  # the report's transaction now holds the departments' table
        migration.append(elsewhere.lock_departments())
        queued.set()
        assert begun.wait(WAIT)
        return counted

    def second():
        readers.append(threading.current_thread())
        begun.set()
        if threading.current_thread() is not main:
            assert queued.wait(WAIT)
        return departments()

    assert in_one_snapshot(first, second, at_once=True) == (before, before)
    assert len(readers) == 2
    assert readers[1] is main
    migration[0].result(WAIT)


class Failed(Exception):
    pass


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def until_back_to(connections_before: int) -> None:
    deadline = time.monotonic() + WAIT  # the server ends a closed connection's backend on its own time
    while server_connections() != connections_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_connections() == connections_before


def test_a_first_read_that_fails_fails_at_once_without_waiting_for_the_read_beside(org):
    before = server_connections()
    begun, let_go, done = threading.Event(), threading.Event(), threading.Event()

    def first():
        assert begun.wait(WAIT)
        raise Failed

    def second():
        begun.set()
        let_go.wait(10)
        done.set()
        return departments()

    with pytest.raises(Failed):
        in_one_snapshot(first, second, at_once=True)
    assert not done.is_set()
    let_go.set()
    assert done.wait(WAIT)
    assert connection.get_autocommit()
    until_back_to(before)


def test_a_read_beside_that_fails_fails_the_report_and_leaves_no_connection_open(org):
    before = server_connections()
    begun = threading.Event()

    def first():
        assert begun.wait(WAIT)
        return departments()

    def second():
        begun.set()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    with pytest.raises(DataError):
        in_one_snapshot(first, second, at_once=True)
    assert connection.get_autocommit()
    until_back_to(before)
