"""Shared by the benchmarks that run on a scratch PostgreSQL database (bench/finance.py, bench/performance.py)."""


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
