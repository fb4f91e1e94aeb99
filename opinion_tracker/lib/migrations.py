"""Index changes that never hold a big table still: ``CREATE``/``DROP INDEX CONCURRENTLY`` on PostgreSQL, where
a plain ``CREATE INDEX`` in a migration's transaction would stop every read and write of the table while the index
is built (minutes for a province's millions of incidents), and the plain operation elsewhere (SQLite, the embedded
default, with small tables and no concurrent builds). A migration using them sets ``atomic = False``.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, AlterField, RemoveIndex
from django.db.migrations.operations.base import Operation


def concurrent(schema_editor) -> bool:
    """Whether indexes are built and dropped concurrently: on PostgreSQL."""
    return schema_editor.connection.vendor == "postgresql"


class WithoutBlocking(Operation):
    """The concurrent operation on PostgreSQL, ``plain`` elsewhere."""

    plain: type[Operation]

    def database_forwards(self, app_label, schema_editor, *states):
        if concurrent(schema_editor):
            return super().database_forwards(app_label, schema_editor, *states)
        return self.plain.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label, schema_editor, *states):
        if concurrent(schema_editor):
            return super().database_backwards(app_label, schema_editor, *states)
        return self.plain.database_backwards(self, app_label, schema_editor, *states)


class AddIndexWithoutBlocking(WithoutBlocking, AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexWithoutBlocking(WithoutBlocking, RemoveIndexConcurrently):
    plain = RemoveIndex


class DropForeignKeyIndex(AlterField):
    """``AlterField`` of a foreign key to ``db_index=False`` (``field``), where another index serves its lookups: drops
    the key's own index and nothing else. Django's ``AlterField`` would also drop the key's constraint and add it
    again, which on PostgreSQL checks every row of the table while holding off its writes.

    ``IF EXISTS``: a migration of several, not atomic, that stopped half-way can be run again.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        _table, name, _column = self._index(app_label, schema_editor, from_state)
        schema_editor.execute(f"DROP INDEX {self._concurrently(schema_editor)}IF EXISTS {name}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, name, column = self._index(app_label, schema_editor, to_state)
        schema_editor.execute(
            f"CREATE INDEX {self._concurrently(schema_editor)}IF NOT EXISTS {name} ON {table} ({column})"
        )

    def _index(self, app_label, schema_editor, state) -> tuple[str, str, str]:
        """The table, the name Django gave the key's index, and the column, each quoted."""
        model = state.apps.get_model(app_label, self.model_name)
        table, column = model._meta.db_table, model._meta.get_field(self.name).column
        quote = schema_editor.quote_name
        return quote(table), quote(schema_editor._create_index_name(table, [column], suffix="")), quote(column)

    @staticmethod
    def _concurrently(schema_editor) -> str:
        return "CONCURRENTLY " if concurrent(schema_editor) else ""
