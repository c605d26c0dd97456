"""Scale data for performance (``manage.py seed_scale``, after delivery and finance): what the KPI
scoring job reads besides the projects' milestones, risks, certificates and monthly accounts —
quality checks with defects (some flagged for rework) and issues (some from customer complaints) on
every started project, a KPI template for every project role that has none, and a yearly cycle
``scale-year`` (the 365 days to yesterday) opened through the service, with a PM's manager scores for
everyone and the engineers' peer reviews of each other. Idempotent like every seeder: a second run adds
nothing."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from delivery.models import Defect, IssueSource, Project, ProjectIssue, ProjectRole, QualityCheck, TeamMember
from ltc_portal.core.scale import PREFIX, STARTED, Scale, between, seeder, unit

from .models import (
    Appraisal,
    AppraisalCycle,
    Kpi,
    KpiTemplate,
    KpiTemplateItem,
    ManagerScore,
    PeerReview,
    PeerScore,
)

CYCLE = f"{PREFIX}year"
#: the template every scale role gets: code → weight (adds up to 100)
WEIGHTS = {
    "milestone_completion_rate": 20,
    "delay_rate": 10,
    "cost_variance_rate": 10,
    "budget_execution_rate": 10,
    "defect_count": 5,
    "rework_ratio": 5,
    "risk_plan_completion": 5,
    "risk_event_count": 5,
    "customer_satisfaction": 10,
    "complaint_ratio": 5,
    "decision_quality": 5,
    "cohesion": 5,
    "communication": 5,
}
assert sum(WEIGHTS.values()) == 100


def _projects():
    return Project.objects.filter(name__startswith=PREFIX, state__in=STARTED).order_by("pk")


def _quality_and_issues(scale: Scale) -> dict:
    done = set(QualityCheck.objects.filter(subject__startswith=PREFIX).values_list("project_id", flat=True))
    rows = [p for p in _projects().values("pk", "pm_id") if p["pk"] not in done]
    day = datetime.timedelta(days=1)
    checks, issues = [], []
    for p in rows:
        for k in range(2):
            checks.append(
                QualityCheck(
                    project_id=p["pk"],
                    subject=f"{PREFIX}check {k}",
                    date=scale.today - between(5, 330, p["pk"], k, "qc") * day,
                    result="passed" if unit(p["pk"], k, "qcr") < 0.7 else "failed",
                    inspector_id=p["pm_id"],
                )
            )
            issues.append(
                ProjectIssue(
                    project_id=p["pk"],
                    title=f"{PREFIX}issue {k}",
                    source=IssueSource.CUSTOMER if unit(p["pk"], k, "src") < 0.3 else IssueSource.INTERNAL,
                    severity="minor",
                    owner_id=p["pm_id"],
                    due_date=scale.today + between(-30, 30, p["pk"], k, "due") * day,
                )
            )
    QualityCheck.objects.bulk_create(checks, batch_size=scale.batch_size)
    defects = [
        Defect(
            quality_check=c,
            description=f"{PREFIX}defect {d}",
            severity="minor",
            rework=unit(c.pk, d, "rw") < 0.4,
        )
        for c in checks
        for d in range(between(0, 3, c.project_id, c.subject, "n"))
    ]
    Defect.objects.bulk_create(defects, batch_size=scale.batch_size)
    ProjectIssue.objects.bulk_create(issues, batch_size=scale.batch_size)
    # an issue is raised when it is created: spread them over the year (the creation is stamped now)
    for issue in issues:
        issue.created_at -= between(1, 330, issue.pk, "raised") * day
    ProjectIssue.objects.bulk_update(issues, ["created_at"], batch_size=scale.batch_size)
    return {"quality checks": len(checks), "defects": len(defects), "issues": len(issues)}


def _templates() -> int:
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=WEIGHTS)}
    have = set(KpiTemplate.objects.values_list("project_role", flat=True))
    made = 0
    for role, label in ProjectRole.choices:
        if role in have:
            continue
        template = KpiTemplate.objects.create(name=f"{PREFIX}{label}", project_role=role, method="weighted")
        KpiTemplateItem.objects.bulk_create(
            [KpiTemplateItem(template=template, kpi=kpis[c], weight=Decimal(w)) for c, w in WEIGHTS.items()]
        )
        made += 1
    return made


def _cycle(scale: Scale) -> dict:
    from .services import cycle_create, cycle_transition

    if AppraisalCycle.objects.filter(name=CYCLE).exists():
        return {}
    hr = get_user_model().objects.get(pk=scale.people["hr"][0])
    start, end = scale.today - datetime.timedelta(days=365), scale.today - datetime.timedelta(days=1)
    cycle = cycle_create(user=hr, data={"name": CYCLE, "kind": "yearly", "start": start, "end": end})
    cycle = cycle_transition(cycle=cycle, name="open", user=hr)
    kpi = {k.code: k for k in Kpi.objects.filter(code__in=("decision_quality", "cohesion", "communication"))}
    window = TeamMember.objects.filter(start_date__lte=end).exclude(end_date__lt=start)
    pm_of: dict[int, int] = {}
    engineers: dict[int, list[int]] = {}
    for user_id, project_id, pm_id, role in window.values_list("user_id", "project_id", "project__pm_id", "role"):
        if user_id != pm_id:
            pm_of.setdefault(user_id, pm_id)
        if role == ProjectRole.ENGINEER:
            engineers.setdefault(project_id, []).append(user_id)
    appraisals = dict(Appraisal.objects.filter(cycle=cycle).values_list("employee_id", "pk"))
    scores = [
        ManagerScore(
            appraisal_id=appraisals[user_id],
            kpi=kpi["decision_quality"],
            score=Decimal(between(40, 100, user_id, "mgr")),
            created_by_id=pm_id,
            updated_by_id=pm_id,
        )
        for user_id, pm_id in pm_of.items()
        if user_id in appraisals
    ]
    ManagerScore.objects.bulk_create(scores, batch_size=scale.batch_size)
    pairs = {(a, b) for team in engineers.values() for a in team for b in team if a != b and a in appraisals}
    reviews = PeerReview.objects.bulk_create(
        [PeerReview(cycle=cycle, reviewee_id=a, reviewer_id=b, created_by_id=b, updated_by_id=b) for a, b in pairs],
        batch_size=scale.batch_size,
    )
    PeerScore.objects.bulk_create(
        [
            PeerScore(review=r, kpi=kpi[code], score=Decimal(between(50, 100, r.reviewee_id, r.reviewer_id, code)))
            for r in reviews
            for code in ("cohesion", "communication")
        ],
        batch_size=scale.batch_size,
    )
    return {"appraisals": len(appraisals), "manager scores": len(scores), "peer reviews": len(reviews)}


@seeder(order=60)
def seed_performance(scale: Scale) -> dict:
    made = _quality_and_issues(scale)
    made["KPI templates"] = _templates()
    made.update(_cycle(scale))
    return made
