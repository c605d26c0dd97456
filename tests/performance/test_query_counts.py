"""Every performance list, in the API and on the pages, reads a constant number of queries whatever
the rows: manager scores, peer reviews, appeals, bonus pools (the KPIs, templates, cycles and
appraisals are in test_api.py; training courses, promotions, the overview and the scores page in
their own tests); "My performance" with several cycles and HR's workspace with its appeals queue."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import (
    Appeal,
    Appraisal,
    AppraisalCycle,
    BonusAllocation,
    BonusPool,
    Kpi,
    ManagerScore,
    PeerReview,
    PeerScore,
)

D = datetime.date
LISTS = ["/api/v1/manager-scores/", "/api/v1/peer-reviews/", "/api/v1/appeals/", "/api/v1/bonus-pools/"]


def grow(make_user, hr, n: int, tag: str):
    """A published cycle with ``n`` people, each with a manager score, a peer review, an appeal and a
    bonus allocation; returns the people."""
    cycle = AppraisalCycle.objects.create(name=f"QC {tag}", kind="monthly", start=D(2026, 1, 1), end=D(2026, 1, 31))
    AppraisalCycle.objects.filter(pk=cycle.pk).update(state="published")
    manager, peer = Kpi.objects.get(code="decision_quality"), Kpi.objects.get(code="cohesion")
    pool = BonusPool.objects.create(cycle=cycle, amount=Decimal("1000.00"), currency="CNY")
    people = [make_user(f"qc-{tag}-{i}", roles=["delivery"]) for i in range(n)]
    for i, person in enumerate(people):
        appraisal = Appraisal.objects.create(
            cycle=cycle,
            employee=person,
            project_role="engineer",
            grade="B",
            final_grade="B",
            score=Decimal(75),
            state="appealed",
            results=[
                {"code": "cohesion", "name": "Cohesion", "dimension": "teamwork", "measured": True, "score": "75"}
            ],
        )
        ManagerScore.objects.create(appraisal=appraisal, kpi=manager, score=Decimal(70), created_by=hr)
        review = PeerReview.objects.create(cycle=cycle, reviewee=person, reviewer=people[i - 1] if n > 1 else hr)
        PeerScore.objects.create(review=review, kpi=peer, score=Decimal(80))
        Appeal.objects.create(appraisal=appraisal, reason="Why B?", created_by=person)
        BonusAllocation.objects.create(
            pool=pool, employee=person, grade="B", contribution=Decimal(30), share=Decimal(30), amount=Decimal(10)
        )
    return people


def test_the_api_lists_cost_the_same_queries_whatever_the_rows(api, make_user):
    hr = make_user("qc-hr", roles=["hr"])

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            r = api.as_user(hr).get(url)
        assert r.status_code == 200 and r.json()["results"], url
        return len(ctx)

    grow(make_user, hr, 1, "a")
    count(LISTS[0])  # the first request of the session reads more (signing in)
    few = [count(u) for u in LISTS]
    grow(make_user, hr, 4, "b")
    grow(make_user, hr, 3, "c")
    assert [count(u) for u in LISTS] == few


def test_my_performance_and_the_workspace_cost_the_same_queries_whatever_the_rows(web, make_user):
    hr = make_user("qcp-hr", roles=["hr"])
    me = grow(make_user, hr, 1, "p1")[0]
    Appraisal.objects.filter(employee=me).update(state="published")

    def count(user, name, **params):
        client = web.as_user(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name), params).status_code == 200
        return len(ctx)

    count(me, "performance:mine"), count(hr, "performance:mine")  # the first request signs in
    few = (count(me, "performance:mine"), count(hr, "performance:mine"), count(hr, "performance:workspace"))
    for tag in ("p2", "p3"):
        people = grow(make_user, hr, 3, tag)
        cycle = Appraisal.objects.get(employee=people[0]).cycle
        Appraisal.objects.create(
            cycle=cycle, employee=me, project_role="engineer", grade="A", final_grade="A", state="published"
        )
    assert Appraisal.objects.filter(employee=me).count() == 3
    more = (count(me, "performance:mine"), count(hr, "performance:mine"), count(hr, "performance:workspace"))
    assert more == few
