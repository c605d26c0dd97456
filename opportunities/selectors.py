"""Reads of opportunities and quotes: lists, the pipeline board and the weighted forecast."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet

from ltc_portal.core.roles import Role, user_roles

from .models import OPEN_OPPORTUNITY_STATES, Opportunity, OpportunityState, Quote
from .rules import OPPORTUNITY_READERS


def opportunity_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Opportunity.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    roles = user_roles(user)
    if user.is_superuser or (roles & OPPORTUNITY_READERS):
        return qs
    if Role.SALES in roles:
        return qs.filter(Q(owner=user) | Q(solution_owner=user))
    return qs.none()


def opportunity_list(user) -> QuerySet:
    return opportunity_visible(user).select_related("customer", "owner", "solution_owner", "lead", "project")


def quote_visible(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Quote.objects.all() if qs is None else qs
    return qs.filter(opportunity__in=opportunity_visible(user))


def quote_list(user) -> QuerySet:
    return quote_visible(user).select_related("opportunity").prefetch_related("lines", "estimate_lines")


def pipeline_by_stage(user) -> list[dict]:
    """Open opportunities by stage: count, total and weighted value per currency, and the rows."""
    stages = {s: {"state": s, "label": str(OpportunityState(s).label), "count": 0, "opportunities": [],
                  "totals": defaultdict(Decimal), "weighted": defaultdict(Decimal)} for s in OPEN_OPPORTUNITY_STATES}
    for opp in opportunity_list(user).filter(state__in=OPEN_OPPORTUNITY_STATES).order_by("expected_close_date", "pk"):
        stage = stages[opp.state]
        stage["count"] += 1
        stage["opportunities"].append(opp)
        stage["totals"][opp.currency] += opp.expected_value
        stage["weighted"][opp.currency] += opp.weighted_value
    for stage in stages.values():
        stage["totals"] = dict(stage["totals"])
        stage["weighted"] = dict(stage["weighted"])
    return list(stages.values())


def weighted_forecast(user, qs: QuerySet | None = None) -> list[dict]:
    """Weighted value (expected value × probability) by month of expected close and currency, for the
    open opportunities the user sees. Opportunities without a close date fall under month null."""
    qs = opportunity_visible(user, qs).filter(state__in=OPEN_OPPORTUNITY_STATES)
    buckets: dict[tuple, dict] = {}
    for opp in qs.select_related(None).prefetch_related(None).only("expected_value", "probability", "currency", "state",
                                                                   "expected_close_date"):
        month = opp.expected_close_date.strftime("%Y-%m") if opp.expected_close_date else None
        b = buckets.setdefault((month or "9999", opp.currency), {
            "month": month, "currency": opp.currency, "count": 0, "expected_value": Decimal("0"),
            "weighted_value": Decimal("0")})
        b["count"] += 1
        b["expected_value"] += opp.expected_value
        b["weighted_value"] += opp.weighted_value
    return [buckets[k] for k in sorted(buckets)]
