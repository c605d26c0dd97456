"""Benchmark of the monthly accounting job against its floor: a raw SQL GROUP BY over the same cost rows.

Seeds (bulk inserts, once) BENCH_PROJECTS projects in build, each with a contract, an approved budget
and two milestones, and BENCH_ENTRIES approved cost entries spread over them, a fifth in USD (with a
rate); then times ``execute_run`` for the current month and the raw aggregate, side by side, and writes
both and their ratio to bench/results/finance-<timestamp>.json. Runs on DATABASE_URL (PostgreSQL gives
the figures that matter), or a fresh SQLite file in bench/results/.
"""

import datetime
import json
import os
import statistics
import sys
import time
from datetime import UTC
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RESULTS.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench-finance.sqlite3'}")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from contracts.models import Contract  # noqa: E402
from delivery.models import Milestone, Project  # noqa: E402
from finance import accounting  # noqa: E402
from finance.models import AccountingRun, Budget, CostEntry, ExchangeRate  # noqa: E402
from finance.services import accounting_run_record  # noqa: E402
from leads.models import Customer  # noqa: E402
from opportunities.models import Opportunity, Quote  # noqa: E402

PROJECTS = int(os.environ.get("BENCH_PROJECTS", "500"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CATEGORIES = ["labour", "equipment", "subcontract", "travel", "other"]


def timed(fn):
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def seed(today):
    if Project.objects.filter(name__startswith="Bench finance").count() >= PROJECTS:
        return
    User = get_user_model()
    pm, _ = User.objects.get_or_create(username="bench-finance-pm")
    customer, _ = Customer.objects.get_or_create(name="Bench finance customer", defaults={"owner": pm})
    start = today.replace(day=1)
    opps = Opportunity.objects.bulk_create(
        [
            Opportunity(
                customer=customer,
                owner=pm,
                name=f"Bench finance deal {i}",
                expected_value=Decimal(1000000),
                state="won",
            )
            for i in range(PROJECTS)
        ],
        batch_size=2000,
    )
    quotes = Quote.objects.bulk_create(
        [
            Quote(
                opportunity=o,
                version=1,
                currency="CNY",
                revenue=Decimal("1000000.00"),
                cost=Decimal("750000.00"),
                state="accepted",
            )
            for o in opps
        ],
        batch_size=2000,
    )
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                quote=q,
                opportunity=o,
                number=f"BF-{o.pk}",
                value=Decimal("1000000.00"),
                currency="CNY",
                state="handed_over",
            )
            for o, q in zip(opps, quotes, strict=True)
        ],
        batch_size=2000,
    )
    projects = Project.objects.bulk_create(
        [
            Project(opportunity=o, contract=c, name=f"Bench finance {o.pk}", pm=pm, currency="CNY", state="implement")
            for o, c in zip(opps, contracts, strict=True)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    Budget.objects.bulk_create(
        [
            Budget(project=p, version=1, currency="CNY", total=Decimal("800000.00"), state="approved", approved_at=now)
            for p in projects
        ],
        batch_size=2000,
    )
    Milestone.objects.bulk_create(
        [
            Milestone(
                project=p,
                name=f"M{k}",
                planned_start=start,
                planned_end=start + datetime.timedelta(days=10 * k),
                weight=Decimal(k),
            )
            for p in projects
            for k in (1, 2)
        ],
        batch_size=2000,
    )
    ExchangeRate.objects.get_or_create(
        currency="USD", date=start - datetime.timedelta(days=40), defaults={"rate": Decimal("7.1")}
    )
    batch = []
    for i in range(ENTRIES):
        batch.append(
            CostEntry(
                project=projects[i % PROJECTS],
                date=start - datetime.timedelta(days=i % 60),
                category=CATEGORIES[i % 5],
                amount=Decimal(100 + i % 900),
                currency="USD" if i % 5 == 0 else "CNY",
                description="bench",
                source_system="bench",
                source_ref=f"B-{i}",
                entered_by=pm,
                state="approved",
                period=(start - datetime.timedelta(days=i % 60)).strftime("%Y-%m"),
            )
        )
        if len(batch) == 5000:
            CostEntry.objects.bulk_create(batch)
            batch = []
    CostEntry.objects.bulk_create(batch)


def raw_aggregate(end):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT project_id, category, SUM(amount) FROM finance_costentry "
            "WHERE state = 'approved' AND date <= %s GROUP BY project_id, category",
            [end],
        )
        return cursor.fetchall()


def main():
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    seed(today)
    period = today.strftime("%Y-%m")
    end = accounting.month_end(period)

    def job():
        run = accounting.execute_run(accounting_run_record(period=period, user=None).pk)
        assert run.state == "succeeded", run.error

    with CaptureQueriesContext(connection) as ctx:
        job()
    scope = Project.objects.filter(state__in=accounting.ACCOUNTED_STATES)
    job_ms, raw_ms = timed(job), timed(lambda: raw_aggregate(end))
    costs_ms = timed(lambda: accounting._costs(scope, accounting.month_start(period), end))
    figures = {
        "database": connection.vendor,
        "when": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "projects": Project.objects.filter(state__in=accounting.ACCOUNTED_STATES).count(),
        "cost_entries": CostEntry.objects.count(),
        "job_ms": job_ms,
        "job_queries": len(ctx.captured_queries),
        "raw_group_by_ms": raw_ms,
        "ratio_job_to_raw": round(job_ms / raw_ms, 2) if raw_ms else None,
        "job_cost_aggregate_ms": costs_ms,
        "ratio_cost_aggregate_to_raw": round(costs_ms / raw_ms, 2) if raw_ms else None,
        "runs": AccountingRun.objects.count(),
    }
    out = RESULTS / f"finance-{datetime.datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
