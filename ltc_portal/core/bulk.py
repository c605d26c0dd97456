"""Writing many rows at once. ``update_many`` writes the given fields of many instances in one
``UPDATE … FROM (VALUES …)`` per batch on PostgreSQL (Django's ``bulk_update`` builds a ``CASE WHEN``
per field and row, which grows quadratically in the planner for thousands of rows); elsewhere it is
``bulk_update``. Like ``bulk_update``: no signals, no ``auto_now``, only the named fields."""

from django.db import connections


def update_many(model, instances, fields, *, batch_size: int = 1000, using: str = "default") -> int:
    instances = list(instances)
    if not instances or not fields:
        return 0
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.db_manager(using).bulk_update(instances, fields, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = [f"{quote('v')}.{quote(f'c{i}')}::{f.db_type(connection)}" for i, f in enumerate(columns)]
    sets = ", ".join(f"{quote(f.column)} = {cast}" for f, cast in zip(columns, casts, strict=True))
    names = ", ".join([quote("pk"), *(quote(f"c{i}") for i in range(len(columns)))])
    row = "(" + ", ".join(["%s::" + pk.db_type(connection)] + ["%s"] * len(columns)) + ")"
    table = quote(meta.db_table)
    done = 0
    with connection.cursor() as cursor:
        for start in range(0, len(instances), batch_size):
            batch = instances[start : start + batch_size]
            params = []
            for obj in batch:
                params.append(obj.pk)
                for f in columns:
                    value = f.pre_save(obj, add=False)
                    params.append(f.get_db_prep_save(value, connection=connection))
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(batch))}) AS {quote('v')} ({names}) "
                f"WHERE {table}.{quote(pk.column)} = {quote('v')}.{quote('pk')}"
            )
            cursor.execute(sql, params)
            done += cursor.rowcount
    return done
