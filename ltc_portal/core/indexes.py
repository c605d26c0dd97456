"""Index helpers for the models' ``Meta.indexes``."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models.functions import Upper


def trigram_index(*fields: str, name: str) -> GinIndex:
    """A trigram GIN index on ``UPPER(field)`` for each field: what ``icontains`` compares on
    PostgreSQL (``UPPER(col::text) LIKE UPPER('%q%')``), so a search with ``icontains`` uses it. The
    migration that adds one installs pg_trgm first (``TrigramExtension``) and adds it with
    ``ltc_portal.core.migration_ops.PostgresOnlyAddIndex`` (SQLite has no GIN: a plain scan there)."""
    return GinIndex(*(OpClass(Upper(f), name="gin_trgm_ops") for f in fields), name=name)
