"""Benchmarks of the sales and delivery pages at growing scales: the pipeline page, the opportunities
API, and the PM cockpit of a project with many records.

Runs on its own database like bench/run.py (DATABASE_URL, or a fresh SQLite file in bench/results/).
Figures go to bench/results/sales-<timestamp>.json; each is the median of several runs in ms.
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
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench-sales.sqlite3'}")
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
from django.utils import timezone  # noqa: E402

from delivery.models import Milestone, Project, ProjectIssue, Risk, TeamMember  # noqa: E402
from leads.models import Customer  # noqa: E402
from opportunities.models import Opportunity  # noqa: E402

SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "100,1000,5000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
settings.ALLOWED_HOSTS = ["*"]


def timed(fn):
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def measure(client, url):
    connection.queries_log.clear()  # the bulk inserts may have filled the bounded log
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return timed(lambda: client.get(url)), len(ctx.captured_queries)


def main():
    call_command("migrate", verbosity=0)
    User = get_user_model()
    director, _ = User.objects.get_or_create(username="bench-sales-director")
    director.groups.add(Group.objects.get(name="sales_director"), Group.objects.get(name="pmo"))
    customer, _ = Customer.objects.get_or_create(name="Bench Customer", defaults={"owner": director})
    client = Client()
    client.force_login(director)
    today = timezone.localdate()
    figures = {
        "database": connection.vendor,
        "when": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "scales": [],
    }
    for n in SCALES:
        have = Opportunity.objects.count()
        Opportunity.objects.bulk_create(
            [
                Opportunity(
                    customer=customer,
                    owner=director,
                    name=f"Bench deal {i}",
                    expected_value=Decimal(100000 + i),
                    probability=10 + i % 80,
                    expected_close_date=today + datetime.timedelta(days=i % 365),
                )
                for i in range(have, n)
            ],
            batch_size=2000,
        )
        row = {"opportunities": n}
        row["pipeline_ms"], row["pipeline_queries"] = measure(client, "/opportunities/")
        row["api_list_ms"], row["api_list_queries"] = measure(client, "/api/v1/opportunities/")
        row["api_forecast_ms"], row["api_forecast_queries"] = measure(client, "/api/v1/opportunities/forecast/")
        figures["scales"].append(row)
        print(json.dumps(row))
    opp = Opportunity.objects.first()
    project, _ = Project.objects.get_or_create(opportunity=opp, defaults={"name": "Bench project", "pm": director})
    for records in (10, 100):
        for model, make in (
            (
                Risk,
                lambda i: Risk(
                    project=project,
                    category="c",
                    description=f"r{i}",
                    probability=1 + i % 5,
                    impact=1 + i % 5,
                    owner=director,
                    response="accept",
                ),
            ),
            (
                ProjectIssue,
                lambda i: ProjectIssue(
                    project=project, title=f"i{i}", source="internal", severity="minor", owner=director, due_date=today
                ),
            ),
            (Milestone, lambda i: Milestone(project=project, name=f"m{i}", planned_start=today, planned_end=today)),
        ):
            have = model.objects.filter(project=project).count()
            objs = [make(i) for i in range(have, records)]
            if model is Risk:
                for r in objs:
                    r.exposure = r.probability * r.impact
            model.objects.bulk_create(objs)
        have = TeamMember.objects.filter(project=project).count()
        for i in range(have, records // 10):
            member, _ = User.objects.get_or_create(username=f"bench-member-{i}")
            TeamMember.objects.create(project=project, user=member, role="engineer", start_date=today)
        ms, queries = measure(client, f"/projects/{project.pk}/")
        figures.setdefault("cockpit", []).append({"records_per_register": records, "ms": ms, "queries": queries})
        print(json.dumps(figures["cockpit"][-1]))
    out = RESULTS / f"sales-{datetime.datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2))
    print("written", out)


if __name__ == "__main__":
    main()
