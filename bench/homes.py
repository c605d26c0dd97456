"""Homes at dataset size (issue 10 §1): each role's home page, and each of its panels alone, timed as
the seeded person of that role sees them, against two floors in the same run that only this bench adds:

- ``bare``: a logged-in view that renders the portal's base page with nothing in it (the cost of the
  session, the middleware, the navbar and its badge: what every page pays);
- ``admin``: the admin changelist of 100 groups (``/admin/auth/group/``).

Target: a home within 300 ms of server time (issue 10), whatever the role; the ratio to each floor is
written beside it. A panel that is a snapshot (the executive's LTC flow, FLOW_SNAPSHOT_SECONDS) is
timed twice: as its reader gets it (``ms``: from the snapshot, what the target is held to) and computed
afresh (``cold_ms``: ``?refresh=1``, what its Refresh button and the first view after the snapshot's
age cost); for the other panels the two are the same work. Each home also states its query count (constant,
guarded by tests/core/test_home.py).
A person with every role (the bench's ``bench-homes-all``) sees every panel at once.

Database: DATABASE_URL (``make bench-homes`` points it at the ``bench-l`` database), else a SQLite file
in bench/results/. Grown with ``seed_scale --size BENCH_SIZE`` (S by default; idempotent). Figures
(median ms of BENCH_REPEAT runs) go to bench/results/homes-<size>-<timestamp>.json.
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
os.environ.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'bench-homes.sqlite3'}")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

import common  # noqa: E402  (bench/ is the script's folder)

common.ensure_postgres_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

from ltc_portal.core import dashboard  # noqa: E402
from ltc_portal.core.roles import user_roles  # noqa: E402
from ltc_portal.core.scale import PEOPLE_ROLES, PREFIX  # noqa: E402

SIZE = os.environ.get("BENCH_SIZE", "S")
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
TARGET_MS = 300
ROLES = ("sales", "sales_director", "solution", "pmo", "delivery", "finance", "executive", "hr")


@login_required
def bare_view(request):
    return render(request, "base.html", {})


def timed(client, url):
    return common.timed_get(client, url, REPEAT)


common.serve_with("bench_homes_urls", [path("__bench__/bare/", bare_view)])


def person_of(role):
    """The first seeded person of ``role`` (scale-NNNNN, PEOPLE_ROLES by index); None when the size has
    nobody of that role (S has ten people: no executive)."""
    k = PEOPLE_ROLES.index(role)
    return get_user_model().objects.filter(username=f"{PREFIX}{k:05d}").first()


def main():
    call_command("migrate", verbosity=0)
    call_command("seed_scale", size=SIZE, verbosity=0)
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-homes-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    Group.objects.bulk_create([Group(name=f"bench-group-{i:03d}") for i in range(100)], ignore_conflicts=True)
    everyone, _ = User.objects.get_or_create(username="bench-homes-all")
    everyone.groups.add(*Group.objects.filter(name__in=ROLES))
    admin_client = Client()
    admin_client.force_login(admin)
    floor_admin = timed(admin_client, "/admin/auth/group/")[0]
    figures = {
        "database": connection.vendor,
        "size": SIZE,
        "when": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": REPEAT,
        "target_ms": TARGET_MS,
        "floor_admin_ms": floor_admin,
        "homes": [],
    }
    people = [(role, person_of(role)) for role in ROLES] + [("every role", everyone)]
    people = [(label, user) for label, user in people if user is not None]
    for label, user in people:
        client = Client()
        client.force_login(user)
        floor_bare = timed(client, "/__bench__/bare/")[0]
        ms, queries, _ = timed(client, "/")
        cold_ms, cold_queries, _ = timed(client, "/?refresh=1")
        roles = user_roles(user)
        panels = []
        for panel in sorted(dashboard._PANELS.values(), key=lambda p: p.order):
            if panel.roles is not None and not (roles & set(panel.roles)):
                continue
            p_ms, p_queries, _ = timed(client, f"/home/panels/{panel.key}/")
            c_ms, c_queries, _ = timed(client, f"/home/panels/{panel.key}/?refresh=1")
            panels.append(
                {"panel": panel.key, "ms": p_ms, "queries": p_queries, "cold_ms": c_ms, "cold_queries": c_queries}
            )
        figures["homes"].append(
            {
                "who": label,
                "user": user.username,
                "ms": ms,
                "queries": queries,
                "cold_ms": cold_ms,
                "cold_queries": cold_queries,
                "floor_bare_ms": floor_bare,
                "ratio_bare": round(ms / floor_bare, 2),
                "ratio_admin": round(ms / floor_admin, 2),
                "ok": ms <= TARGET_MS,
                "panels": panels,
            }
        )
    out = RESULTS / f"homes-{SIZE}-{datetime.datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"{connection.vendor}, size {SIZE}; admin floor {floor_admin} ms; target ≤ {TARGET_MS} ms")
    for h in figures["homes"]:
        mark = "ok " if h["ok"] else "OVER"
        print(
            f"{mark} {h['who']:14} {h['ms']:8.1f} ms {h['queries']:3} q  bare {h['floor_bare_ms']:6.1f} ms "
            f"({h['ratio_bare']:5.2f}×)  admin {h['ratio_admin']:5.2f}×  "
            f"cold {h['cold_ms']:8.1f} ms {h['cold_queries']:3} q"
        )
        for p in h["panels"]:
            print(
                f"      {p['panel']:28} {p['ms']:8.1f} ms {p['queries']:3} q  cold {p['cold_ms']:8.1f} ms "
                f"{p['cold_queries']:3} q"
            )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
