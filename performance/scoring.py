"""The KPI scoring job (DOMAIN.md §7.1): every computed indicator per project by SQL aggregates over the
cycle window [S, E], then per person the mean over their projects weighted by allocation % × days on
the team inside the window, the manager and peer indicators as the mean of the scores given, the
indicator scores on their scales, the appraisal score and grade. A fixed number of queries whatever the
number of people or projects; the appraisals are rewritten in one transaction (running it twice gives
the same results; a failure leaves the previous ones).

Choices where §7.1 is silent (also in the README):
- waived milestones count for neither completion nor delay;
- a person's project role (and so their template) is the role of their largest membership in the
  window (allocation × days);
- a count indicator (defects, risk events) is measured on a project with a quality check, resp. a risk,
  in the window; a ratio is measured when its denominator is not zero;
- a risk is "open at some time in [S, E]" when it was open or mitigating at S, or moved to open or
  mitigating inside the window (read from the transition log).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from delivery.models import (
    AcceptanceCertificate,
    IssueSource,
    Milestone,
    MilestoneState,
    Project,
    ProjectIssue,
    QualityCheck,
    Risk,
    RiskState,
    TeamMember,
)
from finance.models import MonthlyAccount
from ltc_portal.core.fsm import run_effect, run_effect_many, said
from ltc_portal.core.models import TransitionLog

from .models import Appraisal, AppraisalCycle, CycleState, Kpi, KpiSource, KpiTemplate, ManagerScore, PeerScore

CENT = Decimal("0.01")
LIVE_RISK = (RiskState.OPEN, RiskState.MITIGATING)


def _q(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _pct(num, den) -> Decimal | None:
    return None if not den else Decimal(num) * 100 / Decimal(den)


def _instant(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def last_closed_month(end: datetime.date) -> str:
    """The last period (YYYY-MM) ending on or before ``end``."""
    if end == _month_end(end):
        return end.strftime("%Y-%m")
    return (end.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


# Memberships -----------------------------------------------------------------------------------------


@dataclass
class Person:
    user_id: int
    weights: dict[int, Decimal] = field(default_factory=dict)  # project → allocation % × days
    roles: dict[str, Decimal] = field(default_factory=dict)  # role → allocation % × days

    @property
    def contribution(self) -> Decimal:
        """Σ allocation % × days on teams in the window / 100 (DOMAIN.md §7.1, the bonus share)."""
        return _q(sum(self.weights.values(), Decimal(0)) / 100)

    @property
    def role(self) -> str:
        return max(sorted(self.roles), key=lambda r: self.roles[r]) if self.roles else ""


def memberships(start: datetime.date, end: datetime.date):
    """The team memberships overlapping [start, end] (a queryset)."""
    return TeamMember.objects.filter(start_date__lte=end).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))


def people(start: datetime.date, end: datetime.date) -> dict[int, Person]:
    """Everyone on a team in the window, with their weight on each project: one query."""
    out: dict[int, Person] = {}
    rows = memberships(start, end).values_list(
        "user_id", "project_id", "role", "allocation_percent", "start_date", "end_date"
    )
    for user_id, project_id, role, allocation, first, last in rows:
        days = (min(last or end, end) - max(first, start)).days + 1
        if days <= 0:
            continue
        weight = Decimal(allocation) * days
        person = out.setdefault(user_id, Person(user_id))
        person.weights[project_id] = person.weights.get(project_id, Decimal(0)) + weight
        person.roles[role] = person.roles.get(role, Decimal(0)) + weight
    return out


# Per-project values ------------------------------------------------------------------------------------


def project_values(start: datetime.date, end: datetime.date) -> dict[str, dict[int, Decimal]]:
    """Every computed indicator per project of the window's teams: {code: {project_id: value}}, only the
    projects with data for it. Eight queries."""
    projects = Project.objects.filter(pk__in=memberships(start, end).values("project_id"))
    since, until = _instant(start), _instant(end + datetime.timedelta(days=1))
    values: dict[str, dict[int, Decimal]] = defaultdict(dict)

    milestones = Milestone.objects.filter(project__in=projects).exclude(state=MilestoneState.WAIVED).order_by()
    accepted_by_end = Q(state=MilestoneState.ACCEPTED, acceptance__date__lte=end)
    for row in (
        milestones.filter(planned_end__gte=start, planned_end__lte=end)
        .values("project_id")
        .annotate(n=Count("id"), done=Count("id", filter=accepted_by_end))
    ):
        values["milestone_completion_rate"][row["project_id"]] = _pct(row["done"], row["n"])
    for row in (
        milestones.filter(state=MilestoneState.ACCEPTED, acceptance__date__gte=start, acceptance__date__lte=end)
        .values("project_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(acceptance__date__gt=F("planned_end"))))
    ):
        values["delay_rate"][row["project_id"]] = _pct(row["late"], row["n"])

    last = MonthlyAccount.objects.filter(project=OuterRef("pk"), period__period__lte=last_closed_month(end)).order_by(
        "-period__period"
    )
    for pid, cv, be in projects.annotate(
        cv=Subquery(last.values("cost_variance_percent")[:1]), be=Subquery(last.values("budget_execution_percent")[:1])
    ).values_list("pk", "cv", "be"):
        if cv is not None:
            values["cost_variance_rate"][pid] = Decimal(cv)
        if be is not None:
            values["budget_execution_rate"][pid] = Decimal(be)

    for row in (
        QualityCheck.objects.filter(project__in=projects, date__gte=start, date__lte=end)
        .order_by()
        .values("project_id")
        .annotate(found=Count("defects"), rework=Count("defects", filter=Q(defects__rework=True)))
    ):
        values["defect_count"][row["project_id"]] = Decimal(row["found"])
        if row["found"]:
            values["rework_ratio"][row["project_id"]] = _pct(row["rework"], row["found"])

    logs = TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Risk), object_id=OuterRef("pk"))
    risks = Risk.objects.filter(project__in=projects, created_at__lt=until).annotate(
        at_start=Subquery(logs.filter(at__lt=since).order_by("-at", "-id").values("target")[:1]),
        at_end=Subquery(logs.filter(at__lt=until).order_by("-at", "-id").values("target")[:1]),
        live_inside=Exists(logs.filter(at__gte=since, at__lt=until, target__in=LIVE_RISK)),
        occurred_by_end=Exists(logs.filter(at__lt=until, target=RiskState.OCCURRED)),
        occurred_inside=Exists(logs.filter(at__gte=since, at__lt=until, target=RiskState.OCCURRED)),
    )
    planned_and_open = Q(at_start__in=LIVE_RISK) | Q(live_inside=True)
    planned_and_open &= ~Q(plan="")
    for row in (
        risks.order_by()
        .values("project_id")
        .annotate(
            n=Count("id", filter=planned_and_open),
            done=Count(
                "id",
                filter=planned_and_open
                & Q(at_end__in=(RiskState.MITIGATING, RiskState.CLOSED))
                & Q(occurred_by_end=False),
            ),
            events=Count("id", filter=Q(occurred_inside=True)),
        )
    ):
        values["risk_event_count"][row["project_id"]] = Decimal(row["events"])
        if row["n"]:
            values["risk_plan_completion"][row["project_id"]] = _pct(row["done"], row["n"])

    for row in (
        AcceptanceCertificate.objects.filter(
            milestone__project__in=projects, date__gte=start, date__lte=end, satisfaction__isnull=False
        )
        .order_by()
        .values("milestone__project_id")
        .annotate(mean=Avg("satisfaction"))
    ):
        values["customer_satisfaction"][row["milestone__project_id"]] = Decimal(str(row["mean"])) * 20

    for row in (
        ProjectIssue.objects.filter(project__in=projects, created_at__gte=since, created_at__lt=until)
        .order_by()
        .values("project_id")
        .annotate(n=Count("id"), complaints=Count("id", filter=Q(source=IssueSource.CUSTOMER)))
    ):
        values["complaint_ratio"][row["project_id"]] = _pct(row["complaints"], row["n"])
    return values


def scored_by_people(cycle: AppraisalCycle) -> dict[tuple[int, int], Decimal]:
    """The mean manager and peer score per (person, KPI) given in the cycle: two queries."""
    means: dict[tuple[int, int], list] = {}
    for row in (
        ManagerScore.objects.filter(appraisal__cycle=cycle)
        .order_by()
        .values("appraisal__employee_id", "kpi_id")
        .annotate(total=Avg("score"), n=Count("id"))
    ):
        means[(row["appraisal__employee_id"], row["kpi_id"])] = [Decimal(str(row["total"])) * row["n"], row["n"]]
    for row in (
        PeerScore.objects.filter(review__cycle=cycle)
        .order_by()
        .values("review__reviewee_id", "kpi_id")
        .annotate(total=Avg("score"), n=Count("id"))
    ):
        acc = means.setdefault((row["review__reviewee_id"], row["kpi_id"]), [Decimal(0), 0])
        acc[0] += Decimal(str(row["total"])) * row["n"]
        acc[1] += row["n"]
    return {key: total / n for key, (total, n) in means.items() if n}


# Per person --------------------------------------------------------------------------------------------


def weighted_mean(by_project: dict[int, Decimal], weights: dict[int, Decimal]) -> Decimal | None:
    """The mean of the person's projects' values weighted by allocation × days; projects without a
    value are left out; None when none has one."""
    pairs = [(by_project[p], w) for p, w in weights.items() if p in by_project and w > 0]
    total = sum((w for _v, w in pairs), Decimal(0))
    if not total:
        return None
    return sum((v * w for v, w in pairs), Decimal(0)) / total


def evaluate(cycle, person: Person, items, values, by_people) -> dict:
    """A person's results on their template's items: value, score and the weight each counts for
    ("not measured" spreads its weight over the measured ones)."""
    results, notes = [], []
    for item in items:
        kpi: Kpi = item.kpi
        if kpi.source == KpiSource.COMPUTED:
            value = weighted_mean(values.get(kpi.code, {}), person.weights)
        else:
            value = by_people.get((person.user_id, kpi.pk))
        measured = value is not None
        results.append(
            {
                "kpi": kpi.pk,
                "code": kpi.code,
                "name": kpi.name,
                "dimension": kpi.dimension,
                "value": None if value is None else str(_q(value)),
                "score": None if value is None else str(kpi.score(_q(value))),
                "weight": str(item.weight),
                "measured": measured,
            }
        )
        if not measured:
            notes.append(
                _("%(kpi)s was not measured: its weight is spread over the measured indicators.") % {"kpi": kpi.name}
            )
    measured_weight = sum((Decimal(r["weight"]) for r in results if r["measured"]), Decimal(0))
    score = None
    if measured_weight:
        score = _q(
            sum((Decimal(r["weight"]) * Decimal(r["score"]) for r in results if r["measured"]), Decimal(0))
            / measured_weight
        )
    for r in results:
        r["effective_weight"] = str(_q(Decimal(r["weight"]) * 100 / measured_weight)) if r["measured"] else "0.00"
    ranked = sorted((r for r in results if r["measured"]), key=lambda r: (-Decimal(r["score"]), r["code"]))
    strengths = [r["code"] for r in ranked[:3]]
    gaps = [r["code"] for r in reversed(ranked[-3:]) if r["code"] not in strengths]
    return {"results": results, "notes": notes, "score": score, "strengths": strengths, "gaps": gaps}


def _progress(cycle: AppraisalCycle, percent: int) -> None:
    """Progress on the cycle, recorded at once (outside the job's transaction)."""
    AppraisalCycle.objects.filter(pk=cycle.pk).update(progress=percent)


def score_cycle(cycle_id: int) -> AppraisalCycle:
    """The task's body: score a cycle in ``scoring`` and move it to ``calibrating``. Delivered twice,
    or after calibrating started, it does nothing more; a failure moves the cycle back to ``open``
    with the error and leaves the previous results."""
    cycle = AppraisalCycle.objects.get(pk=cycle_id)
    if cycle.state != CycleState.SCORING:
        return cycle
    try:
        _progress(cycle, 5)
        everyone = people(cycle.start, cycle.end)
        values = project_values(cycle.start, cycle.end)
        _progress(cycle, 50)
        by_people = scored_by_people(cycle)
        templates = {
            t.pk: list(t.items.all()) for t in KpiTemplate.objects.prefetch_related("items__kpi").order_by("pk")
        }
        with transaction.atomic():
            locked = AppraisalCycle.objects.select_for_update().get(pk=cycle.pk)
            if locked.state != CycleState.SCORING:
                return locked
            appraisals = list(Appraisal.objects.select_for_update().filter(cycle=locked).order_by("pk"))
            for appraisal in appraisals:
                person = everyone.get(appraisal.employee_id) or Person(appraisal.employee_id)
                appraisal.contribution = person.contribution
                if appraisal.template_id is None:
                    appraisal.results, appraisal.score, appraisal.grade = [], None, ""
                    appraisal.strengths, appraisal.gaps = [], []
                    appraisal.notes = [
                        _("No KPI template for the project role “%(role)s”: not scored.")
                        % {"role": appraisal.get_project_role_display()}
                    ]
                    continue
                result = evaluate(locked, person, templates.get(appraisal.template_id, []), values, by_people)
                appraisal.results = result["results"]
                appraisal.notes = result["notes"]
                appraisal.score = result["score"]
                appraisal.grade = locked.grade_of(result["score"])
                appraisal.final_grade = appraisal.grade
                appraisal.calibration_reason = ""
                appraisal.strengths, appraisal.gaps = result["strengths"], result["gaps"]
            run_effect_many(
                appraisals,
                "scored",
                user=None,
                reason=said(gettext_noop("Scored by the KPI job")),
                update_fields=[
                    "contribution",
                    "results",
                    "notes",
                    "score",
                    "grade",
                    "final_grade",
                    "calibration_reason",
                    "strengths",
                    "gaps",
                ],
            )
            return run_effect(
                locked,
                "scored",
                user=None,
                reason=said(gettext_noop("%(n)s appraisals scored"), n=len(appraisals)),
                data={"appraisals": len(appraisals)},
            )
    except Exception as exc:
        error = str(exc)[:4000] or type(exc).__name__
        run_effect(cycle, "scoring_failed", user=None, reason=error[:500], error=error)
        raise
