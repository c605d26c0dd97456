"""The KPI scoring (DOMAIN.md §7.1) on a worked example whose figures are written here: every computed
indicator per project over a window, the person's mean weighted by allocation × days across two
projects, the scales, "not measured", the appraisal score and grade; then a whole cycle through the
job, run twice, refused publication over a cap, published, acknowledged and closed."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import services as delivery
from finance.models import AccountingPeriod, AccountingRun, MonthlyAccount
from ltc_portal.core.fsm import TransitionRefused
from performance import scoring, selectors
from performance import services as performance
from performance.models import Appraisal, Kpi
from tests.finance.test_accounting import project_in_build
from tests.opportunities.factories import Cast

TODAY = timezone.localdate()
S = TODAY - datetime.timedelta(days=29)  # a 30-day window ending today (the transition log is "now")


def d(n: int) -> datetime.date:
    return S + datetime.timedelta(days=n)


def implementing(cast, number, member, allocation, start, role="engineer"):
    """A project in implementation with ``member`` on its team from ``start`` at ``allocation`` %."""
    project = project_in_build(cast, number=number)
    delivery.team_member_add(project=project, user=cast.pm, data={"user": cast.pm, "role": "pm", "start_date": S})
    delivery.team_member_add(
        project=project,
        user=cast.pm,
        data={"user": member, "role": role, "allocation_percent": allocation, "start_date": start},
    )
    return project


def milestone(project, cast, name, planned_end, accepted_on=None, satisfaction=None, waive=False):
    m = delivery.milestone_create(
        project=project,
        user=cast.pm,
        data={"name": name, "planned_start": min(S, planned_end), "planned_end": planned_end},
    )
    if project.state == "build":
        delivery.project_transition(project=project, name="start_implementation", user=cast.pm)
        project.refresh_from_db()
    if accepted_on:
        delivery.milestone_accept(
            milestone=m,
            user=cast.pm,
            signed_by="CIO",
            date=accepted_on,
            document_ref=f"A-{m.pk}",
            satisfaction=satisfaction,
        )
    if waive:
        delivery.milestone_transition(milestone=m, name="waive", user=cast.pmo, reason="Descoped")
    return m


def account(project, period, cv, be):
    """The monthly account the job wrote for ``period`` (set up here with the figures of the example)."""
    period_row, _ = AccountingPeriod.objects.get_or_create(period=period)
    run = AccountingRun.objects.create(period=period_row)
    MonthlyAccount.objects.create(
        project=project,
        period=period_row,
        run=run,
        currency="CNY",
        cost_variance_percent=Decimal(cv),
        budget_execution_percent=Decimal(be),
        computed_at=timezone.now(),
    )


@pytest.fixture
def example(make_user):
    """Person X: 50 % on P1 for the whole 30 days (weight 1500), 100 % on P2 for the last 10 (1000)."""
    x = make_user("x-eng", roles=["delivery"])
    c1, c2 = Cast(make_user, prefix="p1"), Cast(make_user, prefix="p2")
    p1 = implementing(c1, "C-P1", x, 50, S)
    p2 = implementing(c2, "C-P2", x, 100, TODAY - datetime.timedelta(days=9))
    # P1: on time (sat. 4), late (sat. 5), not accepted, waived → completion 2/3, delay 1/2, satisfaction 90
    milestone(p1, c1, "M1", d(5), accepted_on=d(4), satisfaction=4)
    milestone(p1, c1, "M2", d(10), accepted_on=d(15), satisfaction=5)
    milestone(p1, c1, "M3", d(20))
    milestone(p1, c1, "M4", d(25), waive=True)
    # P2: one milestone, accepted a day late with satisfaction 3 → completion 100, delay 100, satisfaction 60
    milestone(p2, c2, "N1", TODAY - datetime.timedelta(days=2), accepted_on=TODAY - datetime.timedelta(days=1),
              satisfaction=3)  # fmt: skip
    # P1: a check with 4 defects, one to rework → 4 defects, rework 25 %; P2: no check (not measured)
    delivery.quality_check_create(
        project=p1,
        user=c1.pm,
        data={
            "subject": "Cabling",
            "date": d(3),
            "result": "failed",
            "inspector": c1.pm,
            "defects": [{"description": f"Defect {i}", "severity": "minor", "rework": i == 0} for i in range(4)],
        },
    )
    # P1 risks: mitigated (plan), occurred (plan), one without a plan → plan completion 1/2, 1 event
    risk = {"category": "Site", "description": "Access", "probability": 3, "impact": 3, "owner": c1.pm,
            "response": "mitigate", "plan": "Book early"}  # fmt: skip
    r1 = delivery.risk_create(project=p1, user=c1.pm, data=risk)
    delivery.risk_transition(risk=r1, name="mitigate", user=c1.pm)
    r2 = delivery.risk_create(project=p1, user=c1.pm, data=risk)
    delivery.risk_transition(risk=r2, name="occur", user=c1.pm)
    delivery.risk_create(project=p1, user=c1.pm, data={**risk, "plan": ""})
    # P2: one risk with a plan, closed → plan completion 100 %, no event
    r4 = delivery.risk_create(project=p2, user=c2.pm, data={**risk, "owner": c2.pm})
    delivery.risk_transition(risk=r4, name="close", user=c2.pm)
    # P1 issues: one customer complaint of two → 50 %; P2: none (not measured)
    for source in ("customer", "internal"):
        delivery.issue_create(
            project=p1,
            user=c1.pm,
            data={"title": source, "source": source, "severity": "minor", "owner": c1.pm, "due_date": TODAY},
        )
    # cost: the last closed month's accounts (a later, open month's account is not read)
    closed = scoring.last_closed_month(TODAY)
    account(p1, closed, "12.50", "40.00")
    account(p2, closed, "5.00", "80.00")
    account(p1, TODAY.strftime("%Y-%m") if TODAY.strftime("%Y-%m") != closed else "2999-12", "99.00", "99.00")
    return {"x": x, "p1": p1, "p2": p2, "c1": c1, "c2": c2}


def test_every_indicator_per_project_and_for_the_person(example):
    x, p1, p2 = example["x"], example["p1"].pk, example["p2"].pk
    values = scoring.project_values(S, TODAY)

    def per_project(code):
        return {p: round(v, 4) for p, v in values[code].items() if p in (p1, p2)}

    assert per_project("milestone_completion_rate") == {p1: Decimal("66.6667"), p2: Decimal("100")}
    assert per_project("delay_rate") == {p1: Decimal("50"), p2: Decimal("100")}
    assert per_project("customer_satisfaction") == {p1: Decimal("90"), p2: Decimal("60")}
    assert per_project("defect_count") == {p1: Decimal("4")}
    assert per_project("rework_ratio") == {p1: Decimal("25")}
    assert per_project("risk_plan_completion") == {p1: Decimal("50"), p2: Decimal("100")}
    assert per_project("risk_event_count") == {p1: Decimal("1"), p2: Decimal("0")}
    assert per_project("complaint_ratio") == {p1: Decimal("50")}
    assert per_project("cost_variance_rate") == {p1: Decimal("12.5"), p2: Decimal("5")}
    assert per_project("budget_execution_rate") == {p1: Decimal("40"), p2: Decimal("80")}

    person = scoring.people(S, TODAY)[x.pk]
    assert person.weights == {p1: Decimal(1500), p2: Decimal(1000)}  # 50 % × 30 days, 100 % × 10 days
    assert (person.contribution, person.role) == (Decimal("25.00"), "engineer")
    expected = {
        "milestone_completion_rate": "80.00",  # (66.67 × 1500 + 100 × 1000) / 2500
        "delay_rate": "70.00",
        "customer_satisfaction": "78.00",
        "defect_count": "4.00",  # P2 had no quality check: left out of the mean
        "rework_ratio": "25.00",
        "risk_plan_completion": "70.00",
        "risk_event_count": "0.60",
        "complaint_ratio": "50.00",
        "cost_variance_rate": "9.50",
        "budget_execution_rate": "56.00",
    }
    got = {code: str(scoring._q(scoring.weighted_mean(values[code], person.weights))) for code in expected}
    assert got == expected
    # the scales: 0 points at the floor, 100 at the target, clipped; lower-better reversed
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=expected)}
    scores = {code: str(kpis[code].score(Decimal(v))) for code, v in expected.items()}
    assert scores == {
        "milestone_completion_rate": "60.00",  # 50 → 100
        "delay_rate": "0.00",  # 50 → 0: 70 % is past the floor
        "customer_satisfaction": "45.00",  # 60 → 100
        "defect_count": "60.00",  # 10 → 0
        "rework_ratio": "16.67",  # 30 → 0
        "risk_plan_completion": "40.00",
        "risk_event_count": "88.00",  # 5 → 0
        "complaint_ratio": "0.00",
        "cost_variance_rate": "52.50",  # 20 → 0
        "budget_execution_rate": "12.00",  # 50 → 100
    }


def test_the_project_values_cost_the_same_queries_for_more_projects(example, make_user):
    with CaptureQueriesContext(connection) as few:
        scoring.project_values(S, TODAY)
        scoring.people(S, TODAY)
    implementing(Cast(make_user, prefix="p3"), "C-P3", make_user("y-eng", roles=["delivery"]), 100, S)
    with CaptureQueriesContext(connection) as more:
        scoring.project_values(S, TODAY)
        scoring.people(S, TODAY)
    assert len(more) == len(few)


@pytest.fixture
def hr(make_user):
    return make_user("hr-lin", roles=["hr"])


def engineer_template(hr):
    kpi = {k.code: k for k in Kpi.objects.all()}
    return performance.kpi_template_create(
        user=hr,
        data={
            "name": "Delivery engineer",
            "project_role": "engineer",
            "method": "weighted",
            "items": [
                {"kpi": kpi["milestone_completion_rate"], "weight": 40},
                {"kpi": kpi["delay_rate"], "weight": 20},
                {"kpi": kpi["customer_satisfaction"], "weight": 20},
                {"kpi": kpi["decision_quality"], "weight": 20},
            ],
        },
    )


def test_a_cycle_is_opened_scored_calibrated_published_and_closed(make_user, hr, django_capture_on_commit_callbacks):
    start, end = TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=1)
    x = make_user("x2-eng", roles=["delivery"])
    cast = Cast(make_user, prefix="cy")
    project = implementing(cast, "C-CY", x, 50, start)
    milestone(project, cast, "M1", start + datetime.timedelta(days=5), start + datetime.timedelta(days=4), 5)
    milestone(project, cast, "M2", start + datetime.timedelta(days=10), start + datetime.timedelta(days=12))
    template = engineer_template(hr)
    with pytest.raises(ValidationError, match="add up to 90"):
        performance.kpi_template_update(
            template=template, user=hr, data={"items": [{"kpi": Kpi.objects.get(code="delay_rate"), "weight": 90}]}
        )
    with pytest.raises(PermissionDenied):
        performance.cycle_create(user=cast.pm, data={"name": "Q", "kind": "monthly", "start": start, "end": end})
    cycle = performance.cycle_create(
        user=hr, data={"name": "Last 40 days", "kind": "monthly", "start": start, "end": end}
    )
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    appraisals = {a.employee_id: a for a in Appraisal.objects.filter(cycle=cycle)}
    assert set(appraisals) == {x.pk, cast.pm.pk}
    assert (appraisals[x.pk].template_id, appraisals[cast.pm.pk].template_id) == (template.pk, None)
    decision = Kpi.objects.get(code="decision_quality")
    with pytest.raises(PermissionDenied):  # not the person's PM
        performance.manager_score_set(appraisal=appraisals[x.pk], kpi=decision, user=hr, score=Decimal(90))
    performance.manager_score_set(appraisal=appraisals[x.pk], kpi=decision, user=cast.pm, score=Decimal(70))
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued once the step commits
        cycle = performance.cycle_transition(cycle=cycle, name="score", user=hr)
    cycle.refresh_from_db()
    assert (cycle.state, cycle.progress) == ("calibrating", 100)
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    assert {r["code"]: (r["value"], r["score"], r["effective_weight"]) for r in mine.results} == {
        "milestone_completion_rate": ("100.00", "100.00", "40.00"),  # both milestones accepted by E
        "delay_rate": ("50.00", "0.00", "20.00"),  # M2 two days late
        "customer_satisfaction": ("100.00", "100.00", "20.00"),  # M1's 5 × 20 (M2 gave none)
        "decision_quality": ("70.00", "70.00", "20.00"),  # the PM's score
    }
    # (40 × 100 + 20 × 0 + 20 × 100 + 20 × 70) / 100
    assert (mine.score, mine.grade, mine.final_grade, mine.state) == (Decimal("74.00"), "B", "B", "scored")
    assert mine.strengths == ["customer_satisfaction", "milestone_completion_rate", "decision_quality"]
    assert mine.gaps == ["delay_rate"] and mine.notes == [] and mine.contribution == Decimal("20.00")
    pm = Appraisal.objects.get(cycle=cycle, employee=cast.pm)
    assert pm.score is None and "No KPI template" in pm.notes[0]
    first = [(a.pk, a.score, a.results) for a in Appraisal.objects.filter(cycle=cycle).order_by("pk")]
    with django_capture_on_commit_callbacks(execute=True):  # scored again while calibrating: the same
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    assert [(a.pk, a.score, a.results) for a in Appraisal.objects.filter(cycle=cycle).order_by("pk")] == first
    performance.cycle_update(cycle=cycle, user=hr, data={"grade_caps": {"B": 0}})
    with pytest.raises(TransitionRefused) as refused:
        performance.cycle_transition(cycle=cycle, name="publish", user=hr)
    assert refused.value.reasons == ["B: 1 of 1 people (100.0%) exceed the cap of 0% by 1."]
    performance.cycle_update(cycle=cycle, user=hr, data={"grade_caps": {"B": 100}})
    performance.cycle_transition(cycle=cycle, name="publish", user=hr)
    mine = Appraisal.objects.get(pk=mine.pk)
    assert mine.state == "published"
    with pytest.raises(PermissionDenied):
        performance.appraisal_transition(appraisal=mine, name="acknowledge", user=cast.pm)
    performance.appraisal_transition(appraisal=mine, name="acknowledge", user=x)
    performance.cycle_transition(cycle=cycle, name="close", user=hr)
    assert Appraisal.objects.get(pk=mine.pk).state == "final"
    # who reads what: the person, their PM and HR; nobody else
    assert set(selectors.appraisal_visible(x).values_list("employee", flat=True)) == {x.pk}
    assert x.pk in set(selectors.appraisal_visible(cast.pm).values_list("employee", flat=True))
    assert selectors.appraisal_visible(hr).count() == 2
    assert not selectors.appraisal_visible(make_user("cy-other", roles=["delivery"])).exists()
    assert not selectors.appraisal_visible(cast.executive).exists()


def test_a_cycle_whose_window_has_not_ended_is_not_scored(hr):
    cycle = performance.cycle_create(
        user=hr, data={"name": "This month", "kind": "monthly", "start": TODAY.replace(day=1), "end": TODAY}
    )
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    with pytest.raises(TransitionRefused, match="not possible yet"):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)


def test_the_command_scores_a_cycle_and_refuses_one_not_ended(hr, make_user):
    cycle = performance.cycle_create(
        user=hr,
        data={"name": "Past", "kind": "monthly", "start": TODAY - datetime.timedelta(days=60), "end": S},
    )
    performance.cycle_transition(cycle=cycle, name="open", user=hr)
    out = io.StringIO()
    call_command("score_cycle", "--cycle", str(cycle.pk), stdout=out)
    assert "Calibrating" in out.getvalue()
    later = performance.cycle_create(
        user=hr, data={"name": "Now", "kind": "monthly", "start": TODAY.replace(day=1), "end": TODAY}
    )
    performance.cycle_transition(cycle=later, name="open", user=hr)
    with pytest.raises(CommandError, match="window must have ended"):
        call_command("score_cycle", "--cycle", str(later.pk))
    with pytest.raises(CommandError, match="No appraisal cycle"):
        call_command("score_cycle", "--cycle", "999999")
