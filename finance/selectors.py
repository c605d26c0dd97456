"""Reads of budgets: lists, the current budget, the budget against the estimate (概算), and the
panels finance contributes to the project page."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Round

from delivery.models import Project
from delivery.rules import project_writable
from delivery.selectors import project_visible
from ltc_portal.core.money import quantize

from .models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    BudgetState,
    CostEntry,
    ExchangeRate,
    MonthlyAccount,
    PeriodState,
)

PERCENT = Decimal("0.01")
RATE = DecimalField(max_digits=18, decimal_places=8)
MONEY = DecimalField(max_digits=20, decimal_places=2)


def budget_list(user) -> QuerySet:
    return Budget.objects.filter(project__in=project_visible(user)).select_related("project").prefetch_related("lines")


def budget_current(project: Project) -> Budget | None:
    """The project's current budget: its latest approved version."""
    return project.budgets.filter(state=BudgetState.APPROVED).order_by("-version").first()


def budget_submitted(project: Project) -> Budget | None:
    """The latest version waiting for its decision (DR1)."""
    return project.budgets.filter(state=BudgetState.SUBMITTED).order_by("-version").first()


@dataclass(frozen=True)
class BudgetVariance:
    """A budget against the estimate (概算) of the contract's quote: variance = budget − estimate;
    percent = variance / estimate × 100, to two decimals, half up (None without an estimate)."""

    budget: Budget | None
    estimate: Decimal | None
    variance: Decimal | None
    percent: Decimal | None
    currency: str


def budget_variance(project: Project, budget: Budget | None = None) -> BudgetVariance:
    """``budget`` (the current one by default) against the estimate of the project's contract quote."""
    budget = budget_current(project) if budget is None else budget
    quote = project.contract.quote if project.contract_id else None
    estimate = quote.cost if quote is not None else None
    variance = percent = None
    if budget is not None and estimate is not None:
        variance = quantize(budget.total - estimate)
        percent = quantize(variance * 100 / estimate) if estimate else None
    return BudgetVariance(budget, estimate, variance, percent, budget.currency if budget else project.currency)


def budget_panel(project: Project, user) -> dict:
    """The cockpit's "budget vs estimate" panel."""
    return {"row": budget_variance(project), "project": project}


def budgets_panel(project: Project, user) -> dict:
    """The project page's list of budget versions, with what the user may do."""
    budgets = list(project.budgets.order_by("-version"))
    writable = project_writable.allows(project, user)
    return {
        "project": project,
        "budgets": budgets,
        "can_edit": writable,
        "can_add": writable and not any(b.state == BudgetState.DRAFT for b in budgets),
        "draft_state": BudgetState.DRAFT,
    }


# Periods -------------------------------------------------------------------------------------------


def period_of(day: datetime.date) -> str:
    """The accounting period ``YYYY-MM`` a date falls in."""
    return day.strftime("%Y-%m")


def first_open_period_after(period: str) -> str:
    """The first period after ``period`` that is not closed (which may not exist yet)."""
    year, month = map(int, period.split("-"))
    closed = set(
        AccountingPeriod.objects.filter(state=PeriodState.CLOSED, period__gt=period).values_list("period", flat=True)
    )
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        candidate = f"{year:04d}-{month:02d}"
        if candidate not in closed:
            return candidate


# Cost actuals and accounts ------------------------------------------------------------------------


def cost_entry_list(user) -> QuerySet:
    """The cost entries of the projects the user reads, with ``amount_base`` (NULL without a rate)."""
    qs = CostEntry.objects.filter(project__in=project_visible(user)).select_related("project", "entered_by")
    return cost_entries_in_base(qs)


def monthly_account_list(user) -> QuerySet:
    return MonthlyAccount.objects.filter(project__in=project_visible(user)).select_related("project", "period")


def accounting_period_list(user) -> QuerySet:
    return (
        AccountingPeriod.objects.all().select_related("closed_by")
        if user.is_authenticated
        else AccountingPeriod.objects.none()
    )


def accounting_run_list(user) -> QuerySet:
    if not user.has_perm("finance.run_accounting"):
        return AccountingRun.objects.none()
    return AccountingRun.objects.select_related("period")


def exchange_rate_list(user) -> QuerySet:
    return ExchangeRate.objects.all() if user.is_authenticated else ExchangeRate.objects.none()


# Rates: the one home of "an amount in the base currency" ------------------------------------------


def rate_on(currency_ref: str, date_ref) -> Case:
    """The base-currency rate of ``currency_ref`` on ``date_ref`` (both expressions of the outer
    query): 1 for the base currency, else the latest rate dated on or before; NULL when there is none
    (never 1.0)."""
    latest = (
        ExchangeRate.objects.filter(currency=OuterRef(currency_ref), date__lte=date_ref)
        .order_by("-date")
        .values("rate")[:1]
    )
    return Case(
        When(**{currency_ref: settings.BASE_CURRENCY}, then=Value(Decimal(1), output_field=RATE)),
        default=Subquery(latest, output_field=RATE),
        output_field=RATE,
    )


def cost_entries_in_base(qs=None):
    """Approved-or-not entries annotated with ``rate`` and ``amount_base`` (NULL without a rate): the
    one home of "an entry's base amount", used by this job and by the API."""
    qs = CostEntry.objects.all() if qs is None else qs
    return qs.annotate(rate=rate_on("currency", OuterRef("date"))).annotate(
        amount_base=Round(F("amount") * F("rate"), 2, output_field=MONEY)
    )
