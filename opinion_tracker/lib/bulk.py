"""Writing many rows in one statement, for enforcement passes over thousands of due obligations.

Django's ``bulk_update`` builds an expression tree of ``When`` nodes per row and field (about a
millisecond per row in Python), and PostgreSQL then evaluates the resulting ``CASE`` row by row
against every branch. On PostgreSQL these functions pass one array per column through ``UNNEST``:
a fixed number of parameters however many rows, values adapted by psycopg as they are (JSON through
its field), and a join instead of a ``CASE``. Elsewhere (SQLite, the embedded default with small
volumes) they use Django's own ``bulk_create`` and ``bulk_update``.
"""

import json
from contextlib import contextmanager

from django.db import connection
from django.db.models import JSONField


class EncodedJSON(str):
    """A JSON column's value given as its JSON text, already encoded: written as it is (a column's values are
    all encoded or none are)."""


def _columns(fields, rows):
    """One list per field, JSON values prepared by their field (psycopg adapts the rest natively)."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    for field, column in zip(fields, columns, strict=True):
        if isinstance(field, JSONField) and not isinstance(column[0], EncodedJSON):
            column[:] = [field.get_db_prep_save(value, connection) for value in column]
    return columns


def _decoded(value):
    return json.loads(value) if isinstance(value, EncodedJSON) else value


def _unnest(fields) -> str:
    return "UNNEST(" + ", ".join(f"%b::{field.db_type(connection)}[]" for field in fields) + ")"


@contextmanager
def binary_cursor():
    """A cursor of the connection that sends its parameters to PostgreSQL apart from the statement and in binary
    (server-side binding; ``%b``), where Django's own cursors merge them into the statement as text.

    Dumping a column of 10,000 times as text takes psycopg 27 ms in Python, in binary 1.7 ms, and PostgreSQL then
    parses none of them: the arrays of a burst pass were a sixth of its Python (docs/benchmarks.md, "Recording a
    burst"). It is wrapped as Django wraps its own (``_prepare_cursor``), so the statements are timed and counted
    like any other (logged with ``$1``… in place of the values, which go apart). Django turns psycopg's prepared
    statements off (``prepare_threshold``), so a pooler in transaction mode is unaffected.
    """
    # Imported here, where PostgreSQL is in use; not in django-stubs.
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = connection._prepare_cursor(ServerBindingCursor(connection.connection))  # type: ignore[attr-defined]
    with cursor:
        yield cursor


def insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (values in ``field_names`` order, ids for foreign keys), skipping any row that
    would break a unique constraint."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        attnames = [field.attname for field in fields]
        model.objects.bulk_create(
            [model(**{name: _decoded(value) for name, value in zip(attnames, row, strict=True)}) for row in rows],
            ignore_conflicts=True,
        )
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with binary_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM {_unnest(fields)} "
            "ON CONFLICT DO NOTHING",
            _columns(fields, rows),
        )


def copy_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Insert ``rows`` as ``insert_rows`` does, for rows that can never conflict (ids drawn by the caller, no
    unique constraint to skip on): on PostgreSQL with ``COPY``, which streams the rows instead of adapting one
    array per column and unnesting them again (about 2.5 times faster for a batch of timeline events)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        insert_rows(model, field_names, rows)
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in zip(*_columns(fields, rows), strict=True):
            copy.write_row(row)


def update_rows(model, field_names: list[str], rows: dict) -> None:
    """Set ``field_names`` of each row: ``rows`` maps a primary key to its values, in that order."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        objects = []
        for pk, values in rows.items():
            instance = model(pk=pk)
            for field, value in zip(fields, values, strict=True):
                setattr(instance, field.attname, value)
            objects.append(instance)
        model.objects.bulk_update(objects, field_names)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    names = [quote(f"v{position}") for position in range(len(fields) + 1)]
    assignments = ", ".join(f"{quote(field.column)} = v.{name}" for field, name in zip(fields, names[1:], strict=True))
    with binary_cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
            f"FROM {_unnest([pk, *fields])} AS v({', '.join(names)}) "
            f"WHERE {quote(model._meta.db_table)}.{quote(pk.column)} = v.{names[0]}",
            _columns([pk, *fields], [(key, *values) for key, values in rows.items()]),
        )
