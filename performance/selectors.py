"""Reads of performance: the KPI library, templates, cycles, and who reads which appraisal — an
employee their own once published; a PM those of the people on their projects for the cycles that overlap the time on
the team; HR all. Executives read aggregates only (performance.selectors.cycle_distribution), never
someone else's appraisal."""

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from delivery.models import ProjectRole, TeamMember
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
    TrainingCourse,
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


# Scores to give ------------------------------------------------------------------------------------------

#: the cycle states in which a PM's manager scores (and advice) are still given
MANAGER_SCORING = ("open", "scoring", "calibrating")


def _overlap(a_first, a_last, b_first, b_last, start, end) -> bool:
    first = max(a_first, b_first, start)
    last = min(a_last or end, b_last or end, end)
    return first <= last


def peers_to_review(user) -> list[dict]:
    """For each open cycle, the colleagues ``user`` shared a project's team with inside the window
    (never themselves), with the review they gave already (if any). Two queries per open cycle."""
    if not user.is_authenticated:
        return []
    out = []
    for cycle in AppraisalCycle.objects.filter(state="open").order_by("end", "id"):
        window = TeamMember.objects.filter(start_date__lte=cycle.end).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=cycle.start)
        )
        mine = list(window.filter(user=user).values_list("project_id", "start_date", "end_date"))
        if not mine:
            continue
        colleagues: dict[int, object] = {}
        others = window.filter(project_id__in={p for p, _f, _l in mine}).exclude(user=user).select_related("user")
        for other in others.order_by("user__username"):
            if any(
                p == other.project_id and _overlap(f, last, other.start_date, other.end_date, cycle.start, cycle.end)
                for p, f, last in mine
            ):
                colleagues.setdefault(other.user_id, other.user)
        given = {
            r.reviewee_id: r
            for r in PeerReview.objects.filter(cycle=cycle, reviewer=user, reviewee__in=colleagues).prefetch_related(
                "scores"
            )
        }
        for person in colleagues.values():
            review = given.get(person.pk)
            out.append(
                {
                    "cycle": cycle,
                    "person": person,
                    "given": {s.kpi_id: s.score for s in review.scores.all()} if review else {},
                    "comment": review.comment if review else "",
                }
            )
    return out


def appraisals_to_score(user) -> list[dict]:
    """The appraisals a PM scores: people on their projects in a cycle that is open, scoring or
    calibrating (never themselves), with the manager scores they gave already."""
    if not user.is_authenticated:
        return []
    on_my_project = TeamMember.objects.filter(
        user=OuterRef("employee"), project__pm=user, start_date__lte=OuterRef("cycle__end")
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("cycle__start")))
    appraisals = list(
        Appraisal.objects.filter(Exists(on_my_project), cycle__state__in=MANAGER_SCORING)
        .exclude(employee=user)
        .select_related("cycle", "employee")
        .order_by("cycle__end", "cycle_id", "employee__username")[:500]
    )
    given: dict[int, dict] = {}
    for row in ManagerScore.objects.filter(appraisal__in=appraisals, created_by=user).values_list(
        "appraisal_id", "kpi_id", "score"
    ):
        given.setdefault(row[0], {})[row[1]] = row[2]
    return [{"appraisal": a, "given": given.get(a.pk, {})} for a in appraisals]


def kpis_scored_by(source: str) -> list:
    """The live (not retired) indicators scored by ``source`` (``manager`` or ``peer``)."""
    return list(Kpi.objects.filter(source=source, retired_at__isnull=True).order_by("dimension", "code"))


def manager_row(user, appraisal_id: int) -> dict:
    """One appraisal as the PM's scoring row (after they saved it)."""
    appraisal = Appraisal.objects.select_related("cycle", "employee").get(pk=appraisal_id)
    given = dict(ManagerScore.objects.filter(appraisal=appraisal, created_by=user).values_list("kpi_id", "score"))
    return {"appraisal": appraisal, "given": given}


def training_course_list(user) -> QuerySet:
    """Everyone signed in reads the catalogue (HR also the retired courses)."""
    if not user.is_authenticated:
        return TrainingCourse.objects.none()
    return TrainingCourse.objects.all() if is_hr_user(user) else TrainingCourse.objects.filter(active=True)


def training_for_gaps(appraisals) -> dict[int, list[dict]]:
    """For each appraisal, its gaps' dimensions with the active courses of each (one query for the
    KPIs, one for the courses, whatever the number of appraisals)."""
    codes = {code for a in appraisals for code in (a.gaps or [])}
    dimension_of = dict(Kpi.objects.filter(code__in=codes).values_list("code", "dimension"))
    courses: dict[str, list] = {}
    for course in TrainingCourse.objects.filter(active=True, dimension__in=set(dimension_of.values())):
        courses.setdefault(course.dimension, []).append(course)
    out = {}
    for a in appraisals:
        dims = list(dict.fromkeys(dimension_of[c] for c in (a.gaps or []) if c in dimension_of))
        out[a.pk] = [{"dimension": d, "courses": courses[d]} for d in dims if d in courses]
    return out


# Promotion list ----------------------------------------------------------------------------------------------

#: the grades that count towards the promotion list
PROMOTING = ("S", "A")


def promotion_list(user) -> list[dict]:
    """HR's promotion list: per cycle kind, the people whose final grade was S or A in each of the
    ``PROMOTION_STREAK`` latest published (or closed) cycles of that kind. Two queries; nobody but HR
    reads it."""
    if not (user.is_authenticated and is_hr_user(user)):
        return []
    streak = max(1, settings.PROMOTION_STREAK)
    latest: dict[str, list] = {}
    for cycle in AppraisalCycle.objects.filter(state__in=("published", "closed")).order_by("kind", "-end", "-id"):
        if len(latest.setdefault(cycle.kind, [])) < streak:
            latest[cycle.kind].append(cycle)
    chosen = {c.pk: c for cycles in latest.values() if len(cycles) == streak for c in cycles}
    grades: dict[tuple, dict] = {}
    rows = (
        Appraisal.objects.filter(cycle__in=chosen, final_grade__in=PROMOTING)
        .select_related("employee")
        .order_by("employee__username")
    )
    people = {}
    for a in rows:
        kind = chosen[a.cycle_id].kind
        grades.setdefault((kind, a.employee_id), {})[a.cycle_id] = a.final_grade
        people[a.employee_id] = a.employee
    out = []
    for (kind, employee_id), by_cycle in grades.items():
        if len(by_cycle) == streak:
            cycles = latest[kind]
            out.append(
                {
                    "employee": people[employee_id],
                    "kind": kind,
                    "cycles": [{"cycle": c, "grade": by_cycle[c.pk]} for c in reversed(cycles)],
                }
            )
    return sorted(out, key=lambda r: (r["kind"], r["employee"].username))


# Executives' overview -----------------------------------------------------------------------------------------

#: a group smaller than this shows only its size (never a grade someone could trace to a person)
MIN_GROUP = 3
PUBLISHED_CYCLES = ("published", "closed")


def reads_overview(user) -> bool:
    return bool(user.is_authenticated and (is_hr_user(user) or has_role(user, Role.EXECUTIVE) or user.is_superuser))


def overview_cycles(user) -> list:
    if not reads_overview(user):
        return []
    return list(AppraisalCycle.objects.filter(state__in=PUBLISHED_CYCLES).order_by("-end", "-id")[:24])


def _groups(rows, labels: dict) -> list[dict]:
    """Rows of (group, grade, n, score sum) → one entry per group; a group under MIN_GROUP people
    keeps only its size."""
    groups: dict[str, dict] = {}
    for key, grade, n, total in rows:
        g = groups.setdefault(key, {"key": key, "label": labels.get(key, key), "n": 0, "grades": {}, "sum": 0})
        g["n"] += n
        g["grades"][grade] = g["grades"].get(grade, 0) + n
        g["sum"] += total or 0
    out = []
    for g in sorted(groups.values(), key=lambda g: str(g["label"])):
        shown = g["n"] >= MIN_GROUP
        out.append(
            {
                "key": g["key"],
                "label": g["label"],
                "n": g["n"],
                "shown": shown,
                "grades": [g["grades"].get(x, 0) for x in ("S", "A", "B", "C", "D")] if shown else [],
                "mean": round(g["sum"] / g["n"], 1) if shown and g["n"] else None,
            }
        )
    return out


def grade_overview(user, cycle) -> dict:
    """The final grades of a published cycle in aggregate, by portal role and by project role (what
    executives see): two grouped queries; a group under MIN_GROUP people shows only its size."""
    if not reads_overview(user) or cycle is None or cycle.state not in PUBLISHED_CYCLES:
        return {"by_role": [], "by_project_role": []}
    graded = Appraisal.objects.filter(cycle=cycle).exclude(final_grade="").order_by()
    by_role = (
        graded.annotate(group=F("employee__groups__name"))
        .exclude(group__isnull=True)
        .values("group", "final_grade")
        .annotate(n=Count("id", distinct=True), total=Sum("score"))
        .values_list("group", "final_grade", "n", "total")
    )
    by_project_role = (
        graded.values("project_role", "final_grade")
        .annotate(n=Count("id"), total=Sum("score"))
        .values_list("project_role", "final_grade", "n", "total")
    )
    return {
        "by_role": _groups(by_role, dict(Role.choices)),
        "by_project_role": _groups(by_project_role, dict(ProjectRole.choices)),
    }
