"""Reads of performance: the KPI library, templates, cycles, and who reads which appraisal — an
employee their own once published; a PM those of the people on their projects for the cycles that overlap the time on
the team; HR all. Executives read aggregates only (performance.selectors.cycle_distribution), never
someone else's appraisal."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from delivery.models import TeamMember
from ltc_portal.core.roles import Role, has_role

from .models import (
    Appeal,
    Appraisal,
    AppraisalCycle,
    AppraisalState,
    BonusPool,
    Kpi,
    KpiTemplate,
    ManagerScore,
    PeerReview,
)
from .rules import is_hr_user

#: an employee sees their appraisal once it is published (not while it is scored or calibrated)
SEEN_BY_THE_EMPLOYEE = (
    AppraisalState.PUBLISHED,
    AppraisalState.ACKNOWLEDGED,
    AppraisalState.APPEALED,
    AppraisalState.FINAL,
)


def kpi_list(user) -> QuerySet:
    return Kpi.objects.all() if user.is_authenticated else Kpi.objects.none()


def kpi_template_list(user) -> QuerySet:
    return KpiTemplate.objects.prefetch_related("items") if user.is_authenticated else KpiTemplate.objects.none()


def cycle_list(user) -> QuerySet:
    return AppraisalCycle.objects.all() if user.is_authenticated else AppraisalCycle.objects.none()


def appraisal_visible(user) -> QuerySet:
    if not user.is_authenticated:
        return Appraisal.objects.none()
    mine_published = Q(employee=user, state__in=SEEN_BY_THE_EMPLOYEE)
    if is_hr_user(user):  # every appraisal but their own before it is published
        return Appraisal.objects.filter(~Q(employee=user) | mine_published)
    on_my_project = TeamMember.objects.filter(
        user=OuterRef("employee"),
        project__pm=user,
        start_date__lte=OuterRef("cycle__end"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("cycle__start")))
    return Appraisal.objects.filter(mine_published | (Q(Exists(on_my_project)) & ~Q(employee=user)))


def appraisal_list(user) -> QuerySet:
    return appraisal_visible(user).select_related("cycle", "employee", "template").order_by("cycle", "employee_id")


def manager_score_list(user) -> QuerySet:
    """HR reads every manager score; a PM the scores they gave."""
    if not user.is_authenticated:
        return ManagerScore.objects.none()
    if is_hr_user(user):
        return ManagerScore.objects.all()
    return ManagerScore.objects.filter(created_by=user)


def appeal_list(user) -> QuerySet:
    """HR reads every appeal; a person their own."""
    if not user.is_authenticated:
        return Appeal.objects.none()
    qs = Appeal.objects.select_related("appraisal")
    return qs if is_hr_user(user) else qs.filter(appraisal__employee=user)


def peer_review_list(user) -> QuerySet:
    """HR reads every peer review (with its reviewer); anyone else the reviews they gave — never those
    given about them."""
    if not user.is_authenticated:
        return PeerReview.objects.none()
    qs = PeerReview.objects.prefetch_related("scores")
    return qs if is_hr_user(user) else qs.filter(reviewer=user)


def bonus_pool_list(user) -> QuerySet:
    """HR and finance read the pools and their allocations; nobody else."""
    if not user.is_authenticated or not (is_hr_user(user) or has_role(user, Role.FINANCE)):
        return BonusPool.objects.none()
    return BonusPool.objects.select_related("cycle").prefetch_related("allocations")


def cycle_distribution(cycle: AppraisalCycle) -> dict[str, int]:
    """How many appraisals of the cycle have each final grade (what executives and HR see)."""
    counts = dict(
        Appraisal.objects.filter(cycle=cycle)
        .exclude(final_grade="")
        .order_by()
        .values("final_grade")
        .annotate(n=Count("id"))
        .values_list("final_grade", "n")
    )
    return {g: counts.get(g, 0) for g in ("S", "A", "B", "C", "D")}
