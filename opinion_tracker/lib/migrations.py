"""Index changes that never hold a big table still: ``CREATE``/``DROP INDEX CONCURRENTLY`` on PostgreSQL, where
a plain ``CREATE INDEX`` in a migration's transaction would stop every read and write of the table while the index
is built (minutes for a province's millions of incidents), and the plain operation elsewhere (SQLite, the embedded
default, with small tables and no concurrent builds). A migration using them sets ``atomic = False``.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


class WithoutBlocking(Operation):
    """The concurrent operation on PostgreSQL, ``plain`` elsewhere."""

    plain: type[Operation]

    def database_forwards(self, app_label, schema_editor, *states):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, *states)
        return self.plain.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label, schema_editor, *states):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, *states)
        return self.plain.database_backwards(self, app_label, schema_editor, *states)


class AddIndexWithoutBlocking(WithoutBlocking, AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexWithoutBlocking(WithoutBlocking, RemoveIndexConcurrently):
    plain = RemoveIndex
