"""Milestones with their acceptance (验收), and quality checks with the defects they found."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from ltc_portal.core.fsm import check, may
from ltc_portal.core.models import AppendOnlyModel, AuditedModel, LifecycleModel

from .choices import Severity


class MilestoneState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACCEPTED = "accepted", _("Accepted")
    WAIVED = "waived", _("Waived")


@check(_("Record the planned start and end dates first."))
def milestone_planned(milestone):
    return milestone.planned_start is not None and milestone.planned_end is not None


class Milestone(LifecycleModel):
    """A point of the delivery plan the customer accepts; its acceptance can make a payment due."""

    States = MilestoneState
    state_tones = {MilestoneState.ACCEPTED: "success", MilestoneState.WAIVED: "secondary"}

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="milestones"
    )
    name = models.CharField(_("name"), max_length=200)
    deliverables = models.TextField(_("deliverables"), blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("Its share of the project's earned value (DOMAIN.md §5.1); 1 unless set."),
    )
    waive_reason = models.TextField(_("waiver reason"), blank=True, editable=False)
    state = FSMField(
        _("state"), default=MilestoneState.PLANNED, choices=MilestoneState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "planned_end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="milestone_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @transition(
        state,
        source=MilestoneState.PLANNED,
        target=MilestoneState.ACCEPTED,
        conditions=[milestone_planned],
        permission=may("delivery.accept_milestone"),
        custom={"label": pgettext_lazy("milestone step", "Accept")},
    )
    def accept(self):
        """The customer signed its acceptance certificate (delivery.services.milestone_accept)."""

    @transition(
        state,
        source=MilestoneState.PLANNED,
        target=MilestoneState.WAIVED,
        permission=may("delivery.waive_milestone"),
        custom={"label": _("Waive"), "needs_reason": True},
    )
    def waive(self, reason: str = ""):
        self.waive_reason = reason


class AcceptanceCertificate(AppendOnlyModel):
    """The customer's signed acceptance of a milestone."""

    milestone = models.OneToOneField(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="acceptance"
    )
    signed_by = models.CharField(_("signed for the customer by"), max_length=200)
    date = models.DateField(_("date"))
    document_ref = models.CharField(_("document reference"), max_length=100)
    remarks = models.TextField(_("remarks"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("customer satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance certificate")
        verbose_name_plural = _("acceptance certificates")

    def __str__(self):
        return f"{self.milestone} · {self.document_ref}"


class QualityResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class QualityCheck(AuditedModel):
    """An inspection of the delivery and its result."""

    project = models.ForeignKey(
        "delivery.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="quality_checks"
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("milestone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_checks",
    )
    subject = models.CharField(_("what was inspected"), max_length=300)
    date = models.DateField(_("date"))
    result = models.CharField(_("result"), max_length=10, choices=QualityResult.choices)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        ordering = ["project", "-date", "-id"]

    def __str__(self):
        return f"{self.subject} ({self.get_result_display()})"


class Defect(AuditedModel):
    """A defect a quality check found; closed when fixed (rework counted)."""

    quality_check = models.ForeignKey(
        QualityCheck, verbose_name=_("quality check"), on_delete=models.PROTECT, related_name="defects"
    )
    description = models.CharField(_("description"), max_length=300)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    rework = models.BooleanField(_("needs rework"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["quality_check", "id"]

    def __str__(self):
        return self.description
