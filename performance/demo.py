"""Demo performance data: templates for the PM, AR and SR roles and an appraisal cycle of the last 30
days, opened, with the PM's scores and peer reviews, scored by the KPI job (HR finds it calibrating).
Idempotent: keyed on the cycle's name."""

import datetime
from decimal import Decimal

from django.utils import timezone

from ltc_portal.core.demo import seeder

from . import services as performance
from .models import Appraisal, AppraisalCycle, Kpi, KpiTemplate

TEMPLATES = {
    "pm": ("Project manager / 项目经理", {"milestone_completion_rate": 25, "delay_rate": 15, "cost_variance_rate": 15,
           "customer_satisfaction": 15, "risk_plan_completion": 10, "decision_quality": 10, "communication": 10}),
    "ar": ("Account responsible / 客户经理", {"customer_satisfaction": 40, "complaint_ratio": 20, "communication": 20,
           "cohesion": 20}),
    "sr": ("Solution responsible / 解决方案经理", {"milestone_completion_rate": 30, "defect_count": 20,
           "problem_solving": 25, "cohesion": 25}),
}  # fmt: skip
CYCLE = "Last 30 days / 近30天"


@seeder(order=60)
def seed_performance(u):
    kpis = {k.code: k for k in Kpi.objects.all()}
    for role, (name, weights) in TEMPLATES.items():
        if not KpiTemplate.objects.filter(project_role=role).exists():
            performance.kpi_template_create(
                user=u["hr"],
                data={
                    "name": name,
                    "project_role": role,
                    "items": [{"kpi": kpis[code], "weight": w} for code, w in weights.items()],
                },
            )
    if AppraisalCycle.objects.filter(name=CYCLE).exists():
        return
    today = timezone.localdate()
    cycle = performance.cycle_create(
        user=u["hr"],
        data={
            "name": CYCLE,
            "kind": "monthly",
            "start": today - datetime.timedelta(days=30),
            "end": today - datetime.timedelta(days=1),
            "grade_caps": {"S": 20},
        },
    )
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=u["hr"])
    for reviewer, reviewee, scores in (
        (u["sales"], u["pm"], {"communication": 90, "cohesion": 85}),
        (u["solution"], u["sales"], {"communication": 80, "cohesion": 75}),
        (u["pm"], u["solution"], {"cohesion": 88}),
    ):
        if Appraisal.objects.filter(cycle=cycle, employee=reviewee).exists():
            performance.peer_review_submit(
                cycle=cycle,
                reviewee=reviewee,
                user=reviewer,
                scores=[{"kpi": kpis[c], "score": Decimal(s)} for c, s in scores.items()],
                comment="",
            )
    solution = Appraisal.objects.filter(cycle=cycle, employee=u["solution"]).first()
    if solution is not None:
        performance.manager_score_set(appraisal=solution, kpi=kpis["problem_solving"], user=u["pm"], score=Decimal(80))
    performance.cycle_transition(cycle=cycle, name="score", user=u["hr"])  # the job runs once the seed commits
