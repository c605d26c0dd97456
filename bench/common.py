"""What the benchmarks share: a scratch PostgreSQL database made on demand, and timing a job's pieces."""

import contextlib
import time


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist yet (a scratch bench database)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg2
    from psycopg2 import sql

    name = unquote(parts.path.lstrip("/"))
    server = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
        "dbname": "postgres",
    }
    conn = psycopg2.connect(**{k: v for k, v in server.items() if v is not None})
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    conn.close()


@contextlib.contextmanager
def instrumented(module, pieces, spent: dict):
    """Time every call of ``module``'s functions ``pieces`` while the job runs (``spent``: name → ms,
    summed), by wrapping them for the bench and putting them back after."""
    originals = {name: getattr(module, name) for name in pieces}

    def wrap(name, fn):
        def timed_piece(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0) + (time.perf_counter() - start) * 1000

        return timed_piece

    for name, fn in originals.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def serve_with(name: str, patterns: list) -> None:
    """Serve ``patterns`` (the bench's floors, never the product's) in front of the portal's URLs, under
    a URLconf module called ``name``. Call after django.setup()."""
    import sys
    import types

    from django.conf import settings
    from django.urls import include, path

    module = types.ModuleType(name)
    module.urlpatterns = [*patterns, path("", include(settings.ROOT_URLCONF))]
    sys.modules[name] = module
    settings.ROOT_URLCONF = name
    settings.ALLOWED_HOSTS = ["*"]


def timed_get(client, url: str, repeat: int) -> tuple[float, int, object]:
    """GET ``url`` once counting its queries, then ``repeat`` times timing it: (median ms, queries,
    the first response). Refuses anything but a 200."""
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # a full log (9,000 under DEBUG) would capture nothing
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 2), len(ctx.captured_queries), response
