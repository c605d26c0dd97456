"""Migration operations that exist on PostgreSQL only (the portal also runs on SQLite).

``PostgresOnlyAddIndex`` is ``AddIndex`` whose SQL runs only on PostgreSQL: the index is in the
model state everywhere (so ``makemigrations --check`` stays clean) but created only where its
method (GIN, ``gin_trgm_ops``) exists. Install pg_trgm first with
``django.contrib.postgres.operations.TrigramExtension`` (itself a no-op elsewhere).
"""

from django.db.migrations.operations import AddIndex


class PostgresOnlyAddIndex(AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return super().describe() + " (PostgreSQL only)"
