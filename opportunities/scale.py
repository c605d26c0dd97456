"""Scale data of opportunities (ltc_portal/core/scale.py): one per converted scale lead, in the state
its delivery project implies (``opportunity_state``): those without a project are validating or were
abandoned before ATI; the others are in analysis, bidding, contracting, won or lost, each with quote v1
(priced lines and the estimate 概算 lines its cost comes from; the ATB quote from bidding on). Bulk
inserts, no transition-log rows or gate reviews."""

import datetime
from decimal import Decimal

from leads.models import Lead, LeadState
from ltc_portal.core.scale import (
    PREFIX,
    Scale,
    between,
    index_of,
    name,
    opportunity_has_project,
    opportunity_state,
    project_plan,
    seeder,
    split,
    unit,
)

from .models import (
    CostCategory,
    EstimateLine,
    LineCategory,
    Opportunity,
    OpportunityState,
    Quote,
    QuoteLine,
    QuoteState,
)

PROBABILITY = {
    OpportunityState.VALIDATING: 10,
    OpportunityState.ANALYSIS: 30,
    OpportunityState.BIDDING: 50,
    OpportunityState.CONTRACTING: 80,
    OpportunityState.WON: 100,
    OpportunityState.LOST: 0,
    OpportunityState.ABANDONED: 0,
}
QUOTE_STATE = {
    OpportunityState.ANALYSIS: QuoteState.DRAFT,
    OpportunityState.BIDDING: QuoteState.SUBMITTED,
    OpportunityState.CONTRACTING: QuoteState.ACCEPTED,
    OpportunityState.WON: QuoteState.ACCEPTED,
    OpportunityState.LOST: QuoteState.REJECTED,
}
#: priced lines (category, description, share of the revenue %)
QUOTE_LINES = [
    (LineCategory.EQUIPMENT, "服务器、存储与网络设备 / Servers, storage and network", 45),
    (LineCategory.SOFTWARE, "平台软件许可 / Platform licences", 15),
    (LineCategory.SERVICE, "实施与集成服务 / Implementation and integration", 40),
]
#: the estimate (category, share of the cost %)
ESTIMATE = [
    (CostCategory.LABOUR, 35),
    (CostCategory.EQUIPMENT, 30),
    (CostCategory.SUBCONTRACT, 20),
    (CostCategory.TRAVEL, 5),
    (CostCategory.RISK_RESERVE, 10),
]
COMPETITORS = ["华为 / Huawei", "浪潮 / Inspur", "Accenture", "中软国际 / ChinaSoft", "IBM"]


def expected_value(i: int, currency: str) -> Decimal:
    if currency == "USD":
        return Decimal(between(10, 300, i, "value")) * 10000
    return Decimal(between(50, 2000, i, "value")) * 10000


def currency_of(i: int) -> str:
    return "USD" if unit(i, "currency") < 0.2 else "CNY"


@seeder(order=20)
def seed_opportunities(scale: Scale) -> dict:
    today = scale.today
    converted = list(
        Lead.objects.filter(company_name__startswith=PREFIX, state=LeadState.CONVERTED)
        .order_by("pk")
        .values("pk", "customer_id", "owner_id", "need", "company_name")
    )
    have = set(Opportunity.objects.filter(name__startswith=PREFIX).values_list("lead_id", flat=True))
    new = []
    for i, lead in enumerate(converted[: scale.counts["opportunities"]]):
        if lead["pk"] in have:
            continue
        state = opportunity_state(i)
        currency = currency_of(i)
        value = expected_value(i, currency)
        if opportunity_has_project(i):
            plan = project_plan(i // 4, today)
            close = plan.signed or today + datetime.timedelta(days=between(20, 120, i, "close"))
        else:
            close = today + datetime.timedelta(days=between(30, 240, i, "close"))
        company = lead["company_name"][len(PREFIX) :].split(" ", 1)[-1]
        new.append(
            Opportunity(
                customer_id=lead["customer_id"],
                lead_id=lead["pk"],
                owner_id=lead["owner_id"],
                solution_owner_id=scale.person("solution", i, "sr") if opportunity_has_project(i) else None,
                name=name(i, f"{lead['need']} — {company}"),
                need_summary=lead["need"],
                customer_budget=value + value // 10,
                expected_value=value,
                currency=currency,
                probability=PROBABILITY[state],
                expected_close_date=close,
                competitors=COMPETITORS[i % len(COMPETITORS)],
                loss_reason={
                    OpportunityState.LOST: "Price 8% above the winning bid",
                    OpportunityState.ABANDONED: "Customer postponed the project",
                }.get(state, ""),
                state=state,
            )
        )
    Opportunity.objects.bulk_create(new, batch_size=scale.batch_size)
    quotes, lines, estimates = _quotes(scale, [o for o in new if o.state in QUOTE_STATE])
    return {"opportunities": len(new), "quotes": quotes, "quote lines": lines, "estimate lines": estimates}


def _quotes(scale: Scale, opportunities: list[Opportunity]) -> tuple[int, int, int]:
    quotes = []
    for opp in opportunities:
        margin = between(18, 35, index_of(opp.name), "margin")
        quotes.append(
            Quote(
                opportunity=opp,
                version=1,
                currency=opp.currency,
                payment_terms="20% on signing, progress instalments, 20% on final acceptance",
                valid_until=scale.today + datetime.timedelta(days=90),
                frozen=opp.state != OpportunityState.ANALYSIS,
                revenue=opp.expected_value,
                cost=split(opp.expected_value, [100 - margin, margin])[0],
                state=QUOTE_STATE[opp.state],
            )
        )
    Quote.objects.bulk_create(quotes, batch_size=scale.batch_size)
    priced, estimated = [], []
    for quote in quotes:
        revenue = split(quote.revenue, [share for _c, _d, share in QUOTE_LINES])
        cost = split(quote.cost, [share for _c, _d, share in QUOTE_LINES])
        for position, ((category, text, _share), amount, line_cost) in enumerate(
            zip(QUOTE_LINES, revenue, cost, strict=True)
        ):
            priced.append(
                QuoteLine(
                    quote=quote,
                    position=position,
                    description=text,
                    category=category,
                    quantity=Decimal(1),
                    unit_price=amount,
                    unit_cost=line_cost,
                )
            )
        for (category, _share), amount in zip(
            ESTIMATE, split(quote.cost, [share for _c, share in ESTIMATE]), strict=True
        ):
            estimated.append(EstimateLine(quote=quote, category=category, amount=amount))
    QuoteLine.objects.bulk_create(priced, batch_size=scale.batch_size)
    EstimateLine.objects.bulk_create(estimated, batch_size=scale.batch_size)
    at_atb = []
    for quote in quotes:
        if quote.opportunity.state != OpportunityState.ANALYSIS:
            quote.opportunity.bid_quote = quote
            at_atb.append(quote.opportunity)
    Opportunity.objects.bulk_update(at_atb, ["bid_quote"], batch_size=scale.batch_size)
    return len(quotes), len(priced), len(estimated)
