"""Budgets (预算): versioned per project, lines by cost category, never edited once submitted.
DR1 approves a submitted version (with the delivery issue); the current budget is the latest
approved version."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from delivery.models import Project
from ltc_portal.core.fsm import check, may
from ltc_portal.core.models import AuditedModel, LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, validate_currency
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
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
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
        """Approved: the project's current budget (from now: the accounting reads it as of a date)."""
        self.approved_at = timezone.now()

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


# Cost actuals, rates and periods (DOMAIN.md §5.2) --------------------------------------------------


class ExchangeRate(AuditedModel):
    """How many units of the base currency one unit of ``currency`` was worth on ``date``. The
    accounting uses the latest rate dated on or before an amount's date; without one the amount is
    left out of the totals (never converted at 1.0)."""

    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} {settings.BASE_CURRENCY} ({self.date})"


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class AccountingPeriod(LifecycleModel):
    """A calendar month ``YYYY-MM`` of the books. Finance closes it; nothing is dated into a closed
    period and its accounts are never recomputed; reopening needs a reason."""

    States = PeriodState
    state_tones = {PeriodState.OPEN: "success", PeriodState.CLOSED: "dark"}

    period = models.CharField(_("period"), max_length=7, unique=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    state = FSMField(_("state"), default=PeriodState.OPEN, choices=PeriodState.choices, protected=True, db_index=True)

    class Meta:
        verbose_name = _("accounting period")
        verbose_name_plural = _("accounting periods")
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="period_is_a_month"),
        ]

    def __str__(self):
        return self.period

    @transition(
        state,
        source=PeriodState.OPEN,
        target=PeriodState.CLOSED,
        permission=may("finance.close_period"),
        custom={"label": _("Close")},
    )
    def close(self):
        """The month's books are final."""

    @transition(
        state,
        source=PeriodState.CLOSED,
        target=PeriodState.OPEN,
        permission=may("finance.close_period"),
        custom={"label": _("Reopen"), "needs_reason": True},
    )
    def reopen(self, reason: str = ""):
        """Open again for corrections (the reason is logged)."""
        self.closed_by = None
        self.closed_at = None


class CostEntryState(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CostEntry(LifecycleModel):
    """An actual cost of a project (DOMAIN.md §5.2): never edited or deleted; a correction is a
    reversing entry that points at the entry it undoes. ``source_system`` + ``source_ref`` identify it
    in the system it came from, so a re-sent entry is refused rather than counted twice."""

    States = CostEntryState
    state_tones = {
        CostEntryState.PENDING: "warning",
        CostEntryState.APPROVED: "success",
        CostEntryState.REJECTED: "danger",
    }

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="cost_entries"
    )
    date = models.DateField(_("date"))
    period = models.CharField(_("period"), max_length=7, editable=False, db_index=True)
    category = models.CharField(_("category"), max_length=20, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    description = models.CharField(_("description"), max_length=500)
    source_system = models.CharField(_("source system"), max_length=40, default="portal")
    source_ref = models.CharField(_("source reference"), max_length=100)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    state = FSMField(
        _("state"), default=CostEntryState.PENDING, choices=CostEntryState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("cost entry")
        verbose_name_plural = _("cost entries")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["project", "state", "date"], name="costentry_project_state_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_ref"],
                name="costentry_unique_source",
                violation_error_message=_("An entry with this source system and reference already exists."),
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="costentry_not_zero"),
        ]

    def __str__(self):
        return f"{self.project} · {self.date} · {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        self.period = self.date.strftime("%Y-%m") if self.date else ""
        super().save(*args, **kwargs)

    @transition(
        state,
        source=CostEntryState.PENDING,
        target=CostEntryState.APPROVED,
        permission=may("finance.decide_costentry"),
        custom={"label": _("Approve")},
    )
    def approve(self):
        """It counts in the project's actual cost."""

    @transition(
        state,
        source=CostEntryState.PENDING,
        target=CostEntryState.REJECTED,
        permission=may("finance.decide_costentry"),
        custom={"label": _("Reject"), "needs_reason": True},
    )
    def reject(self, reason: str = ""):
        """It does not count (the reason is logged)."""


# The monthly accounting (核算, DOMAIN.md §5.1) -------------------------------------------------------


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class AccountingRun(models.Model):
    """One run of the monthly accounting for a period: queued, running, and how it ended."""

    period = models.ForeignKey(
        AccountingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="runs"
    )
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    projects = models.PositiveIntegerField(_("projects"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("accounting run")
        verbose_name_plural = _("accounting runs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.period} · {self.get_state_display()}"


class MonthlyAccount(models.Model):
    """A project's figures for one period, in the base currency, as DOMAIN.md §5.1 defines them.
    Written by the monthly accounting only (one row per project and period, rewritten by a re-run)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="accounts")
    period = models.ForeignKey(
        AccountingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="accounts"
    )
    run = models.ForeignKey(AccountingRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="accounts")
    currency = models.CharField(_("currency"), max_length=3)
    cost_period = MoneyField(_("cost in the period"), default=0, validators=[])
    cost_cumulative = MoneyField(_("actual cost (AC)"), default=0, validators=[])
    cost_by_category = models.JSONField(_("cost by category"), default=dict)
    budget = MoneyField(_("budget (BAC)"), null=True, blank=True, validators=[])
    planned_value = MoneyField(_("planned value (PV)"), null=True, blank=True, validators=[])
    earned_value = MoneyField(_("earned value (EV)"), null=True, blank=True, validators=[])
    cpi = models.DecimalField(_("CPI"), max_digits=12, decimal_places=4, null=True, blank=True)
    spi = models.DecimalField(_("SPI"), max_digits=12, decimal_places=4, null=True, blank=True)
    revenue_period = MoneyField(_("revenue in the period"), null=True, blank=True, validators=[])
    revenue_cumulative = MoneyField(_("revenue"), null=True, blank=True, validators=[])
    gross_margin = MoneyField(_("gross margin"), null=True, blank=True, validators=[])
    margin_percent = models.DecimalField(_("margin %"), max_digits=12, decimal_places=2, null=True, blank=True)
    budget_execution_percent = models.DecimalField(
        _("budget execution %"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cost_variance_percent = models.DecimalField(
        _("cost variance %"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    invoiced = MoneyField(_("invoiced"), default=0, validators=[])
    collected = MoneyField(_("collected"), default=0, validators=[])
    receivable = MoneyField(_("receivable"), default=0, validators=[])
    complete = models.BooleanField(_("complete"), default=True)
    notes = models.JSONField(_("notes"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("monthly account")
        verbose_name_plural = _("monthly accounts")
        ordering = ["-period__period", "project_id"]
        constraints = [models.UniqueConstraint(fields=["project", "period"], name="monthlyaccount_one_per_period")]

    def __str__(self):
        return f"{self.project} · {self.period}"


class VarianceAlert(models.Model):
    """The monthly accounting raised an alert on a project for a period (cost variance above the
    setting, or CPI below 0.9): once per project and period, with the risk it opened."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(AccountingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+")
    risk_id = models.PositiveBigIntegerField(_("risk"), null=True, blank=True)
    cost_variance_percent = models.DecimalField(
        _("cost variance %"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cpi = models.DecimalField(_("CPI"), max_digits=12, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("variance alert")
        verbose_name_plural = _("variance alerts")
        constraints = [models.UniqueConstraint(fields=["project", "period"], name="variancealert_once_per_period")]

    def __str__(self):
        return f"{self.project} · {self.period}"
