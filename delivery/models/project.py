"""Delivery projects (DOMAIN.md §3): ``analyze`` (opened when ATI is approved) → ``plan`` (ATB
approved) → ``build`` (DR1) → ``implement`` → ``handover`` (DR3) → ``closed`` (DR4); ``cancelled``
from analyze or plan when the opportunity is lost or abandoned. Analyze and plan are pre-sales:
the PM makes the bid deliverable (DTRB, DRA, DTRC, DRB)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from contracts.models import Contract
from ltc_portal.controls.selectors import gate_approved
from ltc_portal.core.fsm import check, may
from ltc_portal.core.indexes import trigram_index
from ltc_portal.core.models import LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, default_currency
from opportunities.models import Opportunity

from .choices import DR1, DR3, DR4


class ProjectState(models.TextChoices):
    ANALYZE = "analyze", _("Analyze")
    PLAN = "plan", _("Plan")
    BUILD = "build", _("Build")
    IMPLEMENT = "implement", _("Implement")
    HANDOVER = "handover", _("Handover")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATES = (ProjectState.CLOSED, ProjectState.CANCELLED)
PHASES = (
    ProjectState.ANALYZE,
    ProjectState.PLAN,
    ProjectState.BUILD,
    ProjectState.IMPLEMENT,
    ProjectState.HANDOVER,
    ProjectState.CLOSED,
)


@check(_("Staff the team: the PM and at least one more member."))
def team_staffed(project):
    today = timezone.localdate()
    current = project.team.filter(start_date__lte=today).exclude(end_date__lt=today)
    return current.filter(role="pm").exists() and current.exclude(role="pm").exists()


@check(_("Plan the baseline: at least one milestone with planned start and end dates."))
def baseline_planned(project):
    return project.milestones.filter(planned_start__isnull=False, planned_end__isnull=False).exists()


class Project(LifecycleModel):
    """The delivery project of one opportunity, led by its PM, from pre-sales analysis to closure."""

    States = ProjectState
    state_tones = {
        ProjectState.ANALYZE: "info",
        ProjectState.PLAN: "primary",
        ProjectState.BUILD: "warning",
        ProjectState.IMPLEMENT: "warning",
        ProjectState.HANDOVER: "success",
        ProjectState.CLOSED: "dark",
        ProjectState.CANCELLED: "danger",
    }

    opportunity = models.OneToOneField(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="project", editable=False
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=200)
    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_projects",
    )
    currency = CurrencyField(_("currency"), default=default_currency)
    technical_solution = models.TextField(_("technical solution"), blank=True)
    delivery_approach = models.TextField(_("delivery approach"), blank=True)
    key_risks = models.TextField(_("key risks"), blank=True)
    final_scope = models.TextField(_("final scope"), blank=True)
    delivery_plan = models.TextField(_("delivery plan"), blank=True)
    pm_change_limit = MoneyField(
        _("PM change authority"),
        default=Decimal("0"),
        help_text=_("Cost impact up to which the PM decides changes (DR2); set by the PMO."),
    )
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    final_acceptance_date = models.DateField(_("final acceptance date"), null=True, blank=True)
    final_acceptance_by = models.CharField(_("final acceptance signed by"), max_length=200, blank=True)
    final_acceptance_ref = models.CharField(_("final acceptance reference"), max_length=100, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True, editable=False)
    state = FSMField(
        _("state"), default=ProjectState.ANALYZE, choices=ProjectState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("delivery project")
        verbose_name_plural = _("delivery projects")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="project_created_idx"),
            models.Index(fields=["pm", "-created_at"], name="project_pm_created_idx"),
            models.Index(fields=["name"], name="project_name_idx"),
            trigram_index("name", name="project_search_trgm"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("delivery:project-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        """Closed or cancelled: nothing on the project changes any more."""
        return self.state in FINISHED_STATES

    @transition(
        state,
        source=ProjectState.PLAN,
        target=ProjectState.BUILD,
        conditions=[gate_approved(DR1)],
        custom={"label": _("DR1: build")},
    )
    def dr1(self):
        """DR1 approved: contract handed over and budget approved."""

    @transition(
        state,
        source=ProjectState.BUILD,
        target=ProjectState.IMPLEMENT,
        conditions=[team_staffed, baseline_planned],
        permission=may("delivery.change_project"),
        custom={"label": _("Start implementation")},
    )
    def start_implementation(self):
        """The team is staffed and the baseline plan exists."""

    @transition(
        state,
        source=ProjectState.IMPLEMENT,
        target=ProjectState.HANDOVER,
        conditions=[gate_approved(DR3)],
        custom={"label": _("DR3: hand over")},
    )
    def dr3(self):
        """DR3 approved: ready to hand over to the customer's operations."""

    @transition(
        state,
        source=ProjectState.HANDOVER,
        target=ProjectState.CLOSED,
        conditions=[gate_approved(DR4)],
        custom={"label": _("DR4: close")},
    )
    def dr4(self):
        """DR4 approved: closed."""

    @transition(
        state,
        source=ProjectState.ANALYZE,
        target=ProjectState.PLAN,
        custom={"label": _("Plan"), "internal": _("A project moves to plan when ATB is approved.")},
    )
    def plan(self):
        """ATB approved: plan the delivery of the bid."""

    @transition(
        state,
        source=[ProjectState.ANALYZE, ProjectState.PLAN],
        target=ProjectState.CANCELLED,
        custom={
            "label": _("Cancel"),
            "needs_reason": True,
            "internal": _("A pre-sales project is cancelled when its opportunity is lost or abandoned."),
        },
    )
    def cancel(self, reason: str = ""):
        self.cancel_reason = reason
