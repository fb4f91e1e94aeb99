"""A report's reads see one moment while others write, on one connection or two, and a second connection that
cannot be had or fails leaves nothing behind (opinion_tracker/lib/snapshot.py)."""

import socket
import threading
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, connection, connections

from incidents.models import Department
from opinion_tracker.lib.snapshot import in_one_snapshot

from ..factories import DepartmentFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a snapshot transaction is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def departments() -> int:
    return Department.objects.count()


def make_a_department_elsewhere(parent) -> None:
    """A department committed by another thread's connection, closed again, before this returns."""
    failures = []

    def make():
        try:
            DepartmentFactory(name="新设部门", parent=parent)
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    maker = threading.Thread(target=make)
    maker.start()
    maker.join()
    assert not failures


def test_reads_one_after_the_other_see_the_moment_of_the_first(org):
    """A scheduled report reads on one connection: a department made between its two reads is not in the second."""
    before = departments()

    def first():
        counted = departments()
        make_a_department_elsewhere(org.department)
        return counted

    assert in_one_snapshot(first, departments) == (before, before)
    assert departments() == before + 1


def test_reads_side_by_side_see_one_moment_while_others_write(org):
    """A department made while the two reads run on two connections is seen by neither."""
    before = departments()
    made = threading.Event()

    def first():
        try:
            make_a_department_elsewhere(org.department)
        finally:
            made.set()
        return departments()

    def second():
        assert made.wait(timeout=30)
        return departments()

    assert in_one_snapshot(first, second, at_once=True) == (before, before)
    assert departments() == before + 1


@pytest.fixture
def no_second_connection(monkeypatch):
    """New connections go to a port nobody listens on, as when the server or the pooler has none to give; the
    connection already open is untouched."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection.ensure_connection()
    monkeypatch.setitem(connections.settings, DEFAULT_DB_ALIAS, {**connection.settings_dict, "PORT": str(port)})


def test_without_a_second_connection_the_second_read_runs_after_the_first_in_its_snapshot(org, no_second_connection):
    before = departments()
    seen_here = []

    def note(execute, sql, params, many, context):
        seen_here.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert in_one_snapshot(departments, departments, at_once=True) == (before, before)
    assert len([sql for sql in seen_here if 'FROM "incidents_department"' in sql]) == 2


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_read_beside_that_fails_fails_the_report_and_leaves_no_connection_open(org):
    before = server_connections()

    def second():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    with pytest.raises(DataError):
        in_one_snapshot(departments, second, at_once=True)
    assert connection.get_autocommit()
    deadline = time.monotonic() + 10  # the server ends a closed connection's backend on its own time
    while server_connections() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_connections() == before
