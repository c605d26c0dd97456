"""Benchmark of the KPI scoring job (performance/scoring.py) against a raw SQL floor.

Seeds with ``manage.py seed_scale --size BENCH_SIZE`` (default S; L: 2k people, 5k projects, 1M cost
entries…; idempotent, so a second run reuses the data; performance/scale.py adds the quality checks,
issues, templates, manager scores, peer reviews and the yearly cycle ``scale-year`` the job reads),
runs the monthly accounting for the last closed month once when it has no accounts (the cost
indicators read them), then times the ``score`` step of the yearly cycle through the service with the
task run eagerly (the step, the job and its writes; medians of BENCH_REPEAT runs; the cycle is scored
again from ``calibrating``), with the job's pieces timed inside each run: memberships, the per-project
indicator aggregates, the manager and peer scores, and the rest (evaluation in Python and the bulk
writes). The floor (PostgreSQL) is one SQL statement that reads the same inputs for two indicators —
milestone completion and defects per project, weighted by allocation × days per person — and writes
every appraisal's score with UPDATE … FROM. Figures, ratio, people, projects and queries go to
bench/results/performance-<size>-<timestamp>.json (not committed).

Runs on DATABASE_URL (a missing PostgreSQL database is created), or a SQLite file in bench/results/.
``make bench-perf-l`` runs BENCH_SIZE=L on PostgreSQL BENCH_PERF_DATABASE_URL. Target: ≤ 20 s at L.
"""

import datetime
import json
import os
import statistics
import sys
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RESULTS.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench-performance.sqlite3'}")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")
SIZE = os.environ.get("BENCH_SIZE", "S").upper()
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


import common  # noqa: E402  (bench/ is the script's folder)
from common import ensure_postgres_database  # noqa: E402

ensure_postgres_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from finance import accounting  # noqa: E402
from finance.models import MonthlyAccount  # noqa: E402
from finance.services import accounting_run_record  # noqa: E402
from performance import scoring, services  # noqa: E402
from performance.models import Appraisal, AppraisalCycle  # noqa: E402
from performance.scale import CYCLE  # noqa: E402

#: the job's pieces, timed inside each run by wrapping them for the bench
PIECES = ("people", "project_values", "scored_by_people", "run_effect_many")

FLOOR_SQL = """
WITH m AS (
    SELECT ms.project_id, COUNT(*) AS n,
           COUNT(*) FILTER (WHERE ms.state = 'accepted' AND ac.date <= %(end)s) AS done
    FROM delivery_milestone ms LEFT JOIN delivery_acceptancecertificate ac ON ac.milestone_id = ms.id
    WHERE ms.planned_end BETWEEN %(start)s AND %(end)s AND ms.state <> 'waived'
    GROUP BY ms.project_id
), q AS (
    SELECT qc.project_id, COUNT(d.id) AS found
    FROM delivery_qualitycheck qc LEFT JOIN delivery_defect d ON d.quality_check_id = qc.id
    WHERE qc.date BETWEEN %(start)s AND %(end)s
    GROUP BY qc.project_id
), t AS (
    SELECT user_id, project_id,
           allocation_percent * (LEAST(COALESCE(end_date, %(end)s), %(end)s) - GREATEST(start_date, %(start)s) + 1) AS w
    FROM delivery_teammember
    WHERE start_date <= %(end)s AND (end_date IS NULL OR end_date >= %(start)s)
), p AS (
    SELECT t.user_id,
           SUM(t.w * 100.0 * m.done / m.n) / NULLIF(SUM(t.w) FILTER (WHERE m.n IS NOT NULL), 0) AS completion,
           SUM(t.w * q.found) / NULLIF(SUM(t.w) FILTER (WHERE q.found IS NOT NULL), 0) AS defects
    FROM t LEFT JOIN m ON m.project_id = t.project_id LEFT JOIN q ON q.project_id = t.project_id
    GROUP BY t.user_id
)
UPDATE performance_appraisal a
SET score = LEAST(100, GREATEST(0, COALESCE(p.completion, 0) * 0.8 + GREATEST(0, 20 - COALESCE(p.defects, 0))))
FROM p WHERE a.employee_id = p.user_id AND a.cycle_id = %(cycle)s
"""


def floor(cycle) -> float | None:
    """The raw SQL floor, in ms (median), rolled back; None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    samples = []
    for _ in range(REPEAT):
        with transaction.atomic():
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, {"start": cycle.start, "end": cycle.end, "cycle": cycle.pk})
            samples.append((time.perf_counter() - start) * 1000)
            transaction.set_rollback(True)
    return round(statistics.median(samples), 1)


def instrumented(spent: dict):
    return common.instrumented(scoring, PIECES, spent)


def accounts_for(cycle) -> None:
    """The monthly accounts of the last closed month (the cost indicators read them), run once."""
    period = scoring.last_closed_month(cycle.end)
    if not MonthlyAccount.objects.filter(period__period=period).exists():
        run = accounting.execute_run(accounting_run_record(period=period, user=None).pk)
        print(f"accounting {period}: {run.state}")


def main():
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seed_scale", size=SIZE)
    seed_s = round(time.perf_counter() - start, 1)
    cycle = AppraisalCycle.objects.get(name=CYCLE)
    accounts_for(cycle)
    hr = get_user_model().objects.filter(groups__name="hr", username__startswith="scale-").order_by("pk").first()

    def job():
        done = services.cycle_transition(cycle=AppraisalCycle.objects.get(pk=cycle.pk), name="score", user=hr)
        done.refresh_from_db()
        assert done.state == "calibrating", done.error

    with CaptureQueriesContext(connection) as ctx:
        job()
    runs = []
    for _ in range(REPEAT):
        spent = {}
        with instrumented(spent):
            t0 = time.perf_counter()
            job()
            spent["job"] = (time.perf_counter() - t0) * 1000
        spent["rest_python_and_writes"] = spent["job"] - sum(spent.get(p, 0) for p in PIECES)
        runs.append(spent)
    pieces = {name: round(statistics.median(r.get(name, 0) for r in runs), 1) for name in runs[0]}
    job_ms = pieces.pop("job")
    floor_ms = floor(cycle)
    appraisals = Appraisal.objects.filter(cycle=cycle)
    figures = {
        "database": connection.vendor,
        "when": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "size": SIZE,
        "seed_s": seed_s,
        "cycle": {"kind": cycle.kind, "start": str(cycle.start), "end": str(cycle.end)},
        "appraisals": appraisals.count(),
        "scored": appraisals.exclude(score=None).count(),
        "team_members_in_window": scoring.memberships(cycle.start, cycle.end).count(),
        "projects_in_window": scoring.memberships(cycle.start, cycle.end).values("project_id").distinct().count(),
        "job_ms": job_ms,
        "job_queries": len(ctx.captured_queries),
        "target_ms": 20000,
        "raw_sql_floor_ms": floor_ms,
        "ratio_job_to_floor": round(job_ms / floor_ms, 2) if floor_ms else None,
        "job_pieces_ms": pieces,
        "bench_s": round(time.perf_counter() - started, 1),
    }
    out = RESULTS / f"performance-{SIZE}-{datetime.datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
