"""Appeals, peer reviews and bonus pools: who may, within which limits, and a pool that does not divide
evenly split to the cent (largest remainder) so that it adds up to the pool exactly."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.money import split_by_largest_remainder
from performance import services as performance
from performance.models import Appraisal, Kpi
from tests.opportunities.factories import Cast
from tests.performance.test_scoring import engineer_template, implementing, milestone

TODAY = timezone.localdate()
START, END = TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=1)


def test_largest_remainder_adds_up_to_the_pool_exactly():
    # 100.00 over three equal shares: 33.34, 33.33, 33.33 (the first by key takes the odd cent)
    assert split_by_largest_remainder(Decimal("100.00"), {1: Decimal(1), 2: Decimal(1), 3: Decimal(1)}) == {
        1: Decimal("33.34"),
        2: Decimal("33.33"),
        3: Decimal("33.33"),
    }
    # 1,000.00 over 1.5 × 20, 1.2 × 20 and 0.6 × 5 (30, 24, 3 of 57): 526.315…, 421.052…, 52.631…
    split = split_by_largest_remainder(Decimal("1000.00"), {7: Decimal(30), 8: Decimal(24), 9: Decimal(3)})
    assert split == {7: Decimal("526.32"), 8: Decimal("421.05"), 9: Decimal("52.63")}
    assert sum(split.values()) == Decimal("1000.00")


@pytest.fixture
def published(make_user, django_capture_on_commit_callbacks):
    """A cycle of two engineers on one project, scored and published: X (S) and Y (B)."""
    hr = make_user("inc-hr", roles=["hr"])
    x, y = make_user("inc-x", roles=["delivery"]), make_user("inc-y", roles=["delivery"])
    cast = Cast(make_user, prefix="inc")
    project = implementing(cast, "C-INC", x, 100, START)
    from delivery import services as delivery

    delivery.team_member_add(
        project=project,
        user=cast.pm,
        data={"user": y, "role": "engineer", "allocation_percent": 50, "start_date": START},
    )
    milestone(project, cast, "M1", START + datetime.timedelta(days=3), START + datetime.timedelta(days=2), 5)
    engineer_template(hr)
    cycle = performance.cycle_create(user=hr, data={"name": "Inc", "kind": "monthly", "start": START, "end": END})
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    decision = Kpi.objects.get(code="decision_quality")
    for person, score in ((x, 100), (y, 0)):
        appraisal = Appraisal.objects.get(cycle=cycle, employee=person)
        performance.manager_score_set(appraisal=appraisal, kpi=decision, user=cast.pm, score=Decimal(score))
    with django_capture_on_commit_callbacks(execute=True):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    performance.cycle_transition(cycle=cycle, name="publish", user=hr)
    return {"hr": hr, "x": x, "y": y, "cast": cast, "cycle": cycle}


def test_an_appeal_is_decided_by_hr_never_by_the_appellant(published, make_user):
    hr, y = published["hr"], published["y"]
    mine = Appraisal.objects.get(cycle=published["cycle"], employee=y)
    assert (mine.score, mine.final_grade) == (Decimal("80.00"), "A")  # 40×100 + 20×100 + 20×100 + 20×0
    with pytest.raises(PermissionDenied):
        performance.appraisal_transition(appraisal=mine, name="appeal", user=published["x"], reason="Not mine")
    with pytest.raises(ValidationError):
        performance.appraisal_transition(appraisal=mine, name="appeal", user=y, reason="")
    performance.appraisal_transition(appraisal=mine, name="appeal", user=y, reason="My PM scored 0 by mistake")
    appeal = Appraisal.objects.get(pk=mine.pk).appeal_record
    with pytest.raises(PermissionDenied):
        performance.appeal_decide(appeal=appeal, user=published["cast"].pm, decision="No")
    with pytest.raises(ValidationError):
        performance.appeal_decide(appeal=appeal, user=hr, decision=" ")
    decided = performance.appeal_decide(appeal=appeal, user=hr, decision="Score corrected", new_grade="S")
    assert (decided.state, decided.new_grade) == ("adjusted", "S")
    mine = Appraisal.objects.get(pk=mine.pk)
    assert (mine.final_grade, mine.state) == ("S", "final")
    with pytest.raises(TransitionRefused):
        performance.appeal_decide(appeal=decided, user=hr, decision="Again")


def test_an_appeal_after_the_appeal_days_is_refused(published, settings):
    mine = Appraisal.objects.get(cycle=published["cycle"], employee=published["y"])
    Appraisal.objects.filter(pk=mine.pk).update(published_at=timezone.now() - datetime.timedelta(days=15))
    settings.APPEAL_DAYS = 14
    with pytest.raises(TransitionRefused) as refused:
        performance.appraisal_transition(
            appraisal=Appraisal.objects.get(pk=mine.pk), name="appeal", user=published["y"], reason="Late"
        )
    assert refused.value.reasons == ["An appeal is made within 14 days of publication."]


def test_peer_reviews_come_from_teammates_and_feed_the_peer_indicators(make_user, django_capture_on_commit_callbacks):
    hr = make_user("peer-hr", roles=["hr"])
    x, y = make_user("peer-x", roles=["delivery"]), make_user("peer-y", roles=["delivery"])
    outsider = make_user("peer-out", roles=["delivery"])
    cast = Cast(make_user, prefix="peer")
    project = implementing(cast, "C-PEER", x, 100, START)
    from delivery import services as delivery

    delivery.team_member_add(project=project, user=cast.pm, data={"user": y, "role": "engineer", "start_date": START})
    kpi = {k.code: k for k in Kpi.objects.all()}
    performance.kpi_template_create(
        user=hr,
        data={
            "name": "Engineer",
            "project_role": "engineer",
            "items": [{"kpi": kpi["cohesion"], "weight": 50}, {"kpi": kpi["communication"], "weight": 50}],
        },
    )
    cycle = performance.cycle_create(user=hr, data={"name": "Peer", "kind": "monthly", "start": START, "end": END})
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    scores = [{"kpi": kpi["cohesion"], "score": 90}, {"kpi": kpi["communication"], "score": 70}]
    with pytest.raises(PermissionDenied):
        performance.peer_review_submit(cycle=cycle, reviewee=x, user=x, scores=scores)
    with pytest.raises(PermissionDenied):
        performance.peer_review_submit(cycle=cycle, reviewee=x, user=outsider, scores=scores)
    with pytest.raises(ValidationError, match="not scored by peers"):
        performance.peer_review_submit(cycle=cycle, reviewee=x, user=y, scores=[{"kpi": kpi["delay_rate"], "score": 5}])
    performance.peer_review_submit(cycle=cycle, reviewee=x, user=y, scores=[{"kpi": kpi["cohesion"], "score": 10}])
    performance.peer_review_submit(cycle=cycle, reviewee=x, user=y, scores=scores)  # replaces the first
    performance.peer_review_submit(
        cycle=cycle, reviewee=x, user=cast.pm, scores=[{"kpi": kpi["cohesion"], "score": 70}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    values = {r["code"]: r["value"] for r in mine.results}
    assert values == {"cohesion": "80.00", "communication": "70.00"}  # (90 + 70) / 2; 70
    assert mine.score == Decimal("75.00")


def test_a_bonus_pool_is_allocated_by_hr_and_approved_by_finance_not_the_allocator(api, published, make_user):
    hr, cycle = published["hr"], published["cycle"]
    fin = make_user("inc-fin", roles=["finance"])
    body = {"cycle": cycle.pk, "amount": "10000.00", "currency": "cny"}
    r = api.as_user(fin).post("/api/v1/bonus-pools/", body, format="json")
    assert r.status_code == 403, r.json()
    r = api.as_user(hr).post("/api/v1/bonus-pools/", body, format="json")
    assert r.status_code == 201, r.json()
    pool = r.json()
    r = api.as_user(hr).post(f"/api/v1/bonus-pools/{pool['id']}/transitions/allocate/", {}, format="json")
    assert r.status_code == 409 and "closed" in r.json()["detail"]  # published: appeals may still change grades
    performance.cycle_transition(cycle=cycle, name="close", user=hr)
    r = api.as_user(hr).post(f"/api/v1/bonus-pools/{pool['id']}/transitions/allocate/", {}, format="json")
    assert r.status_code == 200, r.json()
    allocations = {a["employee"]: a for a in r.json()["allocations"]}
    x, y = published["x"].pk, published["y"].pk
    # X: grade S (1.5) × 40 days at 100 % = 60; Y: grade A (1.2) × 40 days at 50 % = 24 → 60 : 24 of 10,000
    assert (allocations[x]["share"], allocations[y]["share"]) == ("60.0000", "24.0000")
    assert (allocations[x]["amount"], allocations[y]["amount"]) == ("7142.86", "2857.14")
    r = api.as_user(hr).post(f"/api/v1/bonus-pools/{pool['id']}/transitions/approve/", {}, format="json")
    assert r.status_code == 403
    r = api.as_user(fin).post(f"/api/v1/bonus-pools/{pool['id']}/transitions/approve/", {}, format="json")
    assert r.json()["state"] == "approved"
    sheet = api.as_user(fin).get(f"/api/v1/bonus-pools/{pool['id']}/xlsx/")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert sum(Decimal(str(r[5])) for r in rows[1:]) == Decimal("10000.00")
    for nobody in (published["x"], published["cast"].pm):
        assert api.as_user(nobody).get(f"/api/v1/bonus-pools/{pool['id']}/").status_code == 404


def test_hr_home_shows_each_cycles_progress(published, web):
    hr, x, y = published["hr"], published["x"], published["y"]
    people = Appraisal.objects.filter(cycle=published["cycle"]).count()  # the two engineers and their PM
    client = web.as_user(hr)

    def progress():
        page = client.get("/").content.decode()
        cell = page.split(f'data-cycle-progress="{published["cycle"].pk}">')[1].split("</td>")[0]
        return " ".join(cell.split())

    assert people == 3 and progress() == "0 of 3 acknowledged or final"
    performance.appraisal_transition(
        appraisal=Appraisal.objects.get(cycle=published["cycle"], employee=y),
        name="appeal",
        user=y,
        reason="My PM scored 0 by mistake",
    )
    performance.appraisal_transition(
        appraisal=Appraisal.objects.get(cycle=published["cycle"], employee=x), name="acknowledge", user=x
    )
    assert progress() == "1 of 3 acknowledged or final · 1 appealed"
    page = client.get("/").content.decode()
    assert re.search(r"Appeals waiting</a>: <strong>1</strong>", page)
    chart = json.loads(re.search(r'<script id="home-grade-chart" type="application/json">(.*?)</script>', page)[1])
    grades = dict(zip(chart["data"]["labels"], chart["data"]["datasets"][0]["data"], strict=True))
    graded = Appraisal.objects.filter(cycle=published["cycle"]).exclude(final_grade="")
    assert sum(grades.values()) == graded.count() and grades["S"] == graded.filter(final_grade="S").count() >= 1
