"""Every write of performance (DOMAIN.md §7): the KPI library and templates (HR), appraisal cycles and
their steps, and the appraisals a cycle opens. The scoring itself is performance/scoring.py, run by the
Celery task (queued on commit by ``cycle_transition(name="score")``)."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ltc_portal.core.fsm import (
    TransitionRefused,
    lock,
    log_created,
    log_created_many,
    run_effect,
    run_effect_many,
    run_transition,
    said,
)
from ltc_portal.core.money import fit, split_by_largest_remainder
from ltc_portal.core.outbox import enqueue
from ltc_portal.core.services import assign_fields

from .models import (
    GRADES,
    Appeal,
    AppealState,
    Appraisal,
    AppraisalCycle,
    AppraisalState,
    BonusAllocation,
    BonusPool,
    CycleState,
    Kpi,
    KpiSource,
    KpiTemplate,
    KpiTemplateItem,
    ManagerScore,
    PeerReview,
    PeerScore,
    TrainingCourse,
)
from .rules import is_hr_user
from .scoring import memberships, people

KPI_FIELDS = ("code", "name", "name_zh", "dimension", "source", "direction", "unit", "floor", "target")
#: what HR may change on a seeded (computed) indicator: its scale and names, never its code or source
COMPUTED_EDITABLE = ("name", "name_zh", "unit", "floor", "target", "direction")
CYCLE_FIELDS = ("name", "kind", "start", "end", "grade_thresholds", "grade_caps")
#: the task that scores a cycle (performance/tasks.py), looked up by name
SCORE_TASK = "performance.tasks.score_appraisal_cycle"


def _require_hr(user: User, what: str) -> None:
    if not is_hr_user(user):
        raise PermissionDenied(what)


# KPI library --------------------------------------------------------------------------------------------


@transaction.atomic
def kpi_create(*, user: User, data: dict) -> Kpi:
    """A manager or peer indicator (computed ones come with the portal: their calculators are code)."""
    _require_hr(user, _("Only HR keeps the KPI library."))
    if data.get("source") == KpiSource.COMPUTED:
        raise ValidationError({"source": [_("Computed indicators come with the portal; add a manager or peer one.")]})
    kpi = Kpi(created_by=user, updated_by=user)
    assign_fields(kpi, data, KPI_FIELDS)
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_update(*, kpi: Kpi, user: User, data: dict) -> Kpi:
    _require_hr(user, _("Only HR keeps the KPI library."))
    kpi = lock(kpi)
    allowed = COMPUTED_EDITABLE if kpi.source == KpiSource.COMPUTED else KPI_FIELDS
    fixed = sorted(set(data) - set(allowed))
    changed = [f for f in fixed if data[f] != getattr(kpi, f)]
    if changed:
        raise ValidationError({f: [_("This is fixed for a computed indicator.")] for f in changed})
    if "source" in data and data["source"] == KpiSource.COMPUTED and kpi.source != KpiSource.COMPUTED:
        raise ValidationError({"source": [_("Computed indicators come with the portal.")]})
    assign_fields(kpi, data, allowed)
    kpi.updated_by = user
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_retire(*, kpi: Kpi, user: User) -> Kpi:
    """Retire an indicator: kept (appraisals refer to it) but no longer put in a template."""
    _require_hr(user, _("Only HR keeps the KPI library."))
    kpi = lock(kpi)
    if kpi.retired_at is None:
        kpi.retired_at = timezone.now()
        kpi.updated_by = user
        kpi.save(update_fields=["retired_at", "updated_by", "updated_at"])
    return kpi


# Training catalogue --------------------------------------------------------------------------------------

COURSE_FIELDS = ("dimension", "title", "title_zh", "link", "active")


@transaction.atomic
def training_course_create(*, user: User, data: dict) -> TrainingCourse:
    """A course of the catalogue HR keeps (dimension → courses)."""
    _require_hr(user, _("Only HR keeps the training catalogue."))
    course = TrainingCourse(created_by=user, updated_by=user)
    assign_fields(course, data, COURSE_FIELDS)
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def training_course_update(*, course: TrainingCourse, user: User, data: dict) -> TrainingCourse:
    """Change a course, or retire it with ``active`` false (never deleted: people were offered it)."""
    _require_hr(user, _("Only HR keeps the training catalogue."))
    course = lock(course)
    assign_fields(course, data, COURSE_FIELDS)
    course.updated_by = user
    course.full_clean()
    course.save()
    return course


# Templates -----------------------------------------------------------------------------------------------


def _write_items(template: KpiTemplate, items: list[dict]) -> None:
    errors, seen, built = [], set(), []
    for i, item in enumerate(items, start=1):
        kpi, weight = item.get("kpi"), item.get("weight")
        if kpi is None or weight is None:
            errors.append(_("Item %(n)s: give a KPI and a weight.") % {"n": i})
            continue
        if kpi.retired_at is not None:
            errors.append(_("Item %(n)s: %(kpi)s is retired.") % {"n": i, "kpi": kpi.code})
        if kpi.pk in seen:
            errors.append(_("Item %(n)s: %(kpi)s appears twice.") % {"n": i, "kpi": kpi.code})
        if Decimal(weight) <= 0:
            errors.append(_("Item %(n)s: the weight is positive.") % {"n": i})
        seen.add(kpi.pk)
        built.append(KpiTemplateItem(template=template, kpi=kpi, weight=Decimal(weight)))
    total = sum((b.weight for b in built), Decimal(0))
    if not errors and total != 100:
        errors.append(_("The weights add up to %(total)s, not 100.") % {"total": total})
    if errors:
        raise ValidationError({"items": errors})
    template.items.all().delete()
    KpiTemplateItem.objects.bulk_create(built)


@transaction.atomic
def kpi_template_create(*, user: User, data: dict) -> KpiTemplate:
    """A template for a project role: weighted items adding up to 100 (else 400)."""
    _require_hr(user, _("Only HR keeps the KPI templates."))
    data = dict(data)
    items = data.pop("items", None) or []
    template = KpiTemplate(created_by=user, updated_by=user)
    assign_fields(template, data, ("name", "project_role", "method"))
    template.full_clean()
    template.save()
    _write_items(template, items)
    return template


@transaction.atomic
def kpi_template_update(*, template: KpiTemplate, user: User, data: dict) -> KpiTemplate:
    _require_hr(user, _("Only HR keeps the KPI templates."))
    template = lock(template)
    data = dict(data)
    items = data.pop("items", None)
    assign_fields(template, data, ("name", "project_role", "method"))
    template.updated_by = user
    template.full_clean()
    template.save()
    if items is not None:
        _write_items(template, items)
    return template


# Cycles ------------------------------------------------------------------------------------------------------


def _check_grades(cycle: AppraisalCycle) -> None:
    errors = {}
    thresholds = cycle.grade_thresholds or {}
    if set(thresholds) - {"S", "A", "B", "C"}:
        errors["grade_thresholds"] = [_("Thresholds are given for S, A, B and C (below C is D).")]
    else:
        try:
            merged = cycle.thresholds()
        except (ArithmeticError, ValueError, TypeError):
            merged = None
        if merged is None or not all(0 <= v <= 100 for v in merged.values()):
            errors["grade_thresholds"] = [_("A threshold is a score from 0 to 100.")]
        elif not merged["S"] > merged["A"] > merged["B"] > merged["C"]:
            errors["grade_thresholds"] = [_("The thresholds fall from S to C.")]
    caps = cycle.grade_caps or {}
    if set(caps) - set(GRADES):
        errors["grade_caps"] = [_("Caps are given per grade (S, A, B, C, D).")]
    elif not all(isinstance(v, int | float) and 0 <= v <= 100 for v in caps.values()):
        errors["grade_caps"] = [_("A cap is a percentage from 0 to 100.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def cycle_create(*, user: User, data: dict) -> AppraisalCycle:
    _require_hr(user, _("Only HR runs the appraisal cycles."))
    cycle = AppraisalCycle(created_by=user, updated_by=user)
    assign_fields(cycle, data, CYCLE_FIELDS)
    cycle.full_clean()
    _check_grades(cycle)
    cycle.save()
    log_created(cycle, user=user)
    return cycle


@transaction.atomic
def cycle_update(*, cycle: AppraisalCycle, user: User, data: dict) -> AppraisalCycle:
    """Change a cycle: its window and kind only while draft; thresholds and caps until published."""
    _require_hr(user, _("Only HR runs the appraisal cycles."))
    cycle = lock(cycle)
    if cycle.state in (CycleState.PUBLISHED, CycleState.CLOSED):
        raise TransitionRefused(
            _("The cycle is “%(state)s”: it is not changed.") % {"state": cycle.get_state_display()}
        )
    window = {"kind", "start", "end"} & set(data)
    if cycle.state != CycleState.DRAFT and any(data[f] != getattr(cycle, f) for f in window):
        raise TransitionRefused(_("The window of an opened cycle is fixed."))
    assign_fields(cycle, data, CYCLE_FIELDS)
    cycle.updated_by = user
    cycle.full_clean()
    _check_grades(cycle)
    cycle.save()
    return cycle


def _open_appraisals(cycle: AppraisalCycle, user: User) -> dict:
    """One appraisal per person on a team overlapping the window, with the template of their role;
    those already there are kept (opening twice makes no twins)."""
    everyone = people(cycle.start, cycle.end)
    templates = dict(KpiTemplate.objects.values_list("project_role", "pk"))
    existing = set(Appraisal.objects.filter(cycle=cycle).values_list("employee_id", flat=True))
    new = [
        Appraisal(
            cycle=cycle,
            employee_id=uid,
            project_role=person.role,
            template_id=templates.get(person.role),
            contribution=person.contribution,
            created_by=user,
            updated_by=user,
        )
        for uid, person in sorted(everyone.items())
        if uid not in existing
    ]
    made = Appraisal.objects.bulk_create(new, batch_size=1000)
    log_created_many(made, user=user, reason=said(gettext_noop("Opened with the cycle")))
    untemplated = sorted({a.project_role for a in made if a.template_id is None})
    return {"appraisals": len(made), "roles_without_template": untemplated}


def _fill_templates(cycle: AppraisalCycle) -> dict:
    """Give the appraisals still without a template the one their role has now (one query per role)."""
    templates = dict(KpiTemplate.objects.values_list("project_role", "pk"))
    filled = 0
    for role, template_id in templates.items():
        filled += Appraisal.objects.filter(cycle=cycle, template__isnull=True, project_role=role).update(
            template_id=template_id
        )
    return {"templates_filled": filled}


def _publish_refusals(cycle: AppraisalCycle) -> list[str]:
    """Why the cycle cannot be published: a grade over its cap (naming the grade and the excess)."""
    caps = cycle.grade_caps or {}
    rows = list(Appraisal.objects.filter(cycle=cycle).exclude(final_grade="").values_list("final_grade", flat=True))
    if not rows:
        return [_("No appraisal has a grade: score the cycle first.")]
    reasons = []
    for grade, cap in sorted(caps.items()):
        n = sum(1 for g in rows if g == grade)
        allowed = int(Decimal(str(cap)) * len(rows) / 100)
        if n > allowed:
            reasons.append(
                _("%(grade)s: %(n)s of %(total)s people (%(share)s%%) exceed the cap of %(cap)s%% by %(excess)s.")
                % {
                    "grade": grade,
                    "n": n,
                    "total": len(rows),
                    "share": (Decimal(n) * 100 / len(rows)).quantize(Decimal("0.1")),
                    "cap": cap,
                    "excess": n - allowed,
                }
            )
    return reasons


@transaction.atomic
def cycle_transition(*, cycle: AppraisalCycle, name: str, user: User, reason: str = "") -> AppraisalCycle:
    """``open`` (its appraisals), ``score`` (the job queued after commit), ``publish`` (refused while a
    grade cap is exceeded; every scored appraisal published) and ``close`` (the results stand)."""

    def before(locked: AppraisalCycle) -> dict:
        if name == "open":
            return _open_appraisals(locked, user)
        if name == "score":  # people who joined a team since the cycle opened, templates made since
            return _open_appraisals(locked, user) | _fill_templates(locked)
        if name == "publish":
            refusals = _publish_refusals(locked)
            if refusals:
                raise TransitionRefused(_("The cycle cannot be published yet."), refusals)
        return {}

    cycle = run_transition(cycle, name, user=user, reason=reason, prepare=before)
    if name == "score":
        enqueue(SCORE_TASK, cycle_id=cycle.pk)
    elif name == "publish":
        scored = list(Appraisal.objects.select_for_update().filter(cycle=cycle, state=AppraisalState.SCORED))
        now = timezone.now()
        for appraisal in scored:
            appraisal.published_at = now
        run_effect_many(
            scored, "publish", user=user, reason=said(gettext_noop("Cycle published")), update_fields=["published_at"]
        )
    elif name == "close":
        standing = list(
            Appraisal.objects.select_for_update().filter(
                cycle=cycle, state__in=[AppraisalState.PUBLISHED, AppraisalState.ACKNOWLEDGED]
            )
        )  # an appraisal under appeal waits for HR's decision
        run_effect_many(standing, "finalise", user=user, reason=said(gettext_noop("Cycle closed")))
    return cycle


def _manages(cycle: AppraisalCycle, employee_id: int, user: User) -> bool:
    """Whether ``user`` is the PM of a project ``employee_id`` was on during the cycle's window."""
    return memberships(cycle.start, cycle.end).filter(user=employee_id, project__pm=user).exists()


@transaction.atomic
def manager_score_set(*, appraisal: Appraisal, kpi: Kpi, user: User, score, comment: str = "") -> ManagerScore:
    """The PM of a project the person was on during the cycle scores them on a ``manager`` indicator
    (0–100), before the cycle is published; a second score by the same PM replaces the first."""
    appraisal = lock(appraisal)
    cycle = appraisal.cycle
    if not _manages(cycle, appraisal.employee_id, user):
        raise PermissionDenied(_("Only the PM of a project the person was on in the cycle scores them."))
    if user.pk == appraisal.employee_id:
        raise PermissionDenied(_("Nobody scores themselves."))
    if kpi.source != KpiSource.MANAGER:
        raise ValidationError({"kpi": [_("%(kpi)s is not scored by the manager.") % {"kpi": kpi.name}]})
    if cycle.state not in (CycleState.OPEN, CycleState.SCORING, CycleState.CALIBRATING):
        raise TransitionRefused(
            _("The cycle is “%(state)s”: scores are given while it is open or calibrating.")
            % {"state": cycle.get_state_display()}
        )
    row = ManagerScore.objects.filter(appraisal=appraisal, kpi=kpi, created_by=user).first()
    row = row or ManagerScore(appraisal=appraisal, kpi=kpi, created_by=user)
    row.score, row.comment, row.updated_by = score, comment, user
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def appraisal_update(*, appraisal: Appraisal, user: User, data: dict) -> Appraisal:
    """HR calibrates while the cycle is calibrating: ``final_grade`` with a ``calibration_reason``
    whenever it differs from the computed grade (kept). The PM of a project the person was on writes
    the ``advice`` until the cycle is published."""
    # the cycle first, then the appraisal: the order publish and the scoring job lock them in
    cycle = AppraisalCycle.objects.select_for_update().get(pk=appraisal.cycle_id)
    appraisal = lock(appraisal)
    unknown = set(data) - {"final_grade", "calibration_reason", "advice"}
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    if {"final_grade", "calibration_reason"} & set(data):
        _require_hr(user, _("Only HR calibrates grades."))
        if user.pk == appraisal.employee_id:
            raise PermissionDenied(_("Nobody calibrates their own grade."))
        if cycle.state != CycleState.CALIBRATING:
            raise TransitionRefused(
                _("Grades are calibrated while the cycle is calibrating; it is “%(state)s”.")
                % {"state": cycle.get_state_display()}
            )
        grade = data.get("final_grade", appraisal.final_grade)
        reason = (data.get("calibration_reason", appraisal.calibration_reason) or "").strip()
        if grade not in GRADES:
            raise ValidationError({"final_grade": [_("A grade is one of S, A, B, C, D.")]})
        if grade != appraisal.grade and not reason:
            raise ValidationError(
                {"calibration_reason": [_("Say why the grade changes from %(g)s.") % {"g": appraisal.grade or "—"}]}
            )
        appraisal.final_grade = grade
        appraisal.calibration_reason = reason if grade != appraisal.grade else ""
    if "advice" in data:
        if not (_manages(cycle, appraisal.employee_id, user) or is_hr_user(user)) or user.pk == appraisal.employee_id:
            raise PermissionDenied(_("The advice is written by the PM of a project the person was on."))
        if cycle.state in (CycleState.PUBLISHED, CycleState.CLOSED):
            raise TransitionRefused(_("The cycle is published: the advice is kept as it was."))
        appraisal.advice = (data["advice"] or "").strip()
    appraisal.updated_by = user
    appraisal.save()
    return appraisal


@transaction.atomic
def appraisal_transition(*, appraisal: Appraisal, name: str, user: User, reason: str = "") -> Appraisal:
    """``acknowledge`` or ``appeal`` (with a reason, within APPEAL_DAYS of publication): the employee."""

    def record(locked: Appraisal) -> dict:
        if name == "appeal":
            appeal = Appeal.objects.create(appraisal=locked, reason=reason.strip(), created_by=user, updated_by=user)
            return {"appeal": appeal.pk}
        return {}

    return run_transition(appraisal, name, user=user, reason=reason, prepare=record)


@transaction.atomic
def appeal_decide(*, appeal: Appeal, user: User, decision: str, new_grade: str = "") -> Appeal:
    """HR decides an open appeal — upheld (the grade stands) or adjusted to ``new_grade`` — with the
    decision in words; never the appellant. The appraisal is final afterwards."""
    _require_hr(user, _("Only HR decides appeals."))
    appeal = Appeal.objects.select_for_update().select_related("appraisal").get(pk=appeal.pk)
    if appeal.appraisal.employee_id == user.pk:
        raise PermissionDenied(_("Nobody decides their own appeal."))
    if appeal.state != AppealState.OPEN:
        raise TransitionRefused(
            _("This appeal is decided already (%(state)s).") % {"state": appeal.get_state_display()}
        )
    if not (decision or "").strip():
        raise ValidationError({"decision": [_("Say what was decided and why.")]})
    appraisal = lock(appeal.appraisal)
    if new_grade and new_grade not in GRADES:
        raise ValidationError({"new_grade": [_("A grade is one of S, A, B, C, D.")]})
    adjusted = bool(new_grade) and new_grade != appraisal.final_grade
    appeal.state = AppealState.ADJUSTED if adjusted else AppealState.UPHELD
    appeal.decision = decision.strip()
    appeal.new_grade = new_grade if adjusted else ""
    appeal.decided_by, appeal.decided_at, appeal.updated_by = user, timezone.now(), user
    appeal.save()
    if adjusted:
        appraisal.final_grade = new_grade
        appraisal.calibration_reason = _("Appeal: %(decision)s") % {"decision": appeal.decision}
        appraisal.save(update_fields=["final_grade", "calibration_reason", "updated_at"])
    run_effect(
        appraisal,
        "finalise",
        user=user,
        reason=said(
            gettext_noop("Appeal %(state)s: %(decision)s"),
            state=AppealState(appeal.state).label,
            decision=appeal.decision,
        ),
        data={"appeal": appeal.pk, "new_grade": appeal.new_grade},
    )
    return appeal


# Peer reviews ------------------------------------------------------------------------------------------------


def _shared_time(cycle: AppraisalCycle, a: int, b: int) -> bool:
    """Whether people ``a`` and ``b`` were on one project's team at the same time inside the window."""
    mine = memberships(cycle.start, cycle.end).filter(user=a)
    theirs = memberships(cycle.start, cycle.end).filter(user=b)
    for m in mine.values("project_id", "start_date", "end_date"):
        for t in theirs.filter(project_id=m["project_id"]).values("start_date", "end_date"):
            first = max(m["start_date"], t["start_date"], cycle.start)
            last = min(m["end_date"] or cycle.end, t["end_date"] or cycle.end, cycle.end)
            if first <= last:
                return True
    return False


@transaction.atomic
def peer_review_submit(*, cycle: AppraisalCycle, reviewee, user: User, scores: list[dict], comment: str = ""):
    """A team member's scores (0–100) of a colleague on the ``peer`` KPIs, while the cycle is open:
    only someone who shared a project's team with them in the window, never oneself; a second review
    replaces the first. The reviewee never sees who gave it."""
    cycle = lock(cycle)
    if reviewee.pk == user.pk:
        raise PermissionDenied(_("Nobody reviews themselves."))
    if cycle.state != CycleState.OPEN:
        raise TransitionRefused(
            _("Peer reviews are given while the cycle is open; it is “%(state)s”.")
            % {"state": cycle.get_state_display()}
        )
    if not _shared_time(cycle, user.pk, reviewee.pk):
        raise PermissionDenied(_("Only a colleague on the same project team in the cycle reviews this person."))
    errors, seen = [], set()
    for i, item in enumerate(scores, start=1):
        kpi, score = item.get("kpi"), item.get("score")
        if kpi is None or score is None:
            errors.append(_("Score %(n)s: give a KPI and a score.") % {"n": i})
        elif kpi.source != KpiSource.PEER:
            errors.append(_("Score %(n)s: %(kpi)s is not scored by peers.") % {"n": i, "kpi": kpi.name})
        elif kpi.pk in seen:
            errors.append(_("Score %(n)s: %(kpi)s appears twice.") % {"n": i, "kpi": kpi.name})
        elif not 0 <= Decimal(score) <= 100:
            errors.append(_("Score %(n)s: a score is from 0 to 100.") % {"n": i})
        if kpi is not None:
            seen.add(kpi.pk)
    if not scores:
        errors.append(_("Give at least one score."))
    if errors:
        raise ValidationError({"scores": errors})
    review = PeerReview.objects.filter(cycle=cycle, reviewee=reviewee, reviewer=user).first()
    if review is None:
        review = PeerReview.objects.create(
            cycle=cycle, reviewee=reviewee, reviewer=user, comment=comment, created_by=user, updated_by=user
        )
    else:
        review.comment, review.updated_by = comment, user
        review.save(update_fields=["comment", "updated_by", "updated_at"])
        review.scores.all().delete()
    PeerScore.objects.bulk_create([PeerScore(review=review, kpi=i["kpi"], score=Decimal(i["score"])) for i in scores])
    return review


# Bonus pools -------------------------------------------------------------------------------------------------


@transaction.atomic
def bonus_pool_create(*, user: User, data: dict) -> BonusPool:
    _require_hr(user, _("Only HR sets up bonus pools."))
    pool = BonusPool(created_by=user, updated_by=user)
    assign_fields(pool, data, ("cycle", "amount", "currency", "grade_coefficients"))
    pool.currency = (pool.currency or "").upper()
    pool.full_clean()
    coefficients = pool.grade_coefficients or {}
    if set(coefficients) - set(GRADES) or not all(
        isinstance(v, int | float) and 0 <= v <= 100 for v in coefficients.values()
    ):
        raise ValidationError(
            {"grade_coefficients": [_("Give a coefficient from 0 to 100 per grade (S, A, B, C, D).")]}
        )
    pool.save()
    log_created(pool, user=user)
    return pool


@transaction.atomic
def bonus_pool_transition(*, pool: BonusPool, name: str, user: User, reason: str = "") -> BonusPool:
    """``allocate`` (HR, once the cycle is published: every graded appraisal gets grade coefficient ×
    contribution of the pool, to the cent, adding up exactly) or ``approve`` (finance, never the one who
    allocated)."""

    def prepare(locked: BonusPool) -> dict:
        appealed = Appraisal.objects.filter(cycle=locked.cycle, state=AppraisalState.APPEALED).count()
        if appealed and name in ("allocate", "approve"):
            raise TransitionRefused(
                _("%(n)s appeals of this cycle wait for HR's decision: the grades may still change.") % {"n": appealed}
            )
        if name == "approve":
            if locked.allocated_by_id == user.pk:
                raise PermissionDenied(_("The person who allocated the pool does not approve it."))
            locked.approved_by = user
            return {}
        if name != "allocate":
            return {}
        if locked.cycle.state != CycleState.CLOSED:
            raise TransitionRefused(
                _("A pool is allocated once its cycle is closed (the grades stand); it is “%(state)s”.")
                % {"state": locked.cycle.get_state_display()}
            )
        coefficients = locked.coefficients()
        rows = list(
            Appraisal.objects.filter(cycle=locked.cycle)
            .exclude(final_grade="")
            .values_list("employee_id", "final_grade", "contribution")
        )
        share_field = BonusAllocation._meta.get_field("share")
        shares = {
            uid: fit(coefficients[grade] * contribution, share_field, key="coefficients")
            for uid, grade, contribution in rows
        }
        if not any(shares.values()):
            raise TransitionRefused(
                _("Nobody has a share of this pool (no grade with a coefficient, or no time on a team).")
            )
        amounts = split_by_largest_remainder(locked.amount, shares)
        locked.allocations.all().delete()
        BonusAllocation.objects.bulk_create(
            [
                BonusAllocation(
                    pool=locked,
                    employee_id=uid,
                    grade=grade,
                    contribution=contribution,
                    share=shares[uid],
                    amount=amounts[uid],
                )  # fmt: skip
                for uid, grade, contribution in rows
            ]
        )
        locked.allocated_by = user
        return {"people": len(rows), "total": str(sum(amounts.values(), Decimal(0)))}

    return run_transition(pool, name, user=user, reason=reason, prepare=prepare)


@transaction.atomic
def cycle_score_now(*, cycle: AppraisalCycle) -> AppraisalCycle:
    """Put a cycle to scoring as the portal's own step (the management command then runs the job in
    its own process, not through the queue)."""
    return run_effect(cycle, "score", user=None, reason=said(gettext_noop("Scored by hand (manage.py score_cycle)")))


@transaction.atomic
def cycles_score_ended(*, day) -> list[AppraisalCycle]:
    """Beat, daily: every open cycle whose window ended before ``day`` is put to scoring (the portal's
    own step, logged) and its job queued after commit."""
    queued = []
    for cycle in AppraisalCycle.objects.filter(state=CycleState.OPEN, end__lt=day).order_by("end", "pk"):
        cycle = run_effect(
            cycle, "score", user=None, reason=said(gettext_noop("The window ended on %(end)s"), end=cycle.end)
        )
        enqueue(SCORE_TASK, cycle_id=cycle.pk)
        queued.append(cycle)
    return queued
