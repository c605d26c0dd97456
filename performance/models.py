"""Performance and incentives (DOMAIN.md §7): the KPI library, templates per project role, appraisal
cycles scored by the KPI scoring job (performance/scoring.py), and the appraisals it writes.

Scales: an indicator scores 0 points at its ``floor`` and 100 at its ``target``, linearly, clipped to
0–100. A higher-better indicator has ``target`` above ``floor``; a lower-better one has it below (the
scale is reversed: e.g. a delay rate scores 100 at 0 % and 0 at 50 %)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from delivery.models import ProjectRole
from ltc_portal.core.fsm import check, may
from ltc_portal.core.models import AuditedModel, LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, money_text


class Grade(models.TextChoices):
    S = "S", "S"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


GRADES = tuple(Grade.values)
DEFAULT_THRESHOLDS = {"S": 90, "A": 80, "B": 70, "C": 60}


class Dimension(models.TextChoices):
    QUALITY = "quality", _("Quality")
    SCHEDULE = "schedule", _("Schedule")
    COST = "cost", _("Cost")
    RISK = "risk", _("Risk")
    TEAMWORK = "teamwork", _("Teamwork")


class KpiSource(models.TextChoices):
    COMPUTED = "computed", _("Computed from project data")
    MANAGER = "manager", _("Scored by the manager")
    PEER = "peer", _("Scored by peers")


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher_better", _("Higher is better")
    LOWER_BETTER = "lower_better", _("Lower is better")


class Kpi(AuditedModel):
    """An indicator (考核点) of the library. The computed ones are seeded with the codes of DOMAIN.md
    §7.1 and calculated by the scoring job; HR edits their scales, adds manager and peer indicators,
    and retires one that templates use (never deletes it)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)
    source = models.CharField(_("source"), max_length=10, choices=KpiSource.choices)
    direction = models.CharField(_("direction"), max_length=14, choices=Direction.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    floor = models.DecimalField(_("floor (0 points)"), max_digits=12, decimal_places=2)
    target = models.DecimalField(_("target (100 points)"), max_digits=12, decimal_places=2)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["dimension", "code"]
        constraints = [models.CheckConstraint(condition=~Q(floor=models.F("target")), name="kpi_scale_not_flat")]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def clean(self):
        super().clean()
        if self.floor is None or self.target is None:
            return
        if self.direction == Direction.HIGHER_BETTER and self.target <= self.floor:
            raise ValidationError({"target": _("A higher-better indicator's target lies above its floor.")})
        if self.direction == Direction.LOWER_BETTER and self.target >= self.floor:
            raise ValidationError({"target": _("A lower-better indicator's target lies below its floor.")})

    def score(self, value: Decimal) -> Decimal:
        """0 points at the floor, 100 at the target, linear between, clipped to 0–100 (2 decimals)."""
        raw = (Decimal(value) - self.floor) * 100 / (self.target - self.floor)
        return min(Decimal(100), max(Decimal(0), raw)).quantize(Decimal("0.01"))


class KpiMethod(models.TextChoices):
    SCORE = "score", _("Score (0–100)")
    GRADE = "grade", _("Grade")
    WEIGHTED = "weighted", _("Weighted sum")


class KpiTemplate(AuditedModel):
    """The indicators a project role is appraised on, each with a weight (the weights add up to 100)."""

    name = models.CharField(_("name"), max_length=200)
    project_role = models.CharField(_("project role"), max_length=20, choices=ProjectRole.choices, unique=True)
    method = models.CharField(_("method"), max_length=10, choices=KpiMethod.choices, default=KpiMethod.WEIGHTED)

    class Meta:
        verbose_name = _("KPI template")
        verbose_name_plural = _("KPI templates")
        ordering = ["project_role"]

    def __str__(self):
        return self.name


class KpiTemplateItem(models.Model):
    template = models.ForeignKey(KpiTemplate, on_delete=models.CASCADE, related_name="items")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="template_items")
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        verbose_name = _("template item")
        verbose_name_plural = _("template items")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "kpi"], name="kpitemplateitem_once"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="kpitemplateitem_weight_positive"),
        ]

    def __str__(self):
        return f"{self.kpi_id} × {self.weight}"


# Cycles and appraisals ---------------------------------------------------------------------------


class CycleKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")


class CycleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("cycle state", "Open")
    SCORING = "scoring", _("Scoring")
    CALIBRATING = "calibrating", _("Calibrating")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


@check(_("The cycle's window must have ended before it is scored."))
def window_ended(cycle):
    return cycle.end < timezone.localdate()


class AppraisalCycle(LifecycleModel):
    """A window [start, end] in which people are appraised: ``open`` makes one appraisal per person on
    a team overlapping it; ``score`` queues the scoring job, which moves it to ``calibrating``."""

    States = CycleState
    state_tones = {
        CycleState.DRAFT: "secondary",
        CycleState.OPEN: "primary",
        CycleState.SCORING: "info",
        CycleState.CALIBRATING: "warning",
        CycleState.PUBLISHED: "success",
        CycleState.CLOSED: "dark",
    }

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=CycleKind.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    grade_thresholds = models.JSONField(_("grade thresholds"), default=dict, blank=True)
    grade_caps = models.JSONField(_("grade caps (max percent of people)"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, editable=False)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True, editable=False)
    error = models.TextField(_("last scoring error"), blank=True, editable=False)
    state = FSMField(_("state"), default=CycleState.DRAFT, choices=CycleState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-end", "-id"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="cycle_window_ordered")]

    def __str__(self):
        return self.name

    def thresholds(self) -> dict[str, Decimal]:
        merged = {**DEFAULT_THRESHOLDS, **(self.grade_thresholds or {})}
        return {g: Decimal(str(merged[g])) for g in ("S", "A", "B", "C")}

    def grade_of(self, score: Decimal | None) -> str:
        if score is None:
            return ""
        for grade, floor in self.thresholds().items():
            if score >= floor:
                return grade
        return "D"

    @transition(
        state,
        source=CycleState.DRAFT,
        target=CycleState.OPEN,
        permission=may("performance.run_cycle"),
        custom={"label": pgettext_lazy("step", "Open")},
    )
    def open(self):
        """One appraisal per person on a team overlapping the window (performance.services)."""

    @transition(
        state,
        source=[CycleState.OPEN, CycleState.CALIBRATING],
        target=CycleState.SCORING,
        conditions=[window_ended],
        permission=may("performance.run_cycle"),
        custom={"label": _("Score")},
    )
    def score(self):
        """The scoring job is queued; it moves the cycle to calibrating."""
        self.progress = 0
        self.error = ""

    @transition(
        state,
        source=CycleState.SCORING,
        target=CycleState.CALIBRATING,
        custom={"label": _("Scored"), "internal": _("The scoring job moves the cycle on.")},
    )
    def scored(self):
        self.progress = 100
        self.scored_at = timezone.now()

    @transition(
        state,
        source=CycleState.SCORING,
        target=CycleState.OPEN,
        custom={"label": _("Scoring failed"), "internal": _("The scoring job moves the cycle back.")},
    )
    def scoring_failed(self, error: str = ""):
        self.error = error

    @transition(
        state,
        source=CycleState.CALIBRATING,
        target=CycleState.PUBLISHED,
        permission=may("performance.run_cycle"),
        custom={"label": _("Publish")},
    )
    def publish(self):
        """Each person sees their result (the grade caps are checked by performance.services)."""

    @transition(
        state,
        source=CycleState.PUBLISHED,
        target=CycleState.CLOSED,
        permission=may("performance.run_cycle"),
        custom={"label": _("Close")},
    )
    def close(self):
        """The cycle is over: appraisals not acknowledged nor appealed are final."""


class AppraisalState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("appraisal state", "Pending")
    SCORED = "scored", _("Scored")
    PUBLISHED = "published", _("Published")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    APPEALED = "appealed", _("Appealed")
    FINAL = "final", _("Final")


@check(lambda a: _("An appeal is made within %(days)s days of publication.") % {"days": settings.APPEAL_DAYS})
def within_appeal_days(appraisal):
    if appraisal.published_at is None:
        return False
    return timezone.now() - appraisal.published_at <= datetime.timedelta(days=settings.APPEAL_DAYS)


class Appraisal(LifecycleModel):
    """One person's appraisal in a cycle: the indicator results the job computed, score, grade, the
    final grade after calibration, strengths, gaps and the manager's advice."""

    States = AppraisalState
    state_tones = {
        AppraisalState.PENDING: "secondary",
        AppraisalState.SCORED: "info",
        AppraisalState.PUBLISHED: "primary",
        AppraisalState.ACKNOWLEDGED: "success",
        AppraisalState.APPEALED: "warning",
        AppraisalState.FINAL: "dark",
    }

    cycle = models.ForeignKey(
        AppraisalCycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="appraisals"
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("employee"), on_delete=models.PROTECT, related_name="appraisals"
    )
    project_role = models.CharField(_("project role"), max_length=20, choices=ProjectRole.choices)
    template = models.ForeignKey(
        KpiTemplate, verbose_name=_("template"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contribution = models.DecimalField(_("contribution"), max_digits=12, decimal_places=2, default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    grade = models.CharField(_("grade"), max_length=1, blank=True, editable=False)
    final_grade = models.CharField(_("final grade"), max_length=1, blank=True)
    calibration_reason = models.TextField(_("calibration reason"), blank=True)
    results = models.JSONField(_("results"), default=list, blank=True, editable=False)
    notes = models.JSONField(_("notes"), default=list, blank=True, editable=False)
    strengths = models.JSONField(_("strengths"), default=list, blank=True, editable=False)
    gaps = models.JSONField(_("gaps"), default=list, blank=True, editable=False)
    advice = models.TextField(_("manager's advice"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    state = FSMField(
        _("state"), default=AppraisalState.PENDING, choices=AppraisalState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["cycle", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="appraisal_once_per_cycle"),
            models.CheckConstraint(condition=Q(final_grade__in=["", *GRADES]), name="appraisal_final_grade_known"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.employee}"

    _by_job = _("The scoring job writes the results.")
    _by_cycle = _("It follows its cycle.")

    @transition(
        state,
        source=[AppraisalState.PENDING, AppraisalState.SCORED],
        target=AppraisalState.SCORED,
        custom={"label": _("Scored"), "internal": _by_job},
    )
    def scored(self):
        """Results, score and grade written (again, when the cycle is scored again while calibrating)."""

    @transition(
        state,
        source=AppraisalState.SCORED,
        target=AppraisalState.PUBLISHED,
        custom={"label": _("Published"), "internal": _by_cycle},
    )
    def publish(self):
        """The person sees the result."""

    @transition(
        state,
        source=AppraisalState.PUBLISHED,
        target=AppraisalState.ACKNOWLEDGED,
        permission=may("performance.acknowledge_appraisal"),
        custom={"label": _("Acknowledge")},
    )
    def acknowledge(self):
        """The person has read the result and accepts it."""

    @transition(
        state,
        source=AppraisalState.PUBLISHED,
        target=AppraisalState.APPEALED,
        conditions=[within_appeal_days],
        permission=may("performance.acknowledge_appraisal"),
        custom={"label": _("Appeal"), "needs_reason": True},
    )
    def appeal(self, reason: str = ""):
        """The person contests the result (performance.services records the appeal for HR)."""

    @transition(
        state,
        source=[AppraisalState.PUBLISHED, AppraisalState.ACKNOWLEDGED, AppraisalState.APPEALED],
        target=AppraisalState.FINAL,
        custom={"label": _("Final"), "internal": _("It follows its cycle or its appeal's decision.")},
    )
    def finalise(self):
        """The cycle closed, or HR decided the appeal: the result stands."""


class ManagerScore(AuditedModel):
    """The PM's score (0–100) of a person on a ``manager`` indicator in a cycle."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="manager_scores")
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("manager score")
        verbose_name_plural = _("manager scores")
        constraints = [models.UniqueConstraint(fields=["appraisal", "kpi", "created_by"], name="managerscore_once")]


class PeerReview(AuditedModel):
    """A team member's scores of a colleague on the ``peer`` indicators of a cycle (the reviewee never
    sees who gave them)."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="peer_reviews")
    reviewee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("peer review")
        verbose_name_plural = _("peer reviews")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "reviewee", "reviewer"], name="peerreview_once"),
            models.CheckConstraint(condition=~Q(reviewee=models.F("reviewer")), name="peerreview_not_oneself"),
        ]


class PeerScore(models.Model):
    review = models.ForeignKey(PeerReview, on_delete=models.CASCADE, related_name="scores")
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "kpi"], name="peerscore_once")]

    def __str__(self):
        return f"{self.kpi_id}: {self.score}"


# Appeals and bonus pools --------------------------------------------------------------------------------


class AppealState(models.TextChoices):
    OPEN = "open", pgettext_lazy("appeal state", "Open")
    UPHELD = "upheld", _("Upheld")
    ADJUSTED = "adjusted", _("Adjusted")


class Appeal(AuditedModel):
    """A person's appeal against a published appraisal, decided by HR (never by the appellant): the
    result upheld, or adjusted to a new grade with a reason."""

    appraisal = models.OneToOneField(
        Appraisal, verbose_name=_("appraisal"), on_delete=models.PROTECT, related_name="appeal_record"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=AppealState.choices, default=AppealState.OPEN)
    decision = models.TextField(_("decision"), blank=True)
    new_grade = models.CharField(_("new grade"), max_length=1, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.appraisal} · {self.get_state_display()}"


class PoolState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ALLOCATED = "allocated", _("Allocated")
    APPROVED = "approved", _("Approved")


DEFAULT_COEFFICIENTS = {"S": 1.5, "A": 1.2, "B": 1.0, "C": 0.6, "D": 0}


class BonusPool(LifecycleModel):
    """A cycle's bonus pool (a yearly cycle's is the year-end bonus): split by grade coefficient ×
    contribution, to the cent, adding up to the pool exactly; approved by finance, never by the
    person who allocated it."""

    States = PoolState
    state_tones = {PoolState.DRAFT: "secondary", PoolState.ALLOCATED: "warning", PoolState.APPROVED: "success"}

    cycle = models.ForeignKey(AppraisalCycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="pools")
    amount = MoneyField(_("amount"))
    currency = CurrencyField(_("currency"))
    grade_coefficients = models.JSONField(_("grade coefficients"), default=dict, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    state = FSMField(_("state"), default=PoolState.DRAFT, choices=PoolState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("bonus pool")
        verbose_name_plural = _("bonus pools")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="bonuspool_positive")]

    def __str__(self):
        return f"{self.cycle} · {money_text(self.amount, self.currency)}"

    def coefficients(self) -> dict[str, Decimal]:
        merged = {**DEFAULT_COEFFICIENTS, **(self.grade_coefficients or {})}
        return {g: Decimal(str(merged.get(g, 0))) for g in GRADES}

    @transition(
        state,
        source=[PoolState.DRAFT, PoolState.ALLOCATED],
        target=PoolState.ALLOCATED,
        permission=may("performance.run_cycle"),
        custom={"label": pgettext_lazy("bonus step", "Allocate")},  # 分配, not a receipt's 核销
    )
    def allocate(self):
        """Split by grade coefficient × contribution (performance.services writes the allocations)."""

    @transition(
        state,
        source=PoolState.ALLOCATED,
        target=PoolState.APPROVED,
        permission=may("performance.approve_pool"),
        custom={"label": _("Approve")},
    )
    def approve(self):
        """Finance approves the split for payroll (never the person who allocated it:
        performance.services refuses that)."""


class BonusAllocation(models.Model):
    pool = models.ForeignKey(BonusPool, on_delete=models.CASCADE, related_name="allocations")
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=1)
    contribution = models.DecimalField(_("contribution"), max_digits=12, decimal_places=2)
    share = models.DecimalField(_("share"), max_digits=16, decimal_places=4)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("bonus allocation")
        verbose_name_plural = _("bonus allocations")
        ordering = ["pool", "employee_id"]
        constraints = [models.UniqueConstraint(fields=["pool", "employee"], name="bonusallocation_once")]

    def __str__(self):
        return f"{self.employee_id}: {money_text(self.amount)}"


# Training catalogue -----------------------------------------------------------------------------------------


class TrainingCourse(AuditedModel):
    """A course HR suggests for a dimension: "My performance" offers the active courses of each gap's
    dimension."""

    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    title_zh = models.CharField(_("Chinese title"), max_length=200, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["dimension", "title", "id"]

    def __str__(self):
        return self.title

    def title_in(self, language: str) -> str:
        return self.title_zh if language.startswith("zh") and self.title_zh else self.title
