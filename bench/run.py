"""Benchmarks of the leads list (page and API), the Excel export and the import, at growing scales.

Runs on its own database: DATABASE_URL when set (e.g. a PostgreSQL bench database), otherwise a
fresh SQLite file in bench/results/. Figures go to bench/results/leads-<timestamp>.json and are
printed. Each figure is the median of several runs, in milliseconds.
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RESULTS.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench.sqlite3'}")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from leads.imports import run_import  # noqa: E402
from leads.models import Lead, LeadImport  # noqa: E402

SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "1000,10000,50000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
settings.ALLOWED_HOSTS = ["*"]


def timed(fn, repeat=REPEAT):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def grow_to(n, owner):
    have = Lead.objects.count()
    batch = [
        Lead(
            owner=owner,
            company_name=f"Bench Company {i}",
            contact_name=f"Contact {i}",
            email=f"b{i}@bench.example",
            phone=f"139{i:08d}",
            source="website",
            need="Network refresh" if i % 2 else "",
            budget_amount=(i % 50) * 10000 or None,
            timeline="3_to_6_months" if i % 3 else "",
        )
        for i in range(have, n)
    ]
    for lead in batch:
        lead.derive()
    Lead.objects.bulk_create(batch, batch_size=2000)


def main():
    call_command("migrate", verbosity=0)
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-director")
    user.groups.add(Group.objects.get(name="sales_director"))
    client = Client()
    client.force_login(user)
    figures = {"database": connection.vendor, "when": datetime.now(UTC).isoformat(timespec="seconds"), "scales": []}
    for n in SCALES:
        grow_to(n, user)
        row = {"leads": n}
        for name, url in [
            ("api_list_ms", "/api/v1/leads/"),
            ("api_list_filtered_ms", "/api/v1/leads/?state=new&ordering=-score&q=Company%201"),
            ("page_list_ms", "/leads/"),
            ("page_list_search_ms", "/leads/?q=Company%2042&ordering=-score"),
        ]:
            row[name] = timed(lambda url=url: client.get(url))
            connection.queries_log.clear()  # the bulk inserts may have filled the bounded log
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            row[name.replace("_ms", "_queries")] = len(ctx.captured_queries)
        row["export_filtered_1000_ms"] = timed(lambda: client.get("/leads/export.xlsx?q=Company%201"), repeat=2)
        figures["scales"].append(row)
        print(json.dumps(row))
    content = (
        "company_name,email,source\n" + "\n".join(f"Import {i},i{i}@imp.example,event" for i in range(5000))
    ).encode()
    imp = LeadImport.objects.create(filename="bench.csv", content=content, created_by=user)
    start = time.perf_counter()
    run_import(imp)
    figures["import_5000_rows_ms"] = round((time.perf_counter() - start) * 1000, 1)
    print("import 5000 rows:", figures["import_5000_rows_ms"], "ms")
    out = RESULTS / f"leads-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2))
    print("written", out)


if __name__ == "__main__":
    main()
