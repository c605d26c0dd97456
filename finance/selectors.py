"""Reads of finance: budgets (the current one, against the estimate 概算, the project-page panels), periods,
cost entries and their base amounts, monthly accounts, invoices, receipts, receivables and ageing."""

import bisect
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DateField,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from contracts.models import ContractState, PaymentMilestone
from contracts.selectors import contract_visible
from delivery.models import Milestone, Project, ProjectState
from delivery.rules import project_writable
from delivery.selectors import project_visible
from ltc_portal.core import panels
from ltc_portal.core.db.functions import AddDays
from ltc_portal.core.fsm import describe_transitions
from ltc_portal.core.money import fit, money_text, quantize
from opportunities.models import OPEN_OPPORTUNITY_STATES, CostCategory
from opportunities.selectors import opportunity_visible, pipeline_by_stage

from .models import (
    CHANGED_THROUGH_DR2,
    AccountingPeriod,
    AccountingRun,
    Budget,
    BudgetState,
    CostEntry,
    CostEntryState,
    CostImport,
    ExchangeRate,
    FinalAccount,
    FinalAccountState,
    Invoice,
    InvoiceState,
    MonthlyAccount,
    PeriodState,
    Receipt,
    ReceiptAllocation,
    budget_approved,
)
from .rules import is_finance_user

PERCENT = Decimal("0.01")
RATE = DecimalField(max_digits=18, decimal_places=8)
MONEY = DecimalField(max_digits=24, decimal_places=2)


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


def budget_editable(budget, user) -> bool:
    """Whether ``user`` may change this version now (budget_update's rules): a draft of a project they
    may write, no version approved yet."""
    return (
        budget.state == BudgetState.DRAFT
        and not budget_approved(budget.project)
        and project_writable.allows(budget.project, user)
    )


def budgets_panel(project: Project, user) -> dict:
    """The project page's list of budget versions, with what the user may do."""
    budgets = list(project.budgets.order_by("-version"))
    writable = project_writable.allows(project, user)
    approved = any(b.state == BudgetState.APPROVED for b in budgets)
    return {
        "project": project,
        "budgets": budgets,
        "can_edit": writable and not approved,  # a draft left from before DR1 is not changed (budget_update)
        "can_add": writable and not approved and not any(b.state == BudgetState.DRAFT for b in budgets),
        # after DR1, what happens next to the budget: a DR2 change makes the next version
        "changed_through_dr2": CHANGED_THROUGH_DR2 if approved else "",
        "draft_state": BudgetState.DRAFT,
    }


# Periods -------------------------------------------------------------------------------------------


def period_of(day: datetime.date) -> str:
    """The accounting period ``YYYY-MM`` a date falls in."""
    return day.strftime("%Y-%m")


def in_closed_period(day: datetime.date) -> bool:
    """Whether ``day`` falls in a closed period."""
    return AccountingPeriod.objects.filter(period=period_of(day), state=PeriodState.CLOSED).exists()


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


def account_entries(account: MonthlyAccount) -> dict:
    """A monthly account's drill-down: the approved entries that make its actual cost (the project's,
    dated up to the period's end), each with its base amount, and the totals by category — to the
    period's end and in the period. Two queries (and the page of entries)."""
    year, month = map(int, account.period.period.split("-"))
    start = datetime.date(year, month, 1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    entries = cost_entries_in_base(
        CostEntry.objects.filter(project=account.project, state=CostEntryState.APPROVED, date__lte=end).select_related(
            "entered_by", "reverses"
        )
    ).order_by("-date", "-id")
    totals = {
        row["category"]: row
        for row in entries.order_by()
        .values("category")
        .annotate(
            cumulative=Coalesce(Sum("amount_base"), Value(Decimal(0), output_field=MONEY)),
            period=Coalesce(Sum("amount_base", filter=Q(date__gte=start)), Value(Decimal(0), output_field=MONEY)),
        )
    }
    categories = [
        (label, totals.get(code, {}).get("cumulative", Decimal(0)), totals.get(code, {}).get("period", Decimal(0)))
        for code, label in CostCategory.choices
    ]
    return {"entries": entries, "categories": categories, "start": start, "end": end}


def cost_import_list(user) -> QuerySet:
    """Cost imports: finance reads them all (they are finance's uploads)."""
    return CostImport.objects.all() if is_finance_user(user) else CostImport.objects.none()


def final_account_list(user) -> QuerySet:
    """The final accounts of the projects the user reads."""
    return FinalAccount.objects.filter(project__in=project_visible(user)).select_related("project", "prepared_by")


#: the project states whose page shows the money panel (the accounting covers build to handover)
MONEY_PANEL_STATES = (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER, ProjectState.CLOSED)


def money_panel(project: Project, user) -> dict | None:
    """The project page's money panel, in base currency: AC, EV and PV by month (the last 24 monthly
    accounts, as a chart) and the current budget against the actual cost by category. Four queries."""
    if project.state not in MONEY_PANEL_STATES:
        return None
    accounts = list(
        MonthlyAccount.objects.filter(project=project)
        .select_related("period")
        .order_by("-period__period")
        .values("period__period", "cost_cumulative", "earned_value", "planned_value")[:24]
    )[::-1]

    def series(key):
        return [None if a[key] is None else float(a[key]) for a in accounts]

    chart = {
        "type": "line",
        "data": {
            "labels": [a["period__period"] for a in accounts],
            "datasets": [
                {"label": "AC", "data": series("cost_cumulative")},
                {"label": "EV", "data": series("earned_value")},
                {"label": "PV", "data": series("planned_value")},
            ],
        },
        "options": {"responsive": True, "plugins": {"legend": {"position": "bottom"}}},
    }
    budget = (
        Budget.objects.filter(project=project, state=BudgetState.APPROVED)
        .order_by("-version")
        .prefetch_related("lines")
        .first()
    )
    rate = rate_of(budget.currency, timezone.localdate()) if budget is not None else None
    planned: dict[str, Decimal] = {}
    for line in budget.lines.all() if budget is not None else []:
        planned[line.category] = planned.get(line.category, Decimal(0)) + line.amount
    actual = dict(
        cost_entries_in_base(CostEntry.objects.filter(project=project, state=CostEntryState.APPROVED))
        .order_by()
        .values("category")
        .annotate(t=Sum("amount_base"))
        .values_list("category", "t")
    )
    rows = []
    for code, label in CostCategory.choices:
        budgeted = None if code not in planned or rate is None else quantize(planned[code] * rate)
        spent = actual.get(code) or Decimal(0)
        if budgeted is None and not spent:
            continue
        rows.append(
            {
                "label": label,
                "budget": budgeted,
                "actual": spent,
                "percent": quantize(spent * 100 / budgeted) if budgeted else None,
            }
        )
    return {
        "project": project,
        "chart": chart if accounts else None,
        "chart_id": f"money-chart-{project.pk}",
        "rows": rows,
        "budget": budget,
        "no_rate": budget is not None and rate is None,
        "currency": settings.BASE_CURRENCY,
    }


def final_account_panel(project: Project, user) -> dict | None:
    """The project page's final accounts (决算) panel: shown from handover on (or once drawn up), with
    what finance may do now. Two queries."""
    final = FinalAccount.objects.filter(project=project).select_related("prepared_by", "project").first()
    if final is None and project.state != ProjectState.HANDOVER:
        return None
    finance = is_finance_user(user)
    steps = {t.name: t for t in describe_transitions(final, user)} if final is not None and finance else {}
    return {
        "project": project,
        "final": final,
        "categories": [(label, Decimal(final.cost_by_category.get(code, "0"))) for code, label in CostCategory.choices]
        if final is not None
        else [],
        "versions": [
            {**v, "state_label": BudgetState(v["state"]).label if v["state"] in BudgetState.values else v["state"]}
            for v in (final.budget_versions if final is not None else [])
        ],
        "can_draw_up": finance
        and project.state == ProjectState.HANDOVER
        and (final is None or final.state == FinalAccountState.DRAFT),
        "prepare": steps.get("prepare"),
        "revise": steps.get("revise"),
    }


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


def rate_that_day(currency_ref: str, day: datetime.date) -> Case:
    """rate_on() for one fixed ``day``: the rates of that day are read now (one query) and written into
    the expression as literals, so the database looks up no rate per row."""
    latest = ExchangeRate.objects.filter(currency=OuterRef("currency"), date__lte=day).order_by("-date")
    rates = ExchangeRate.objects.filter(date__lte=day, pk=Subquery(latest.values("pk")[:1]))
    whens = [When(**{currency_ref: settings.BASE_CURRENCY}, then=Value(Decimal(1), output_field=RATE))]
    whens += [
        When(**{currency_ref: currency}, then=Value(rate, output_field=RATE))
        for currency, rate in rates.exclude(currency=settings.BASE_CURRENCY).values_list("currency", "rate")
    ]
    return Case(*whens, default=Value(None, output_field=RATE), output_field=RATE)


def rate_series(currencies, up_to: datetime.date) -> dict[str, list[tuple[datetime.date, Decimal]]]:
    """Every rate of ``currencies`` dated on or before ``up_to``, by currency in date order (one query),
    for rate_in()."""
    series: dict[str, list] = {}
    foreign = {c for c in currencies if c != settings.BASE_CURRENCY}
    if foreign:
        for currency, day, rate in (
            ExchangeRate.objects.filter(currency__in=foreign, date__lte=up_to)
            .order_by("currency", "date")
            .values_list("currency", "date", "rate")
        ):
            series.setdefault(currency, []).append((day, rate))
    return series


def rate_in(series: dict, currency: str, day: datetime.date) -> Decimal | None:
    """The rate of ``currency`` on ``day`` from rate_series() (1 for the base currency, the latest on or
    before ``day``, None without one): rate_on()'s rule, in Python."""
    if currency == settings.BASE_CURRENCY:
        return Decimal(1)
    dated = series.get(currency, [])
    i = bisect.bisect_right(dated, (day, Decimal("Infinity"))) - 1
    return dated[i][1] if i >= 0 else None


def rate_of(currency: str, day: datetime.date) -> Decimal | None:
    """The base-currency rate of ``currency`` on ``day`` (1 for the base currency; None without one)."""
    if currency == settings.BASE_CURRENCY:
        return Decimal(1)
    return rates_on([currency], day)[currency]


def rates_on(currencies, day: datetime.date) -> dict[str, Decimal | None]:
    """The base-currency rate of each of ``currencies`` on ``day`` (1 for the base currency, the
    latest rate dated on or before, None without one — never 1.0). One query, whatever their number."""
    rates = {c: None for c in currencies}
    foreign = sorted(c for c in rates if c != settings.BASE_CURRENCY)
    latest = ExchangeRate.objects.filter(currency=OuterRef("currency"), date__lte=day).order_by("-date")
    latest = latest.values("pk")[:1]
    # the query runs even with no foreign currency (on the base one, ignored), so the count stays one
    rates.update(
        ExchangeRate.objects.filter(
            currency__in=foreign or [settings.BASE_CURRENCY], date__lte=day, pk=Subquery(latest)
        ).values_list("currency", "rate")
    )
    rates[settings.BASE_CURRENCY] = Decimal(1)
    return {c: rates[c] for c in currencies}


def pipeline_in_base(user, today: datetime.date | None = None) -> dict | None:
    """The user's open pipeline by stage in the base currency at today's rates: count, value and
    weighted value (expected value × probability) per stage, each currency's sum converted to the
    cent (half up); a currency without a rate is left out of the values and named in ``unrated``
    (its deals still count). None when there is no open deal. Two queries."""
    today = today or timezone.localdate()
    stages = pipeline_by_stage(user, cards=0)
    if not any(s["count"] for s in stages):
        return None
    rates = rates_on(sorted({c for s in stages for c in s["totals"]}), today)
    rows = []
    for s in stages:
        value = weighted = Decimal("0.00")
        for currency, total in s["totals"].items():
            rate = rates[currency]
            if rate is not None:
                value += quantize(total * rate)
                weighted += quantize(s["weighted"][currency] * rate)
        rows.append(
            {"label": s["label"], "state": s["state"], "count": s["count"], "value": value, "weighted": weighted}
        )
    return {
        "rows": rows,
        "currency": settings.BASE_CURRENCY,
        "as_of": today,
        "value": sum((r["value"] for r in rows), Decimal("0.00")),
        "weighted": sum((r["weighted"] for r in rows), Decimal("0.00")),
        "count": sum(r["count"] for r in rows),
        "unrated": sorted(c for c, r in rates.items() if r is None),
    }


def cost_entries_in_base(qs=None):
    """Entries with their base amount (``amount_base``, NULL without a rate): stored on the entry
    (finance.services.costs keeps it right as rates are recorded), so a read needs no rate lookup."""
    return CostEntry.objects.all() if qs is None else qs


AMOUNT_BASE = CostEntry._meta.get_field("amount_base")


def base_amounts(entries) -> None:
    """Set ``amount_base`` on unsaved entries: the amount in the base currency, else amount × the latest
    rate of its currency on or before its date, to the cent (half up); None without a rate. One query
    for all the entries, whatever their number."""
    foreign = [e for e in entries if e.currency != settings.BASE_CURRENCY]
    series = rate_series({e.currency for e in foreign}, max(e.date for e in foreign)) if foreign else {}
    for e in entries:
        if e.currency == settings.BASE_CURRENCY:
            e.amount_base = e.amount
            continue
        rate = rate_in(series, e.currency, e.date)
        e.amount_base = fit(e.amount * rate, AMOUNT_BASE, key="amount") if rate is not None else None


# Invoices, receipts, receivables ------------------------------------------------------------------

AGEING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
BUCKET_LABELS = {
    "current": gettext_lazy("Not yet due"),
    "1_30": gettext_lazy("1–30 days"),
    "31_60": gettext_lazy("31–60 days"),
    "61_90": gettext_lazy("61–90 days"),
    "over_90": gettext_lazy("Over 90 days"),
}


def paid_per_invoice(as_of: datetime.date | None = None) -> Coalesce:
    """What the outer query's invoice has been paid, from the ledger: the sum of its receipt
    allocations (those dated on or before ``as_of`` when given), 0 without any. The one home of that
    subquery (the allocation service keeps ``Invoice.paid_amount`` equal to it)."""
    allocations = ReceiptAllocation.objects.filter(invoice=OuterRef("pk"))
    if as_of is not None:
        allocations = allocations.filter(date__lte=as_of)
    paid = allocations.order_by().values("invoice").annotate(t=Sum("amount")).values("t")
    return Coalesce(Subquery(paid, output_field=MONEY), Value(Decimal(0), output_field=MONEY))


def invoiced_per_milestone() -> Coalesce:
    """What the outer query's payment milestone has been invoiced, from its invoices: the sum of those
    not void, 0 without any. The one home of that subquery (the invoice service keeps
    ``PaymentMilestone.invoiced_amount`` equal to it)."""
    live = Invoice.objects.filter(payment_milestone=OuterRef("pk")).exclude(state=InvoiceState.VOID)
    invoiced = live.order_by().values("payment_milestone").annotate(t=Sum("amount")).values("t")
    return Coalesce(Subquery(invoiced, output_field=MONEY), Value(Decimal(0), output_field=MONEY))


def paid_as_of(as_of: datetime.date):
    """What the outer query's invoice had been paid by ``as_of``: its stored paid amount when no
    allocation is dated after ``as_of`` (one indexed EXISTS query: today, as a rule), else the ledger's
    sum by that date (a subquery per invoice)."""
    if ReceiptAllocation.objects.filter(date__gt=as_of).exists():
        return paid_per_invoice(as_of)
    return F("paid_amount")


def with_outstanding(qs: QuerySet) -> QuerySet:
    """Invoices with ``outstanding`` (total less the stored paid amount)."""
    return qs.annotate(outstanding=F("total") - F("paid_amount"))


def invoice_list(user) -> QuerySet:
    """The invoices of the contracts the user reads (sales: their own customers'; HR none), with
    ``outstanding``."""
    return with_outstanding(
        Invoice.objects.filter(contract__in=contract_visible(user)).select_related("contract", "payment_milestone")
    )


def payable_invoices(user, customer_id: int) -> QuerySet:
    """A customer's issued invoices with something outstanding, oldest due first: what a receipt of
    theirs can pay."""
    return (
        invoice_list(user)
        .filter(
            contract__opportunity__customer_id=customer_id,
            state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
        )
        .filter(outstanding__gt=0)
        .order_by("due_date", "pk")
    )


def receipt_list(user) -> QuerySet:
    """Finance reads every receipt with all its allocations; anyone else reads the receipts allocated
    to invoices of contracts they read, and only those allocations (a customer's payment of another
    salesperson's invoice is not theirs to see)."""
    visible = ReceiptAllocation.objects.all()
    receipts = Receipt.objects.all()
    if not is_finance_user(user):
        visible = visible.filter(invoice__contract__in=contract_visible(user))
        receipts = receipts.filter(pk__in=visible.values("receipt"))
    return (
        receipts.select_related("customer")
        .prefetch_related(Prefetch("allocations", queryset=visible.order_by("date", "id")))
        .annotate(allocated=Coalesce(Sum("allocations__amount"), Value(Decimal(0), output_field=MONEY)))
        .annotate(unallocated=F("amount") - F("allocated"))
        .order_by("-date", "-id")
    )


def _receivable(user, as_of: datetime.date) -> QuerySet:
    """Invoices issued by ``as_of`` with something outstanding as of that date (allocations dated after
    it do not count): ``outstanding_then``, ``rate`` (of ``as_of``; NULL without one) and ``bucket``
    (by days overdue: ``current`` when not yet overdue, then 1–30, 31–60, 61–90 and over 90 days).
    The one home of "receivable as of a date" and of its buckets."""
    bounds = [(as_of, "current"), (_days_before(as_of, 30), "1_30")]
    bounds += [(_days_before(as_of, 60), "31_60"), (_days_before(as_of, 90), "61_90")]
    return (
        Invoice.objects.filter(contract__in=contract_visible(user), issue_date__lte=as_of)
        .exclude(state__in=[InvoiceState.DRAFT, InvoiceState.VOID, InvoiceState.WRITTEN_OFF])
        .annotate(paid_then=paid_as_of(as_of))
        .annotate(outstanding_then=F("total") - F("paid_then"), rate=rate_that_day("currency", as_of))
        .filter(outstanding_then__gt=0)
        .annotate(
            bucket=Case(
                *(When(due_date__gte=day, then=Value(bucket)) for day, bucket in bounds),
                default=Value("over_90"),
                output_field=CharField(),
            )
        )
    )


def receivable_invoices(user, as_of: datetime.date) -> QuerySet:
    """The invoices of receivables(), in its order, for a page to slice before receivable_rows()."""
    return (
        _receivable(user, as_of)
        .select_related("contract__opportunity__customer")
        .prefetch_related("contract__projects")
        .order_by("due_date", "id")
    )


def receivable_rows(invoices, as_of: datetime.date) -> list[dict]:
    """The rows of receivables() for these invoices of receivable_invoices()."""
    out = []
    for inv in invoices:
        days = (as_of - inv.due_date).days
        projects = list(inv.contract.projects.all())
        out.append(
            {
                "invoice": inv.pk,
                "number": inv.number,
                "customer": inv.contract.opportunity.customer_id,
                "customer_name": inv.contract.opportunity.customer.name,
                "project": projects[0].pk if projects else None,
                "due_date": inv.due_date,
                "days_overdue": days,
                "bucket": inv.bucket,
                "outstanding": inv.outstanding_then,
                "currency": inv.currency,
                "outstanding_base": quantize(inv.outstanding_then * inv.rate) if inv.rate is not None else None,
            }
        )
    return out


def receivables(user, as_of: datetime.date) -> list[dict]:
    """One row per invoice issued by ``as_of`` with something outstanding as of that date (allocations
    dated after it do not count): days overdue, ageing bucket, outstanding in its currency and in base
    currency (at the rate of ``as_of``; None without a rate). Two queries (the rows, their projects)."""
    return receivable_rows(receivable_invoices(user, as_of), as_of)


def _days_before(day: datetime.date, days: int) -> datetime.date:
    return day - datetime.timedelta(days=days) if day > datetime.date.min + datetime.timedelta(days=days) else day.min


def receivables_summary(user, as_of: datetime.date) -> dict:
    """Ageing buckets and DSO in base currency as of ``as_of``: DSO = receivables / Σ invoice totals
    issued in the 90 days up to ``as_of`` × 90 (None when nothing was invoiced then). Aggregated in the
    database (each invoice's base amount rounded to the cent, half up, then summed, as receivables()
    does): two queries, whatever the number of invoices."""
    buckets = {b: Decimal("0.00") for b in AGEING_BUCKETS}
    missing = set()
    sums = (
        _receivable(user, as_of)
        .order_by()
        .values("bucket", "currency")
        .annotate(base=Sum(Round(F("outstanding_then") * F("rate"), 2), output_field=MONEY))
    )
    for row in sums:
        if row["base"] is None:
            missing.add(row["currency"])
        else:
            buckets[row["bucket"]] += row["base"]
    missing = sorted(missing)
    total = sum(buckets.values(), Decimal("0.00"))
    issued = (
        Invoice.objects.filter(
            contract__in=contract_visible(user),
            issue_date__gt=as_of - datetime.timedelta(days=90),
            issue_date__lte=as_of,
        )
        .exclude(state__in=[InvoiceState.DRAFT, InvoiceState.VOID])
        .annotate(rate=rate_that_day("currency", as_of))
        .aggregate(t=Sum(F("total") * F("rate"), output_field=MONEY))["t"]
    )
    dso = (total / issued * 90).quantize(Decimal("0.1")) if issued else None
    return {
        "as_of": as_of,
        "currency": settings.BASE_CURRENCY,
        "buckets": buckets,
        "total": total,
        "dso_days": dso,
        "missing_rates": missing,
    }


# Cash forecast ------------------------------------------------------------------------------------


def _month(day: datetime.date) -> str:
    return day.strftime("%Y-%m")


def _months_from(start: datetime.date, n: int) -> list[str]:
    months, year, month = [], start.year, start.month
    for _i in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def cash_forecast(user, months: int = 12, today: datetime.date | None = None, unrated: set | None = None) -> list[dict]:
    """Expected cash for the next ``months`` months, in base currency: open invoices' outstanding by due
    date; payment milestones not yet invoiced — due ones after the contract's payment term, dated ones
    at their date plus the term, on-acceptance ones at their delivery milestone's planned end plus the
    term; and open opportunities weighted by probability at their expected close date plus 30 days.
    Anything expected before this month counts in this month. Against it, the cash collected in each
    month so far. Summed in the database by month and currency, then each month's sum of a currency
    converted (to the cent, half up): what is expected at today's rate, what was collected at the rate
    of its day. Six queries, whatever the number of rows. An amount whose currency has no rate is
    left out (never counted at 1.0); its currency goes into ``unrated`` when given, for the page to
    name (only what falls within the months shown)."""
    today = today or timezone.localdate()
    labels = _months_from(today.replace(day=1), months)
    keys = ("expected_from_invoices", "expected_from_milestones", "expected_from_pipeline", "collected")
    rows = {m: {"month": m, **{k: Decimal("0.00") for k in keys}} for m in labels}
    first, last = labels[0], labels[-1]
    # (key, month, currency) -> amount in the currency; months before this one count in this one
    expected: dict[tuple, Decimal] = {}

    def expect(key, grouped):
        for row in grouped:
            if row["month"] is None or not row["t"]:
                continue
            month = max(_month(row["month"]), first)
            if month <= last:
                at = (key, month, row["cur"])
                expected[at] = expected.get(at, Decimal(0)) + row["t"]

    open_invoices = invoice_list(user).filter(state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID])
    expect("expected_from_invoices", _by_month(open_invoices, F("due_date"), "currency", Sum("outstanding")))
    # what is left to invoice of each milestone (its stored invoiced amount: no join to the invoices)
    in_force = [ContractState.TERMINATED, ContractState.DRAFT]
    milestones = PaymentMilestone.objects.filter(
        contract__in=contract_visible(user), amount__gt=F("invoiced_amount")
    ).exclude(contract__state__in=in_force)
    left = Sum(F("amount") - F("invoiced_amount"), output_field=MONEY)
    expect("expected_from_milestones", _by_month(milestones, _expected_on(today), "contract__currency", left))
    pipeline = opportunity_visible(user).filter(state__in=OPEN_OPPORTUNITY_STATES, expected_close_date__isnull=False)
    weighted = Sum(F("expected_value") * F("probability") / Value(100), output_field=MONEY)
    close = AddDays("expected_close_date", Value(30))
    expect("expected_from_pipeline", _by_month(pipeline, close, "currency", weighted))

    rates = rates_on(sorted({currency for _k, _m, currency in expected}), today)
    for (key, month, currency), amount in expected.items():
        if rates[currency] is None:
            if unrated is not None and amount:
                unrated.add(currency)
        else:
            rows[month][key] += quantize(amount * rates[currency])

    collected = list(
        ReceiptAllocation.objects.filter(
            invoice__contract__in=contract_visible(user), date__gte=today.replace(day=1), date__lte=date_of(last)
        )
        .order_by()
        .values("date", cur=F("invoice__currency"))
        .annotate(t=Sum("amount"))
    )
    series = rate_series({c["cur"] for c in collected}, max((c["date"] for c in collected), default=today))
    by_month: dict[tuple, Decimal] = {}
    for c in collected:  # one row per day and currency: each at its day's rate, then a month's sum rounded
        rate = rate_in(series, c["cur"], c["date"])
        if rate is None:
            if unrated is not None:
                unrated.add(c["cur"])
            continue
        at = (_month(c["date"]), c["cur"])
        by_month[at] = by_month.get(at, Decimal(0)) + c["t"] * rate
    for (month, _currency), amount in by_month.items():
        rows[month]["collected"] += quantize(amount)
    return [rows[m] for m in labels]


def date_of(month: str) -> datetime.date:
    """The last day of a month ``YYYY-MM``."""
    year, mon = map(int, month.split("-"))
    return (datetime.date(year, mon, 1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def _by_month(qs: QuerySet, day, currency: str, total) -> QuerySet:
    """``qs`` summed (``total``) by the month of ``day`` and by currency: rows of month (the first of
    it), cur and t."""
    return qs.order_by().values(month=TruncMonth(day, output_field=DateField()), cur=F(currency)).annotate(t=total)


def _expected_on(today: datetime.date, prefix: str = ""):
    """The day a payment milestone's money is expected (``prefix``: the path to it from the query's
    model): due ones today plus the contract's payment term, dated ones their date plus the term,
    on-acceptance ones their delivery milestone's planned end plus the term (NULL while undated)."""
    term = F(f"{prefix}contract__payment_term_days")
    delivery_end = Milestone.objects.filter(pk=OuterRef(f"{prefix}milestone")).order_by().values("planned_end")[:1]
    return Case(
        When(**{f"{prefix}state": "due"}, then=AddDays(Value(today), term)),
        When(**{f"{prefix}trigger": "on_date"}, then=AddDays(F(f"{prefix}planned_date"), term)),
        default=AddDays(Subquery(delivery_end, output_field=DateField()), term),
        output_field=DateField(),
    )


# The finance workspace --------------------------------------------------------------------------


def payments_to_invoice(user) -> QuerySet:
    """Due payment milestones not yet invoiced in full (``invoiced``, ``left``), by contract: what finance
    invoices next."""
    return (
        PaymentMilestone.objects.filter(
            contract__in=contract_visible(user), state="due", amount__gt=F("invoiced_amount")
        )  # a partial index holds just these
        .annotate(invoiced=F("invoiced_amount"), left=F("amount") - F("invoiced_amount"))
        .select_related("contract__opportunity__customer")
        .order_by("contract__number", "position")
    )


def ageing_chart(ageing: dict) -> dict:
    """Receivables by age (``receivables_summary``) as a Chart.js spec: one axis, named after the base
    currency every bucket is counted in."""
    return {
        "type": "bar",
        "data": {
            "labels": [str(BUCKET_LABELS[b]) for b in AGEING_BUCKETS],
            "datasets": [
                {
                    "label": str(gettext("Receivables (%(cur)s)") % {"cur": ageing["currency"]}),
                    "data": [float(ageing["buckets"][b]) for b in AGEING_BUCKETS],
                }
            ],
        },
        "options": {
            "responsive": True,
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": ageing["currency"]}}},
        },
    }


def cash_forecast_chart(forecast: list[dict]) -> dict:
    """The cash forecast as a Chart.js spec: what is expected (stacked by source) against what was
    collected, all in base currency (one axis, one currency)."""
    return {
        "type": "bar",
        "data": {
            "labels": [row["month"] for row in forecast],
            "datasets": [
                {
                    "label": str(gettext("Invoices")),
                    "data": [float(r["expected_from_invoices"]) for r in forecast],
                    "stack": "e",
                },
                {
                    "label": str(gettext("Payment milestones")),
                    "data": [float(r["expected_from_milestones"]) for r in forecast],
                    "stack": "e",
                },
                {
                    "label": str(gettext("Pipeline (weighted)")),
                    "data": [float(r["expected_from_pipeline"]) for r in forecast],
                    "stack": "e",
                },
                {"label": str(gettext("Collected")), "data": [float(r["collected"]) for r in forecast], "stack": "c"},
            ],
        },
        "options": {
            "responsive": True,
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {"y": {"title": {"display": True, "text": settings.BASE_CURRENCY}}},
        },
    }


def workspace(user, period: str) -> dict:
    """What finance works on, in a constant number of queries: the recent periods with their last
    run, the accounts of ``period``, cost entries waiting for finance, payment milestones to invoice,
    draft invoices, overdue invoices, the receivables summary and the cash forecast."""
    today = timezone.localdate()
    periods = list(AccountingPeriod.objects.select_related("closed_by").order_by("-period")[:6])
    last_runs = {}
    for run in AccountingRun.objects.filter(period__in=periods).order_by("period_id", "-created_at", "-id"):
        last_runs.setdefault(run.period_id, run)
    for p in periods:
        p.last_run = last_runs.get(p.pk)
        if p.last_run is not None:
            p.last_run.period = p  # the run's period is the row at hand (no query per run)
    to_invoice = list(payments_to_invoice(user)[:50])
    unrated = set()
    invoices = invoice_list(user).select_related("contract__opportunity__customer")
    return {
        "period": period,
        "periods": periods,
        "accounts": list(monthly_account_list(user).filter(period__period=period).order_by("project__name")[:200]),
        "pending_entries": list(
            cost_entry_list(user).filter(state="pending").select_related("project", "entered_by").order_by("date")[:50]
        ),
        "to_invoice": to_invoice,
        "drafts": list(invoices.filter(state=InvoiceState.DRAFT).order_by("created_at")[:50]),
        "overdue": list(
            invoices.filter(state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID], due_date__lt=today).order_by(
                "due_date"
            )[:50]
        ),
        "receivables": receivables_summary(user, today),
        "forecast": cash_forecast(user, months=12, today=today, unrated=unrated),
        "forecast_unrated": sorted(unrated),
    }


def customer_invoices_panel(customer, user) -> dict | None:
    """The customer's page: their invoices the user reads, newest first, with what is outstanding and
    what is overdue per currency (two queries)."""
    qs = invoice_list(user).filter(contract__opportunity__customer=customer)
    rows = list(qs.exclude(state=InvoiceState.DRAFT).order_by("-issue_date", "-id")[: panels.RECORD_ROWS + 1])
    if not rows:
        return None
    today = timezone.localdate()
    open_states = [InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID]
    totals = (
        qs.filter(state__in=open_states)
        .order_by()
        .values("currency")
        .annotate(
            due=Sum("outstanding"),
            overdue=Coalesce(Sum("outstanding", filter=Q(due_date__lt=today)), Value(Decimal(0), output_field=MONEY)),
        )
        .order_by("currency")
    )
    footer = "; ".join(
        gettext("Outstanding %(due)s, of which overdue %(overdue)s")
        % {"due": money_text(t["due"], t["currency"]), "overdue": money_text(t["overdue"], t["currency"])}
        for t in totals
    )
    return panels.record_panel(
        id="customer-invoices",
        title=gettext_lazy("Invoices"),
        columns=[
            (gettext_lazy("Invoice"), False),
            (gettext_lazy("State"), False),
            (gettext_lazy("Total"), True),
            (gettext_lazy("Outstanding"), True),
            (gettext_lazy("Due"), False),
        ],
        rows=rows,
        row=lambda i: (
            reverse("contracts:contract-detail", args=[i.contract_id]),
            [
                panels.cell(i.number or "—"),
                panels.cell(i.get_state_display(), badge=i.state),
                panels.cell(money_text(i.total, i.currency), end=True),
                panels.cell(money_text(i.outstanding, i.currency), end=True),
                panels.cell(i.due_date.isoformat() if i.due_date else "—"),
            ],
        ),
        footer=footer,
        total=qs.exclude(state=InvoiceState.DRAFT).count,
    )
