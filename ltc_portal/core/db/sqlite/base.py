"""SQLite as Django ships it, except that PostgreSQL-only indexes (GIN with ``gin_trgm_ops``, see
ltc_portal.core.indexes) are left out of its schema: SQLite rebuilds a table to add a NOT NULL
column or a constraint, and would otherwise try to rebuild those indexes too. The indexes stay in
the model state everywhere (``makemigrations --check`` is clean); SQLite searches by a plain scan."""

from django.contrib.postgres.indexes import PostgresIndex
from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _model_indexes_sql(self, model):
        if not model._meta.managed or model._meta.proxy or model._meta.swapped:
            return []
        output = []
        for field in model._meta.local_fields:
            output.extend(self._field_indexes_sql(model, field))
        for index in model._meta.indexes:
            if not isinstance(index, PostgresIndex):
                output.append(index.create_sql(model, self))
        return output

    def add_index(self, model, index):
        if not isinstance(index, PostgresIndex):
            super().add_index(model, index)

    def remove_index(self, model, index):
        if not isinstance(index, PostgresIndex):
            super().remove_index(model, index)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
