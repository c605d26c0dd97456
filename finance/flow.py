"""The executive's LTC flow: lead → opportunity → bid → contract → invoiced → collected over the last
FUNNEL_DAYS, with counts, values in the base currency (at each record's date; amounts without a rate
are left out and named), the conversion between stages, the median days of each stage (from the
transition log), the leakage (lost and abandoned deals with their reasons), bookings and margin by
month, the portfolio's health by CPI/SPI band and DSO. A constant number of queries."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractState
from contracts.selectors import contract_visible
from delivery.models import ProjectState
from delivery.selectors import project_visible
from leads.models import Lead, LeadState
from leads.selectors import lead_visible
from ltc_portal.core import flow
from ltc_portal.core.roles import user_roles
from opportunities.models import Opportunity, OpportunityState
from opportunities.selectors import opportunity_visible, reads_every_opportunity

from . import selectors
from .models import ISSUED_INVOICE_STATES, LIVE_INVOICE_STATES, Invoice, MonthlyAccount, ReceiptAllocation
from .selectors import rate_in, rate_series


def _day(moment: str):
    """The UTC date of a timestamp: the day whose rate applies (a rate counts from its date's midnight)."""
    return TruncDate(moment, tzinfo=datetime.UTC)


LEAKS_SHOWN = 5
ACTIVE_PROJECT_STATES = (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER)


def _in_base(qs, amount: str, currency: str, day) -> dict:
    """Σ amount × the rate of its currency on its ``day`` (an expression), and the currencies that lack
    a rate (left out of the sum). Two queries: the amounts summed in the database by currency and day
    (no rate looked up per row), then the rates of those days (selectors.rate_series); the same sum,
    to the cent, as converting row by row."""
    rows = list(qs.order_by().values(cur=F(currency), day=day).annotate(total=Sum(amount), n=Count("pk")))
    series = rate_series({r["cur"] for r in rows}, max((r["day"] for r in rows), default=timezone.localdate()))
    total, n, missing = Decimal(0), 0, set()
    for row in rows:
        n += row["n"]
        rate = rate_in(series, row["cur"], row["day"])
        if rate is None:
            missing.add(row["cur"])
        else:
            total += row["total"] * rate
    return {"count": n, "value": total.quantize(Decimal("0.01")), "missing": sorted(missing)}


def _percent(part, whole) -> int | None:
    return round(part * 100 / whole) if whole else None


def flow_context(request) -> dict | None:
    """The panel's figures from this reader's snapshot (computed at most every FLOW_SNAPSHOT_SECONDS,
    the panel's own refresh interval; ``?refresh=1`` computes them now), with the moment they were
    taken. A year of the whole company's records is summed over several tables: an executive reads
    it as of a moment, the way dashboards are read, not at every panel refresh. The snapshot is the
    reader's own (their visibility, roles and language are in its key), so nobody sees another's."""
    user = request.user
    roles = ",".join(sorted(user_roles(user)))
    key = ":".join(("ltc-flow", str(user.pk), roles, str(user.is_superuser), translation.get_language()))
    keep = settings.FLOW_SNAPSHOT_SECONDS
    snapshot = cache.get(key) if keep > 0 and request.GET.get("refresh") != "1" else None
    if snapshot is None:
        snapshot = {"as_of": timezone.now(), "figures": _figures(user)}
        if keep > 0:
            cache.set(key, snapshot, keep)
    if snapshot["figures"] is None:
        return None
    return {**snapshot["figures"], "flow_as_of": snapshot["as_of"]}


def _figures(user) -> dict | None:
    now = timezone.now()
    since = now - datetime.timedelta(days=settings.FUNNEL_DAYS)
    since_day = since.date()
    opportunities = opportunity_visible(user)

    leads = (
        lead_visible(user)
        .filter(created_at__gte=since)
        .aggregate(n=Count("pk"), converted=Count("pk", filter=Q(state=LeadState.CONVERTED)))
    )
    opened = _in_base(opportunities.filter(created_at__gte=since), "expected_value", "currency", _day("created_at"))
    reached = flow.reached(Opportunity, opportunities, since)
    bids = _in_base(
        flow.cohort_that_reached(Opportunity, opportunities, since, OpportunityState.BIDDING),
        "expected_value",
        "currency",
        _day("created_at"),
    )
    contracts = contract_visible(user).filter(signed_date__gte=since_day)
    signed = _in_base(contracts, "value", "currency", F("signed_date"))
    # invoiced: every invoice issued and not voided (one written off later was invoiced all the same);
    # collected: every receipt allocation (DOMAIN.md §5.1), the cash that came in whatever became of the
    # rest of its invoice. A reader of every deal reads every invoice: no visibility join for them.
    invoices = Invoice.objects.filter(state__in=ISSUED_INVOICE_STATES)
    allocations = ReceiptAllocation.objects.filter(date__gte=since_day)
    if not reads_every_opportunity(user):
        invoices = invoices.filter(contract__in=contract_visible(user))
        allocations = allocations.filter(invoice__contract__in=contract_visible(user))
    invoiced = _in_base(invoices.filter(issue_date__gte=since_day), "total", "currency", F("issue_date"))
    collected = _in_base(allocations, "amount", "receipt__currency", F("date"))  # the invoice's, as allocated
    if not (leads["n"] or opened["count"] or signed["count"] or invoiced["count"]):
        return None

    opp_days = flow.median_days_in_state(Opportunity, opportunities, since)
    lead_days = flow.median_days_in_state(Lead, lead_visible(user), since)
    invoice_days = flow.median_days_in_state(Invoice, invoices.filter(state__in=LIVE_INVOICE_STATES), since)
    contract_days = flow.median_days_in_state(Contract, contract_visible(user), since)

    def days(medians, *states):
        values = [medians[s][1] for s in states if s in medians]
        return round(sum(values), 1) if values else None

    stages = [
        {"key": "lead", "label": _("Leads"), "count": leads["n"], "value": None, "days": days(lead_days, *LEAD_OPEN)},
        {
            "key": "opportunity",
            "label": _("Opportunities"),
            "count": opened["count"],
            "value": opened["value"],
            "days": days(opp_days, OpportunityState.VALIDATING, OpportunityState.ANALYSIS),
        },
        {
            "key": "bid",
            "label": _("Bids"),
            "count": reached.get(OpportunityState.BIDDING, 0),
            "value": bids["value"],
            "days": days(opp_days, OpportunityState.BIDDING, OpportunityState.CONTRACTING),
        },
        {
            "key": "contract",
            "label": _("Contracts"),
            "count": signed["count"],
            "value": signed["value"],
            "days": days(contract_days, ContractState.DRAFT),  # drafted to signed
        },
        {
            "key": "invoiced",
            "label": _("Invoiced"),
            "count": invoiced["count"],
            "value": invoiced["value"],
            "days": days(invoice_days, "draft"),  # drafted to issued
        },
        {
            "key": "collected",
            "label": _("Collected"),
            "count": collected["count"],
            "value": collected["value"],
            "days": days(invoice_days, "issued", "partially_paid"),
        },
    ]
    conversions = [
        _percent(leads["converted"], leads["n"]),
        _percent(reached.get(OpportunityState.BIDDING, 0), opened["count"]),
        _percent(reached.get(OpportunityState.WON, 0), reached.get(OpportunityState.BIDDING, 0)),
        _percent(invoiced["value"], signed["value"]),
        _percent(collected["value"], invoiced["value"]),
    ]
    for stage, conversion in zip(stages[1:], conversions, strict=True):
        stage["conversion"] = conversion
    stages[0]["conversion"] = None

    # the reasons of the same deals the lost and abandoned counts are of: those opened in the window
    leaks = list(
        opportunities.filter(state__in=[OpportunityState.LOST, OpportunityState.ABANDONED], created_at__gte=since)
        .order_by()
        .values("state", "loss_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "loss_reason")[:LEAKS_SHOWN]
    )
    for leak in leaks:
        leak["state_label"] = str(OpportunityState(leak["state"]).label)
    missing = sorted(
        set(opened["missing"] + bids["missing"] + signed["missing"] + invoiced["missing"] + collected["missing"])
    )
    return {
        "flow_days": settings.FUNNEL_DAYS,
        "flow_currency": settings.BASE_CURRENCY,
        "flow_stages": stages,
        "flow_lost": reached.get(OpportunityState.LOST, 0),
        "flow_abandoned": reached.get(OpportunityState.ABANDONED, 0),
        "flow_leaks": leaks,
        "flow_missing_rates": missing,
        "bookings_chart": _bookings_chart(contracts),
        "health": _portfolio_health(user),
        "dso": selectors.receivables_summary(user, timezone.localdate())["dso_days"],
    }


LEAD_OPEN = (LeadState.NEW, LeadState.CONTACTED, LeadState.NURTURING, LeadState.QUALIFIED)


def _bookings_chart(contracts) -> dict:
    """Contracts signed per month: value and gross margin (of the accepted quote), in base currency at
    the rate of each signing day (summed by day and currency in the database; a contract whose currency
    has no rate that day is left out)."""
    rows = list(
        contracts.order_by()
        .values("signed_date", cur=F("currency"))
        .annotate(booked=Sum("value"), margin=Sum(F("quote__revenue") - F("quote__cost")))
    )
    series = rate_series({r["cur"] for r in rows}, max((r["signed_date"] for r in rows), default=timezone.localdate()))
    months: dict[str, list[Decimal]] = {}
    for r in rows:
        rate = rate_in(series, r["cur"], r["signed_date"])
        if rate is None:
            continue
        month = months.setdefault(r["signed_date"].strftime("%Y-%m"), [Decimal(0), Decimal(0)])
        month[0] += (r["booked"] or 0) * rate
        month[1] += (r["margin"] or 0) * rate
    labels = sorted(months)
    booked = [float(months[m][0]) for m in labels]
    margin = [float(months[m][1]) for m in labels]
    cur = settings.BASE_CURRENCY
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": str(_("Bookings (%(cur)s)") % {"cur": cur}), "data": booked},
                {"label": str(_("Gross margin (%(cur)s)") % {"cur": cur}), "data": margin, "type": "line"},
            ],
        },
        "options": {
            "responsive": True,
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": cur}}},
        },
    }


def _portfolio_health(user) -> list[dict]:
    """Active projects by the band of their last monthly account's CPI and SPI (worst of the two)."""
    last = MonthlyAccount.objects.filter(project=OuterRef("pk")).order_by("-period__period", "-id")
    rows = (
        project_visible(user)
        .filter(state__in=ACTIVE_PROJECT_STATES)
        .annotate(cpi=Subquery(last.values("cpi")[:1]), spi=Subquery(last.values("spi")[:1]))
        .values_list("cpi", "spi")
    )
    bands = {"success": 0, "warning": 0, "danger": 0, "light": 0}
    for cpi, spi in rows:
        values = [v for v in (cpi, spi) if v is not None]
        if not values:
            bands["light"] += 1
        elif min(values) >= 1:
            bands["success"] += 1
        elif min(values) >= Decimal("0.9"):
            bands["warning"] += 1
        else:
            bands["danger"] += 1
    labels = {
        "success": _("On track"),
        "warning": _("Watch (CPI or SPI 0.9–1)"),
        "danger": _("At risk (below 0.9)"),
        "light": _("Not yet accounted"),
    }
    return [{"tone": k, "label": labels[k], "count": n} for k, n in bands.items()]
