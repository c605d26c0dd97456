"""List speed (issue 11 §5): every list page and API list, and the global search, timed side by side
in one run against two floors that only this bench adds (not the product):

- ``bare``: a bare Django JSON view over the same rows (the same visibility, filter and ordering:
  an exact COUNT and 25 rows as ``values()``, no serializer, no template; for the global search, the
  same seven visible querysets, 10 ids each);
- ``admin``: the admin changelist of 100 groups (``/admin/auth/group/``).

API lists and the search API are compared with ``bare``, pages with ``admin``. Targets: API ≤ 2×,
pages ≤ 1.5×, search ≤ 2×. Each case runs as a director (everything) and as a seeded sales user (their
own rows only). Figures (median ms of BENCH_REPEAT runs, query counts, ratios) go to
bench/results/lists-<size>-<timestamp>.json.

Database: DATABASE_URL (``make bench-lists`` points it at a scratch PostgreSQL database, e.g.
``…/ltc_h3_l``), else a SQLite file in bench/results/. The data are grown with ``seed_scale --size
BENCH_SIZE`` (S by default; idempotent, so a seeded database is reused).
"""

import datetime
import json
import os
import sys
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RESULTS.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench-lists.sqlite3'}")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

import common  # noqa: E402  (bench/ is the script's folder)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

from contracts.selectors import contract_visible  # noqa: E402
from delivery.selectors import project_visible  # noqa: E402
from finance.models import Invoice  # noqa: E402
from leads.models import Lead  # noqa: E402
from leads.selectors import contact_visible, customer_visible, lead_visible  # noqa: E402
from opportunities.selectors import opportunity_visible  # noqa: E402

SIZE = os.environ.get("BENCH_SIZE", "S")
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
TARGET = {"api": 2.0, "page": 1.5, "search": 2.0}
#: BENCH_ONLY=leads,opportunities runs only those cases (names as printed)
ONLY = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}


def lead_search(qs, q):
    return qs.filter(
        Q(company_name__icontains=q)
        | Q(contact_name__icontains=q)
        | Q(email__icontains=q)
        | Q(phone__icontains=q)
        | Q(need__icontains=q)
    )


def invoices(user):
    return Invoice.objects.filter(contract__in=contract_visible(user))


#: the bare floor of each API list: (visible rows of the user) -> the same rows, filtered and ordered
BARE = {
    "leads": lambda u, q: lead_visible(u).order_by("-score", "-created_at"),
    "leads-company": lambda u, q: lead_visible(u).order_by("company_name"),
    "leads-newest": lambda u, q: lead_visible(u).order_by("-created_at"),
    "leads-search": lambda u, q: lead_search(lead_visible(u), q).order_by("-score", "-created_at"),
    "customers": lambda u, q: customer_visible(u).order_by("name", "pk"),
    "opportunities": lambda u, q: opportunity_visible(u).order_by("-created_at"),
    "projects": lambda u, q: project_visible(u).order_by("-created_at"),
    "invoices": lambda u, q: invoices(u).order_by("-issue_date", "-id"),
}


def search_floor(u, q):
    """The global search's rows, bare: each type's visible rows matching ``q``, 10 each as values()."""
    return [
        lead_search(lead_visible(u), q).order_by("-score", "-created_at"),
        customer_visible(u).filter(Q(name__icontains=q) | Q(tax_id__icontains=q)).order_by("name", "pk"),
        contact_visible(u)
        .filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
        .order_by("name", "pk"),
        opportunity_visible(u).filter(name__icontains=q).order_by("-created_at", "-pk"),
        contract_visible(u).filter(number__icontains=q).order_by("number", "pk"),
        project_visible(u).filter(name__icontains=q).order_by("-created_at", "-pk"),
        invoices(u).filter(number__icontains=q).order_by("-issue_date", "-pk"),
    ]


def bare_view(request, name):
    if name == "search":
        rows = [list(qs.values("pk")[:10]) for qs in search_floor(request.user, request.GET.get("q", ""))]
        return JsonResponse({"results": rows})
    qs = BARE[name](request.user, request.GET.get("q", ""))
    return JsonResponse({"count": qs.count(), "results": list(qs.values()[:25])}, safe=False)


def timed(client, url):
    return common.timed_get(client, url, REPEAT)


common.serve_with("bench_lists_urls", [path("__bench__/bare/<slug:name>/", bare_view)])


def main():
    call_command("migrate", verbosity=0)
    call_command("seed_scale", size=SIZE, verbosity=0)
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-lists-admin", defaults={"is_staff": True})
    admin.is_staff = admin.is_superuser = True
    admin.save()
    Group.objects.bulk_create([Group(name=f"bench-group-{i:03d}") for i in range(100)], ignore_conflicts=True)
    assert Group.objects.count() >= 100
    director, _ = User.objects.get_or_create(username="bench-lists-director")
    director.groups.add(*Group.objects.filter(name__in=["sales_director", "finance", "pmo"]))
    sales = (
        User.objects.filter(groups__name="sales", is_superuser=False)
        .exclude(groups__name__in=["sales_director", "executive"])
        .annotate(n=Count("leads"))
        .order_by("-n")
        .first()
    )
    # a word that matches a few hundred leads (a company name of the seed), and a rare one
    term = os.environ.get("BENCH_SEARCH", "Northwind")
    floors = {}
    admin_client = Client()
    admin_client.force_login(admin)
    floors["admin"] = timed(admin_client, "/admin/auth/group/")[:2]
    figures = {
        "database": connection.vendor,
        "size": SIZE,
        "leads": Lead.objects.count(),
        "when": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": REPEAT,
        "floor_admin_ms": floors["admin"][0],
        "exact_count_max": settings.LIST_EXACT_COUNT_MAX,
        "cases": [],
    }
    api_cases = [
        ("leads", "/api/v1/leads/"),
        ("leads-company", "/api/v1/leads/?ordering=company_name"),
        ("leads-newest", "/api/v1/leads/?ordering=-created_at"),
        ("leads-search", f"/api/v1/leads/?q={term}"),
        ("customers", "/api/v1/customers/"),
        ("opportunities", "/api/v1/opportunities/"),
        ("projects", "/api/v1/projects/"),
        ("invoices", "/api/v1/invoices/"),
        ("search", f"/api/v1/search/?q={term}"),
    ]
    page_cases = [
        ("leads page", "/leads/"),
        ("leads page by budget", "/leads/?ordering=-budget_amount"),
        ("leads page search", f"/leads/?q={term}"),
        ("customers page", "/leads/customers/"),
        ("opportunities page", "/opportunities/all/"),
        ("projects page", "/projects/"),
        ("invoices page", "/finance/invoices/"),
        ("search page", f"/search/?q={term}"),
    ]
    for who, user in (("director", director), ("sales", sales)):
        client = Client()
        client.force_login(user)
        for name, url in api_cases:
            if ONLY and name not in ONLY:
                continue
            ms, queries, response = timed(client, url)
            bare_ms, _bare_q, _ = timed(client, f"/__bench__/bare/{name}/?q={term}")
            kind = "search" if name in ("search", "leads-search") else "api"
            ratio = round(ms / bare_ms, 2)
            figures["cases"].append(
                {
                    "who": who,
                    "case": name,
                    "url": url,
                    "ms": ms,
                    "queries": queries,
                    "floor": "bare",
                    "floor_ms": bare_ms,
                    "ratio": ratio,
                    "target": TARGET[kind],
                    "ok": ratio <= TARGET[kind],
                    "count_estimated": response.get("X-Count-Estimated") == "true",
                }
            )
        for name, url in page_cases:
            if (who == "sales" and "invoices" in name) or (ONLY and name not in ONLY):
                continue  # invoices: finance's page
            ms, queries, _ = timed(client, url)
            kind = "search" if "search" in name else "page"
            ratio = round(ms / floors["admin"][0], 2)
            figures["cases"].append(
                {
                    "who": who,
                    "case": name,
                    "url": url,
                    "ms": ms,
                    "queries": queries,
                    "floor": "admin",
                    "floor_ms": floors["admin"][0],
                    "ratio": ratio,
                    "target": TARGET[kind],
                    "ok": ratio <= TARGET[kind],
                }
            )
    out = RESULTS / f"lists-{SIZE}-{datetime.datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"{connection.vendor}, size {SIZE}, {figures['leads']:,} leads; admin floor {floors['admin'][0]} ms")
    for c in figures["cases"]:
        mark = "ok " if c["ok"] else "OVER"
        print(
            f"{mark} {c['who']:8} {c['case']:22} {c['ms']:8.1f} ms {c['queries']:3} q  "
            f"{c['floor']:5} {c['floor_ms']:7.1f} ms  {c['ratio']:5.2f}× (≤ {c['target']}×)"
        )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
