"""Builders that take an opportunity through the sales side the way people do it, through the
services (so every gate, check and log entry is real)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from contracts import services as contract_services
from delivery import services as delivery_services
from finance import services as finance_services
from ltc_portal.controls import services as gates
from opportunities import services
from opportunities.models import Opportunity
from tests.factories import UserFactory
from tests.leads.factories import CustomerFactory


class OpportunityFactory(factory.django.DjangoModelFactory):
    """An opportunity in ``validating`` ready for ATI (customer, need, budget, timeline, value)."""

    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.SubFactory(UserFactory, roles=["sales"])
    name = factory.Sequence(lambda n: f"Campus network {n}")
    need_summary = "Core and access network refresh for 12 buildings"
    customer_budget = Decimal("1200000.00")
    expected_value = Decimal("1000000.00")
    currency = "CNY"
    probability = 40
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))


def quote_data(
    *, revenue=Decimal("1000000"), cost=Decimal("600000"), payment_terms="30% on signing, 70% on acceptance"
):
    return {
        "payment_terms": payment_terms,
        "lines": [
            {
                "description": "Switches and installation",
                "category": "equipment",
                "quantity": Decimal("1"),
                "unit_price": revenue,
                "discount_percent": Decimal("0"),
                "unit_cost": cost,
            }
        ],
        "estimate_lines": [
            {"category": "equipment", "amount": cost * Decimal("0.8")},
            {"category": "labour", "amount": cost * Decimal("0.2")},
        ],
    }


class Cast:
    """The people of one deal: owner, director, finance, executive, solution, PM, PMO."""

    def __init__(self, make_user, prefix="x", owner=None):
        self.owner = owner or make_user(f"{prefix}-owner", roles=["sales"])
        self.director = make_user(f"{prefix}-director", roles=["sales_director"])
        self.finance = make_user(f"{prefix}-finance", roles=["finance"])
        self.executive = make_user(f"{prefix}-exec", roles=["executive"])
        self.solution = make_user(f"{prefix}-solution", roles=["solution"])
        self.pm = make_user(f"{prefix}-pm", roles=["delivery"])
        self.pmo = make_user(f"{prefix}-pmo", roles=["pmo"])


def approve(review, *users):
    for u in users:
        review = gates.gate_decide(review=review, user=u, decision="approve")
    return review


def pass_ati(opp, cast):
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner, comment="Worth it")
    approve(review, cast.director)
    opp.refresh_from_db()
    delivery_services.project_update(project=opp.project, user=cast.pmo, data={"pm": cast.pm})
    return Opportunity.objects.get(pk=opp.pk)


def pass_presales_bid_reviews(opp, cast, *, revenue=Decimal("1000000"), cost=Decimal("600000")):
    project = opp.project
    services.quote_create(opportunity=opp, user=cast.owner, data=quote_data(revenue=revenue, cost=cost))
    delivery_services.project_update(
        project=project,
        user=cast.pm,
        data={
            "technical_solution": "Spine-leaf fabric",
            "delivery_approach": "Phased cut-over",
            "key_risks": "Downtime",
        },
    )
    approve(gates.gate_request(code="DTRB", subject=project, user=cast.pm), cast.solution)
    approve(gates.gate_request(code="DRA", subject=project, user=cast.pm), cast.pmo)
    return opp


def pass_atb(opp, cast, **kw):
    pass_presales_bid_reviews(opp, cast, **kw)
    quote = opp.quotes.order_by("-version").first()
    services.quote_transition(quote=quote, name="submit", user=cast.owner)
    review = gates.gate_request(code="ATB", subject=opp, user=cast.owner)
    deciders = [cast.director, cast.finance] + ([cast.executive] if "executive" in review.required_roles else [])
    approve(review, *deciders)
    opp.refresh_from_db()
    return opp


def pass_atc(opp, cast):
    project = opp.project
    quote = opp.quotes.order_by("-version").first()
    services.quote_transition(quote=quote, name="accept", user=cast.owner)
    delivery_services.project_update(
        project=project, user=cast.pm, data={"final_scope": "12 buildings", "delivery_plan": "Q1 build, Q2 cut-over"}
    )
    finance_services.budget_create(
        project=project,
        user=cast.pm,
        data={
            "lines": [
                {"category": "equipment", "amount": Decimal("480000")},
                {"category": "labour", "amount": Decimal("120000")},
            ]
        },
    )
    approve(gates.gate_request(code="DTRC", subject=project, user=cast.pm), cast.solution)
    approve(gates.gate_request(code="DRB", subject=project, user=cast.pm), cast.pmo)
    review = gates.gate_request(code="ATC", subject=opp, user=cast.owner)
    deciders = [cast.director, cast.finance] + ([cast.executive] if "executive" in review.required_roles else [])
    approve(review, *deciders)
    opp.refresh_from_db()
    return opp


def draft_contract(opp, cast, number="C-2026-001"):
    quote = opp.quotes.get(state="accepted")
    half = (quote.revenue / 2).quantize(Decimal("0.01"))
    return contract_services.contract_create(
        opportunity=opp,
        user=cast.owner,
        data={
            "number": number,
            "signed_date": timezone.localdate(),
            "payment_milestones": [
                {"name": "Advance", "amount": half, "trigger": "on_signing"},
                {"name": "Final acceptance", "amount": quote.revenue - half, "trigger": "on_acceptance"},
            ],
        },
    )


HANDOVER = {
    "attendees": "PM, AR, customer CIO",
    "key_terms": "LD 0.5%/week",
    "risks": "Cut-over window",
    "open_questions": "Spare parts depot",
}


def project_in_plan_with_contract(cast, number="C-2026-001"):
    """A won deal: its project in plan with the contract signed and handed over, a budget v1 draft."""
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    contract = draft_contract(opp, cast, number=number)
    contract = contract_services.contract_transition(contract=contract, name="sign", user=cast.owner)
    contract_services.contract_transition(
        contract=contract, name="hand_over", user=cast.owner, date=timezone.localdate(), **HANDOVER
    )
    return Opportunity.objects.get(pk=opp.pk).project
