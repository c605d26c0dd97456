"""Budgets (预算): versioned per project, lines by cost category, never edited once submitted.
DR1 approves a submitted version (with the delivery issue); the current budget is the latest
approved version."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from delivery.models import Project
from ltc_portal.core.fsm import check, may
from ltc_portal.core.models import LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField
from opportunities.models import CostCategory


class BudgetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


@check(_("Add at least one budget line."))
def has_lines(budget):
    return budget.lines.exists()


class Budget(LifecycleModel):
    """One version of a project's budget."""

    States = BudgetState
    state_tones = {
        BudgetState.DRAFT: "secondary",
        BudgetState.SUBMITTED: "warning",
        BudgetState.APPROVED: "success",
        BudgetState.REJECTED: "danger",
    }

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="budgets")
    version = models.PositiveIntegerField(_("version"), editable=False)
    currency = CurrencyField(_("currency"))
    total = MoneyField(_("total"), default=0, editable=False)
    note = models.TextField(_("note"), blank=True)
    state = FSMField(_("state"), default=BudgetState.DRAFT, choices=BudgetState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["project", "-version"]
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="budget_unique_version")]

    def __str__(self):
        return f"{self.project} · budget v{self.version}"

    @transition(
        state,
        source=BudgetState.DRAFT,
        target=BudgetState.SUBMITTED,
        conditions=[has_lines],
        permission=may("delivery.change_project_budget"),
        custom={"label": _("Submit")},
    )
    def submit(self):
        """Submitted for approval (DR1, or a DR2 change)."""

    @transition(
        state,
        source=BudgetState.SUBMITTED,
        target=BudgetState.APPROVED,
        custom={"label": _("Approve"), "internal": _("A budget is approved by DR1 or by a DR2 change.")},
    )
    def approve(self):
        """Approved: the project's current budget."""

    @transition(
        state,
        source=BudgetState.SUBMITTED,
        target=BudgetState.REJECTED,
        custom={"label": _("Reject"), "internal": _("A budget is rejected when DR1 rejects it.")},
    )
    def reject(self):
        """DR1 rejected: this version is not the budget; the PM drafts a new version."""


class BudgetLine(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(_("category"), max_length=20, choices=CostCategory.choices)
    amount = MoneyField(_("amount"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="budgetline_not_negative")]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"
