"""Budgets (预算): versioned per project, lines by cost category, never edited once submitted.
DR1 approves a submitted version (with the delivery issue); the current budget is the latest
approved version."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from delivery.models import Project, ProjectState
from ltc_portal.core.fsm import check, may
from ltc_portal.core.indexes import trigram_index
from ltc_portal.core.models import AppendOnlyModel, AuditedModel, LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, money_text, validate_currency
from opportunities.models import CostCategory


class BudgetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


@check(_("Add at least one budget line."))
def has_lines(budget):
    return budget.lines.exists()


#: once DR1 has approved a budget, a new version comes only from an approved DR2 change (DOMAIN.md §4)
CHANGED_THROUGH_DR2 = _(
    "The budget is approved (DR1): a new version comes from a change request approved at DR2, with its cost impact."
)


def budget_approved(project) -> bool:
    """Whether DR1 (or a DR2 change since) has approved a version of the project's budget."""
    return project.budgets.filter(state=BudgetState.APPROVED).exists()


@check(CHANGED_THROUGH_DR2)
def no_version_approved(budget):
    """A draft made before DR1 approved another version is not submitted: no gate would approve it."""
    return not budget_approved(budget.project)


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
        conditions=[has_lines, no_version_approved],
        permission=may("delivery.change_project_budget"),
        custom={"label": _("Submit")},
    )
    def submit(self):
        """Submitted for approval at DR1 (later versions come approved from DR2 changes)."""

    @transition(
        state,
        source=BudgetState.DRAFT,
        target=BudgetState.APPROVED,
        conditions=[has_lines],
        custom={
            "label": _("Approve with the change"),
            "internal": _("A version after DR1 is made and approved by the DR2 decision on its change."),
            "unlisted": True,
        },
    )
    def approve_with_change(self):
        """The version an approved DR2 change makes: that decision is its approval."""
        self.approved_at = timezone.now()

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
        source=[BudgetState.SUBMITTED, BudgetState.DRAFT],
        target=BudgetState.REJECTED,
        custom={
            "label": _("Reject"),
            "internal": _("A budget is rejected when DR1 rejects it, or set aside when DR1 approves another version."),
        },
    )
    def reject(self):
        """DR1 rejected it, or approved another version: this version is not the budget."""


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
        return f"{self.get_category_display()} {money_text(self.amount)}"


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
    OPEN = "open", pgettext_lazy("state", "Open")  # not "open it" (查看): a period not yet closed
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
    in the system it came from, so a re-sent entry is refused rather than counted twice.
    ``amount_base`` is the amount at the rate of its date, to the cent (the amount itself in the base
    currency; NULL while no rate is recorded on or before the date): written when the entry is
    recorded and rewritten whenever finance records or corrects a rate of its currency on or before its
    date (finance.services.costs), so the accounting sums it like any column."""

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
    amount_base = models.DecimalField(
        _("amount in base currency"), max_digits=24, decimal_places=2, null=True, blank=True, editable=False
    )
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
        indexes = [
            models.Index(fields=["project", "state", "date"], name="costentry_project_state_date"),
            # the month's approved entries, for the monthly accounting's cost by category of the period
            models.Index(fields=["date"], condition=Q(state="approved"), name="costentry_approved_date"),
            models.Index(
                fields=["currency", "date"], condition=Q(amount_base__isnull=True), name="costentry_without_rate"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "source_ref"],
                name="costentry_unique_source",
                violation_error_message=_("An entry with this source system and reference already exists."),
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="costentry_not_zero"),
        ]

    def __str__(self):
        return f"{self.project} · {self.date} · {money_text(self.amount, self.currency)}"

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


class AccountingRun(ConcurrentTransitionMixin, models.Model):
    """One run of the monthly accounting for a period: queued, running, and how it ended. Its steps
    are the portal's own (run by the job through the one transition path, each logged)."""

    States = RunState
    state_tones = {
        RunState.QUEUED: "secondary",
        RunState.RUNNING: "info",
        RunState.SUCCEEDED: "success",
        RunState.FAILED: "danger",
    }

    period = models.ForeignKey(
        AccountingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="runs"
    )
    state = FSMField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED, protected=True)
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

    _internal = _("The monthly accounting job runs it.")

    @transition(
        state,
        source=[RunState.QUEUED, RunState.RUNNING],
        target=RunState.RUNNING,
        custom={"label": _("Start"), "internal": _internal},
    )
    def start(self):
        """Picked up by a worker (again, when a worker was lost mid-run and the task redelivered)."""
        self.started_at = timezone.now()
        self.error = ""

    @transition(
        state, source=RunState.RUNNING, target=RunState.SUCCEEDED, custom={"label": _("Succeed"), "internal": _internal}
    )
    def succeed(self, projects: int = 0):
        """Every account of the period written."""
        self.projects = projects
        self.finished_at = timezone.now()

    @transition(
        state,
        source=[RunState.QUEUED, RunState.RUNNING],
        target=RunState.FAILED,
        custom={"label": _("Fail"), "internal": _internal},
    )
    def fail(self, error: str = ""):
        """Stopped by an error: the previous accounts stay as they were."""
        self.error = error
        self.finished_at = timezone.now()


class MonthlyAccount(models.Model):
    """A project's figures for one period, in the base currency, as DOMAIN.md §5.1 defines them.
    Written by the monthly accounting only (one row per project and period, rewritten by a re-run).
    Its columns are wider than an entry's (sums of many entries; ratios over tiny divisors), so no
    figure of real or odd data overflows them."""

    # no index of its own: the unique (project, period) index leads with the project
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="accounts", db_index=False
    )
    period = models.ForeignKey(
        AccountingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="accounts"
    )
    # which run last wrote the row. Runs are never deleted (PROTECT, and no one may delete one), so
    # the reference goes without a database constraint: checking it on each of the thousands of rows a
    # run rewrites cost 15 % of the job at dataset L (every run changes it on every row).
    run = models.ForeignKey(
        AccountingRun,
        verbose_name=_("run"),
        on_delete=models.PROTECT,
        related_name="accounts",
        db_constraint=False,
    )
    currency = models.CharField(_("currency"), max_length=3)
    cost_period = MoneyField(_("cost in the period"), default=0, max_digits=24, validators=[])
    cost_cumulative = MoneyField(_("actual cost (AC)"), default=0, max_digits=24, validators=[])
    cost_by_category = models.JSONField(_("cost by category"), default=dict)
    budget = MoneyField(_("budget (BAC)"), null=True, blank=True, max_digits=24, validators=[])
    planned_value = MoneyField(_("planned value (PV)"), null=True, blank=True, max_digits=24, validators=[])
    earned_value = MoneyField(_("earned value (EV)"), null=True, blank=True, max_digits=24, validators=[])
    cpi = models.DecimalField(_("CPI"), max_digits=28, decimal_places=4, null=True, blank=True)
    spi = models.DecimalField(_("SPI"), max_digits=28, decimal_places=4, null=True, blank=True)
    revenue_period = MoneyField(_("revenue in the period"), null=True, blank=True, max_digits=24, validators=[])
    revenue_cumulative = MoneyField(_("revenue"), null=True, blank=True, max_digits=24, validators=[])
    gross_margin = MoneyField(_("gross margin"), null=True, blank=True, max_digits=24, validators=[])
    margin_percent = models.DecimalField(_("margin %"), max_digits=28, decimal_places=2, null=True, blank=True)
    budget_execution_percent = models.DecimalField(
        _("budget execution %"), max_digits=28, decimal_places=2, null=True, blank=True
    )
    cost_variance_percent = models.DecimalField(
        _("cost variance %"), max_digits=28, decimal_places=2, null=True, blank=True
    )
    invoiced = MoneyField(_("invoiced"), default=0, max_digits=24, validators=[])
    collected = MoneyField(_("collected"), default=0, max_digits=24, validators=[])
    receivable = MoneyField(_("receivable"), default=0, max_digits=24, validators=[])
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
        _("cost variance %"), max_digits=28, decimal_places=2, null=True, blank=True
    )
    cpi = models.DecimalField(_("CPI"), max_digits=28, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("variance alert")
        verbose_name_plural = _("variance alerts")
        constraints = [models.UniqueConstraint(fields=["project", "period"], name="variancealert_once_per_period")]

    def __str__(self):
        return f"{self.project} · {self.period}"


# Invoices, receipts, receivables (DOMAIN.md §5.3) ----------------------------------------------------


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    WRITTEN_OFF = "written_off", _("Written off")


#: invoices that count as issued (a void invoice keeps its number but counts for nothing)
LIVE_INVOICE_STATES = (InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID, InvoiceState.PAID)
#: every invoice that was issued and not voided: the live ones and those written off (the bad debt of an
#: invoice is written off; it was invoiced all the same)
ISSUED_INVOICE_STATES = (*LIVE_INVOICE_STATES, InvoiceState.WRITTEN_OFF)


@check(_("Only an invoice with nothing paid on it is voided."))
def nothing_paid(invoice):
    return invoice.paid_amount == 0


class Invoice(LifecycleModel):
    """An invoice of a due payment milestone, in the contract's currency. Numbered when issued
    (``INV-YYYY-NNNNNN``, one gap-free sequence per year of the issue date); a void invoice keeps its
    number; never more, in total, than its payment milestone."""

    States = InvoiceState
    state_tones = {
        InvoiceState.DRAFT: "secondary",
        InvoiceState.ISSUED: "primary",
        InvoiceState.PARTIALLY_PAID: "warning",
        InvoiceState.PAID: "success",
        InvoiceState.VOID: "dark",
        InvoiceState.WRITTEN_OFF: "danger",
    }

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="invoices"
    )
    payment_milestone = models.ForeignKey(
        "contracts.PaymentMilestone",
        verbose_name=_("payment milestone"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    amount = MoneyField(_("net amount"))
    tax_rate_percent = models.DecimalField(
        _("tax rate %"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    currency = models.CharField(_("currency"), max_length=3, editable=False)
    tax_amount = MoneyField(_("tax"), default=0, editable=False)
    total = MoneyField(_("total"), default=0, editable=False)
    #: the sum of its receipt allocations, kept by finance.services.invoices with every allocation (the
    #: allocations are the ledger; this is their total, so a list needs no subquery per invoice)
    paid_amount = MoneyField(_("paid"), default=0, editable=False)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    number = models.CharField(_("number"), max_length=20, null=True, blank=True, unique=True, editable=False)
    void_reason = models.TextField(_("void reason"), blank=True, editable=False)
    write_off_reason = models.TextField(_("write-off reason"), blank=True, editable=False)
    state = FSMField(
        _("state"), default=InvoiceState.DRAFT, choices=InvoiceState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="invoice_issued_idx"),
            models.Index(fields=["due_date"], name="invoice_due_idx"),
            trigram_index("number", name="invoice_search_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0, paid_amount__lte=F("total")), name="invoice_paid_within_total"
            ),
        ]

    def __str__(self):
        return self.number or str(_("Draft invoice #%(id)s") % {"id": self.pk})

    @transition(
        state,
        source=InvoiceState.DRAFT,
        target=InvoiceState.ISSUED,
        permission=may("finance.issue_invoice"),
        custom={"label": pgettext_lazy("invoice step", "Issue")},  # 开具, not a project issue (问题)
    )
    def issue(self):
        """Numbered and sent to the customer (finance.services gives the number and the dates)."""

    @transition(
        state,
        source=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
        target=InvoiceState.PARTIALLY_PAID,
        custom={"label": _("Partly paid"), "internal": _("An invoice is paid by the receipts allocated to it.")},
    )
    def pay_partly(self):
        """A receipt covered part of it."""

    @transition(
        state,
        source=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
        target=InvoiceState.PAID,
        custom={"label": _("Paid"), "internal": _("An invoice is paid by the receipts allocated to it.")},
    )
    def pay(self):
        """Receipts cover its total."""

    @transition(
        state,
        source=[InvoiceState.DRAFT, InvoiceState.ISSUED],
        target=InvoiceState.VOID,
        conditions=[nothing_paid],
        permission=may("finance.issue_invoice"),
        custom={"label": _("Void"), "needs_reason": True},
    )
    def void(self, reason: str = ""):
        self.void_reason = reason

    @transition(
        state,
        source=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
        target=InvoiceState.WRITTEN_OFF,
        permission=may("finance.issue_invoice"),
        custom={"label": _("Write off"), "needs_reason": True},
    )
    def write_off(self, reason: str = ""):
        self.write_off_reason = reason


class InvoiceCounter(models.Model):
    """The last invoice number given in a year (locked while an invoice is issued: no gaps, no twins)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")

    def __str__(self):
        return f"{self.year}: {self.last}"


class Receipt(AuditedModel):
    """Money received from a customer, allocated to its issued invoices in the same currency; what is
    not allocated is the customer's credit."""

    customer = models.ForeignKey(
        "leads.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="receipts"
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    date = models.DateField(_("date"))
    payer = models.CharField(_("payer"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive")]

    def __str__(self):
        return f"{self.reference} · {money_text(self.amount, self.currency)}"


class ReceiptAllocation(AppendOnlyModel):
    """Part of a receipt applied to an invoice; never edited."""

    receipt = models.ForeignKey(
        Receipt, verbose_name=_("receipt"), on_delete=models.PROTECT, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = MoneyField(_("amount"))
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt allocation")
        verbose_name_plural = _("receipt allocations")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["date"], name="allocation_date_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]


class InvoiceReminder(models.Model):
    """An overdue reminder sent for an invoice at one level (days overdue): each level once."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="reminders")
    level = models.PositiveSmallIntegerField(_("days overdue"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("overdue reminder")
        verbose_name_plural = _("overdue reminders")
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="invoicereminder_once_per_level")]

    def __str__(self):
        return f"{self.invoice} · {self.level}"


# Final accounts (决算, DOMAIN.md §5) -----------------------------------------------------------------


class FinalAccountState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PREPARED = "prepared", _("Prepared")


@check(_("Explain the result (the variances against the estimate and the budget)."))
def explained(final):
    return bool((final.explanation or "").strip())


@check(_("Final accounts are prepared at handover (after DR3), before the project is closed."))
def project_at_handover(final):
    return final.project.state == ProjectState.HANDOVER


class FinalAccount(LifecycleModel):
    """A project's final accounts (决算) at handover, in the base currency: the estimate (概算), every
    budget version (预算), the actual cost by category, revenue, invoiced, collected, margin and the
    variances, with finance's explanation. Finance draws the figures up (redrawn until prepared) and
    prepares them; DR4 needs them prepared. The figures are those of the day they were drawn up."""

    States = FinalAccountState
    state_tones = {FinalAccountState.DRAFT: "secondary", FinalAccountState.PREPARED: "success"}

    project = models.OneToOneField(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="final_account"
    )
    as_of = models.DateField(_("figures as of"))
    currency = models.CharField(_("currency"), max_length=3)
    estimate_total = MoneyField(_("estimate (概算)"), max_digits=24, null=True, blank=True, validators=[])
    budget_total = MoneyField(_("current budget (预算)"), max_digits=24, null=True, blank=True, validators=[])
    budget_versions = models.JSONField(_("budget versions"), default=list, blank=True)
    cost_by_category = models.JSONField(_("actual cost by category"), default=dict, blank=True)
    actual_cost = MoneyField(_("actual cost"), max_digits=24, default=0, validators=[])
    revenue = MoneyField(_("revenue"), max_digits=24, null=True, blank=True, validators=[])
    invoiced = MoneyField(_("invoiced"), max_digits=24, default=0, validators=[])
    collected = MoneyField(_("collected"), max_digits=24, default=0, validators=[])
    receivable = MoneyField(_("receivable"), max_digits=24, default=0, validators=[])
    gross_margin = MoneyField(_("gross margin"), max_digits=24, null=True, blank=True, validators=[])
    margin_percent = models.DecimalField(_("margin %"), max_digits=28, decimal_places=2, null=True, blank=True)
    variance_vs_estimate = MoneyField(
        _("cost variance against the estimate"), max_digits=24, null=True, blank=True, validators=[]
    )
    variance_vs_budget = MoneyField(
        _("cost variance against the budget"), max_digits=24, null=True, blank=True, validators=[]
    )
    explanation = models.TextField(_("explanation"), blank=True)
    complete = models.BooleanField(_("complete"), default=True)
    notes = models.JSONField(_("notes"), default=list, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True, editable=False)
    state = FSMField(
        _("state"), default=FinalAccountState.DRAFT, choices=FinalAccountState.choices, protected=True, db_index=True
    )

    class Meta:
        verbose_name = _("final accounts")
        verbose_name_plural = _("final accounts")
        ordering = ["-as_of", "-id"]

    def __str__(self):
        return str(_("Final accounts of %(project)s") % {"project": self.project})

    @transition(
        state,
        source=FinalAccountState.DRAFT,
        target=FinalAccountState.PREPARED,
        conditions=[explained, project_at_handover],
        permission=may("finance.prepare_finalaccount"),
        custom={"label": _("Prepare")},
    )
    def prepare(self):
        """Finance signs the figures off (they are drawn up afresh as it does): DR4 may pass."""

    @transition(
        state,
        source=FinalAccountState.PREPARED,
        target=FinalAccountState.DRAFT,
        conditions=[project_at_handover],
        permission=may("finance.prepare_finalaccount"),
        custom={"label": _("Revise"), "needs_reason": True},
    )
    def revise(self, reason: str = ""):
        """Back to draft before DR4 (a late cost, a last invoice): the figures are drawn up again."""
        self.prepared_by = None
        self.prepared_at = None


class CostImport(AuditedModel):
    """One upload of cost entries from CSV or Excel (finance): checked row by row with a report, then
    recorded all or nothing; its progress is shown while the task runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking rows")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected: invalid rows, nothing imported")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    imported_count = models.PositiveIntegerField(_("entries imported"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cost import")
        verbose_name_plural = _("cost imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename

    @property
    def done(self) -> bool:
        return self.status in (self.Status.IMPORTED, self.Status.REJECTED, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.done:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
