"""Reads of opportunities and quotes: lists, the pipeline board and the weighted forecast."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.utils.translation import gettext_lazy as _

from leads.models import Customer
from ltc_portal.core import panels
from ltc_portal.core.money import money_text, quantize
from ltc_portal.core.roles import Role, user_display, user_roles

from .models import OPEN_OPPORTUNITY_STATES, Opportunity, OpportunityState, Quote, QuoteState
from .rules import OPPORTUNITY_READERS


def reads_every_opportunity(user) -> bool:
    """Whether the user reads every opportunity (and so everything that hangs off one)."""
    return user.is_authenticated and (user.is_superuser or bool(user_roles(user) & OPPORTUNITY_READERS))


def opportunity_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Opportunity.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    roles = user_roles(user)
    if reads_every_opportunity(user):
        return qs
    if Role.SALES in roles:
        return qs.filter(Q(owner=user) | Q(solution_owner=user))
    return qs.none()


def opportunity_list(user) -> QuerySet:
    return opportunity_visible(user).select_related("customer", "owner", "solution_owner", "lead", "project")


def quote_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Quote.objects.all() if qs is None else qs
    return qs if reads_every_opportunity(user) else qs.filter(opportunity__in=opportunity_visible(user))


def quote_list(user) -> QuerySet:
    return quote_visible(user).select_related("opportunity").prefetch_related("lines", "estimate_lines")


def latest_quote(opportunity: Opportunity) -> Quote | None:
    """The opportunity's current version (the latest not superseded)."""
    return opportunity.quotes.exclude(state=QuoteState.SUPERSEDED).order_by("-version").first()


def accepted_quote(opportunity: Opportunity) -> Quote | None:
    """The version the customer accepted: the final quote for ATC and the contract."""
    return opportunity.quotes.filter(state=QuoteState.ACCEPTED).order_by("-version").first()


PIPELINE_CARDS = 25


def pipeline_by_stage(user, cards: int = PIPELINE_CARDS, where: Q | None = None) -> list[dict]:
    """Open opportunities by stage: count, total and weighted value per currency (aggregated in the
    database), and the first ``cards`` opportunities by expected close date. One aggregate query and
    one query per stage, whatever the number of opportunities. ``where`` narrows them (the page's
    filters: owner, customer, close month)."""
    where = where or Q()
    visible = opportunity_visible(user).filter(where, state__in=OPEN_OPPORTUNITY_STATES)
    stages = {
        s: {
            "state": s,
            "label": str(OpportunityState(s).label),
            "count": 0,
            "opportunities": [],
            "totals": {},
            "weighted": {},
        }
        for s in OPEN_OPPORTUNITY_STATES
    }
    sums = (
        visible.order_by()
        .values("state", "currency")
        .annotate(
            n=Count("id"),
            total=Sum("expected_value"),
            weighted=Sum(
                F("expected_value") * F("probability") / Value(Decimal(100)),
                output_field=DecimalField(max_digits=20, decimal_places=2),
            ),
        )
    )
    for row in sums:
        stage = stages[row["state"]]
        stage["count"] += row["n"]
        stage["totals"][row["currency"]] = quantize(row["total"])
        stage["weighted"][row["currency"]] = quantize(row["weighted"])
    for state, stage in stages.items():
        if stage["count"]:
            stage["opportunities"] = list(
                opportunity_list(user).filter(where, state=state).order_by("expected_close_date", "pk")[:cards]
            )
        stage["more"] = max(0, stage["count"] - len(stage["opportunities"]))
    return list(stages.values())


def weighted_forecast(user, qs: QuerySet | None = None) -> list[dict]:
    """Weighted value (expected value × probability) by month of expected close and currency, for the
    open opportunities the user sees. Opportunities without a close date fall under month null."""
    qs = opportunity_visible(user, qs).filter(state__in=OPEN_OPPORTUNITY_STATES)
    buckets: dict[tuple, dict] = {}
    for opp in (
        qs.select_related(None)
        .prefetch_related(None)
        .only("expected_value", "probability", "currency", "state", "expected_close_date")
    ):
        month = opp.expected_close_date.strftime("%Y-%m") if opp.expected_close_date else None
        b = buckets.setdefault(
            (month or "9999", opp.currency),
            {
                "month": month,
                "currency": opp.currency,
                "count": 0,
                "expected_value": Decimal("0"),
                "weighted_value": Decimal("0"),
            },
        )
        b["count"] += 1
        b["expected_value"] += opp.expected_value
        b["weighted_value"] += opp.weighted_value
    return [buckets[k] for k in sorted(buckets)]


def pipeline_choices(user) -> tuple[QuerySet, QuerySet]:
    """Who owns and which customers have open opportunities the user sees: the pipeline's filters."""
    open_visible = opportunity_visible(user).filter(state__in=OPEN_OPPORTUNITY_STATES).order_by()
    owners = (
        get_user_model()
        .objects.filter(pk__in=open_visible.values("owner"))
        .order_by("first_name", "last_name", "username")
    )
    customers = Customer.objects.filter(pk__in=open_visible.values("customer")).order_by("name")
    return owners, customers


def customer_opportunities_panel(customer, user) -> dict | None:
    """The customer's page: their opportunities the user reads, newest first (one query)."""
    theirs = opportunity_visible(user).filter(customer=customer)
    rows = list(theirs.select_related("owner").order_by("-created_at", "-id")[: panels.RECORD_ROWS + 1])
    return panels.record_panel(
        total=theirs.count,
        id="customer-opportunities",
        title=_("Opportunities"),
        columns=[(_("Opportunity"), False), (_("State"), False), (_("Expected value"), True), (_("Owner"), False)],
        rows=rows,
        row=lambda o: (
            o.get_absolute_url(),
            [
                panels.cell(o.name),
                panels.cell(o.get_state_display(), badge=o.state),
                panels.cell(money_text(o.expected_value, o.currency), end=True),
                panels.cell(user_display(o.owner)),
            ],
        ),
    )
