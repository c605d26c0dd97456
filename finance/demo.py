"""Demo deals across the sales side: opportunities at every stage with their gate reviews, quotes,
pre-sales projects, budgets and contracts. It lives in the most downstream installed app because
it drives every app upstream of it through their services. Idempotent: keyed on names."""

import datetime
from decimal import Decimal

from django.utils import timezone

from contracts import services as contracts
from delivery import services as delivery
from delivery import services as registers
from finance import accounting
from leads.models import Customer, Lead
from ltc_portal.controls import selectors as gate_reads
from ltc_portal.controls import services as gates
from ltc_portal.core.demo import seeder
from ltc_portal.core.money import quantize
from opportunities import services as opportunities
from opportunities.models import Opportunity

from . import services as finance


def q(amount):
    return quantize(amount)


def _quote(revenue, cost, terms="30% on signing, 60% on acceptance, 10% after warranty"):
    return {
        "payment_terms": terms,
        "lines": [
            {
                "description": "Hardware and licences",
                "category": "equipment",
                "quantity": Decimal("1"),
                "unit_price": q(revenue * Decimal("0.7")),
                "discount_percent": Decimal("0"),
                "unit_cost": q(cost * Decimal("0.6")),
            },
            {
                "description": "Implementation services",
                "category": "service",
                "quantity": Decimal("1"),
                "unit_price": q(revenue * Decimal("0.3")),
                "discount_percent": Decimal("0"),
                "unit_cost": q(cost * Decimal("0.4")),
            },
        ],
        "estimate_lines": [
            {"category": "equipment", "amount": q(cost * Decimal("0.55"))},
            {"category": "labour", "amount": q(cost * Decimal("0.3"))},
            {"category": "travel", "amount": q(cost * Decimal("0.05"))},
            {"category": "risk_reserve", "amount": q(cost * Decimal("0.1"))},
        ],
    }


def _approve(review, *users):
    for u in users:
        review = gates.gate_decide(review=review, user=u, decision="approve", comment="OK")
    return review


def _opportunity(u, name, customer_name, value, currency="CNY", owner="sales"):
    existing = Opportunity.objects.filter(name=name).first()
    if existing:
        return existing, False
    customer = Customer.objects.get(name=customer_name)
    opp = opportunities.opportunity_create(
        user=u[owner],
        data={
            "name": name,
            "customer": customer,
            "need_summary": name,
            "customer_budget": value * Decimal("1.1"),
            "expected_value": value,
            "currency": currency,
            "probability": 40,
            "expected_close_date": timezone.localdate() + datetime.timedelta(days=75),
        },
    )
    return opp, True


def _to_analysis(u, opp, owner="sales"):
    _approve(gates.gate_request(code="ATI", subject=opp, user=u[owner], comment="Strategic account"), u["director"])
    opp.refresh_from_db()
    delivery.project_update(project=opp.project, user=u["pmo"], data={"pm": u["pm"]})
    return Opportunity.objects.get(pk=opp.pk)


def _to_bidding(u, opp, value, cost, owner="sales"):
    project = opp.project
    quote = opportunities.quote_create(opportunity=opp, user=u[owner], data=_quote(value, cost))
    delivery.project_update(
        project=project,
        user=u["pm"],
        data={
            "technical_solution": "Cloud-native platform on the customer's private cloud, two data centres",
            "delivery_approach": "Three waves: pilot district, city roll-out, operations handover",
            "key_risks": "Integration with legacy systems; data migration window",
        },
    )
    _approve(gates.gate_request(code="DTRB", subject=project, user=u["pm"]), u["solution"])
    _approve(gates.gate_request(code="DRA", subject=project, user=u["pm"]), u["pmo"])
    opportunities.quote_transition(quote=quote, name="submit", user=u[owner])
    review = gates.gate_request(code="ATB", subject=opp, user=u[owner], comment="Bid within margin policy")
    _approve(review, u["director"], u["finance"], *([u["executive"]] if "executive" in review.required_roles else []))
    return Opportunity.objects.get(pk=opp.pk)


def _to_contracting(u, opp, owner="sales"):
    project = opp.project
    quote = opp.quotes.get(state="submitted")
    opportunities.quote_transition(quote=quote, name="accept", user=u[owner])
    delivery.project_update(
        project=project,
        user=u["pm"],
        data={
            "final_scope": "IOC platform, 3 districts, 24 months operations",
            "delivery_plan": "Build Jan–Mar, implement Apr–Sep, handover Oct",
        },
    )
    finance.budget_create(
        project=project,
        user=u["pm"],
        data={
            "lines": [
                {"category": "equipment", "amount": q(quote.cost * Decimal("0.55"))},
                {"category": "labour", "amount": q(quote.cost * Decimal("0.35"))},
                {"category": "risk_reserve", "amount": q(quote.cost * Decimal("0.10"))},
            ]
        },
    )
    _approve(gates.gate_request(code="DTRC", subject=project, user=u["pm"]), u["solution"])
    _approve(gates.gate_request(code="DRB", subject=project, user=u["pm"]), u["pmo"])
    review = gates.gate_request(code="ATC", subject=opp, user=u[owner])
    _approve(review, u["director"], u["finance"], *([u["executive"]] if "executive" in review.required_roles else []))
    return Opportunity.objects.get(pk=opp.pk)


def _contract(u, opp, number, owner="sales", sign=False, hand_over=False):
    quote = opp.quotes.get(state="accepted")
    first = q(quote.revenue * Decimal("0.3"))
    contract = contracts.contract_create(
        opportunity=opp,
        user=u[owner],
        data={
            "number": number,
            "signed_date": timezone.localdate(),
            "payment_milestones": [
                {"name": "Advance 30%", "amount": first, "trigger": "on_signing"},
                {"name": "Acceptance 70%", "amount": quote.revenue - first, "trigger": "on_acceptance"},
            ],
        },
    )
    if sign:
        contract = contracts.contract_transition(contract=contract, name="sign", user=u[owner])
    if hand_over:
        contract = contracts.contract_transition(
            contract=contract,
            name="hand_over",
            user=u[owner],
            **{
                "date": timezone.localdate(),
                "attendees": "赵敏 (PM), 李娜 (AR), customer CIO office",
                "key_terms": "Liquidated damages 0.5%/week, capped at 10%",
                "risks": "Cut-over window only on weekends",
                "open_questions": "Who provides the DR site racks",
            },
        )
    return contract


def _implement(u, project, contract):
    """DR1, the team, the baseline plan, a first acceptance, and the registers of a live project."""
    today = timezone.localdate()
    budget = project.budgets.get(version=1)
    finance.budget_transition(budget=budget, name="submit", user=u["pm"])
    _approve(
        gates.gate_request(code="DR1", subject=project, user=u["pm"], comment="交底完成，预算已提交"),
        u["finance"],
        u["pmo"],
    )
    project.refresh_from_db()
    for person, role, share in [(u["pm"], "pm", 100), (u["sales"], "ar", 20), (u["solution"], "sr", 30)]:
        delivery.team_member_add(
            project=project,
            user=u["pm"],
            # on the team since the handover six weeks ago (so last month's appraisal cycle sees them)
            data={
                "user": person,
                "role": role,
                "allocation_percent": share,
                "start_date": today - datetime.timedelta(days=45),
            },
        )
    delivery.delegation_grant(
        project=project,
        user=u["pm"],
        data={
            "grantee": u["solution"],
            "scope": "accept_milestone",
            "limit_amount": Decimal("0"),
            "valid_from": today,
            "valid_to": today + datetime.timedelta(days=180),
        },
    )
    payment = contract.payment_milestones.filter(trigger="on_acceptance").first()
    names = [
        "数据中台平台部署 / Platform deployed",
        "区级试点上线 / District pilot live",
        "全市推广验收 / City-wide acceptance",
    ]
    milestones = []
    for i, name in enumerate(names):
        start = today + datetime.timedelta(days=30 * i - 30)
        data = {"name": name, "planned_start": start, "planned_end": start + datetime.timedelta(days=28)}
        if i == len(names) - 1 and payment is not None:
            data["payment_milestone"] = payment  # the city-wide acceptance makes the 70% due
        milestones.append(delivery.milestone_create(project=project, user=u["pm"], data=data))
    project = delivery.project_transition(project=project, name="start_implementation", user=u["pm"])
    delivery.milestone_accept(
        milestone=milestones[0],
        user=u["pm"],
        signed_by="市大数据中心 张主任",
        date=today - datetime.timedelta(days=2),
        document_ref="YS-2026-001",
    )
    registers.risk_create(
        project=project,
        user=u["pm"],
        data={
            "category": "Integration",
            "description": "Legacy district systems expose no API",
            "probability": 4,
            "impact": 4,
            "owner": u["solution"],
            "response": "mitigate",
            "plan": "Build adapters in the pilot",
            "trigger": "Adapter not ready two weeks before the pilot",
        },
    )
    registers.risk_create(
        project=project,
        user=u["pm"],
        data={
            "category": "Schedule",
            "description": "Security assessment may slip",
            "probability": 2,
            "impact": 3,
            "owner": u["pm"],
            "response": "accept",
        },
    )
    registers.issue_create(
        project=project,
        user=u["pm"],
        data={
            "title": "Pilot district data quality below 95%",
            "source": "customer",
            "severity": "major",
            "owner": u["solution"],
            "due_date": today - datetime.timedelta(days=1),
        },
    )
    _costs_and_accounting(u, project)


def _costs_and_accounting(u, project):
    """Actual costs (finance's count at once; the PM's travel waits for finance), a USD rate, and this
    month's accounting, so finance finds a monthly account and an entry to approve."""
    today = timezone.localdate()
    finance.exchange_rate_set(
        user=u["finance"], currency="USD", date=today - datetime.timedelta(days=60), rate=Decimal("7.18500000")
    )
    for days_ago, category, amount, currency, text, ref in [
        (20, "equipment", "380000.00", "CNY", "Servers and storage (PO 4500012)", "SAP-FI-100231"),
        (12, "labour", "96000.00", "CNY", "Implementation team, first month", "HR-TS-2026-11"),
        (5, "subcontract", "12000.00", "USD", "Integration partner, adapters", "SAP-FI-100877"),
    ]:
        finance.cost_entry_create(
            project=project,
            user=u["finance"],
            data={
                "date": today - datetime.timedelta(days=days_ago),
                "category": category,
                "amount": Decimal(amount),
                "currency": currency,
                "description": text,
                "source_system": "sap",
                "source_ref": ref,
            },
        )
    finance.cost_entry_create(
        project=project,
        user=u["pm"],
        data={
            "date": today,
            "category": "travel",
            "amount": Decimal("3860.00"),
            "currency": "CNY",
            "description": "Site visit, district pilot (train and hotel)",
        },
    )
    advance = project.contract.payment_milestones.filter(trigger="on_signing", state="due").first()
    if advance is not None:  # the advance invoiced and half of it paid; the rest is receivable
        invoice = finance.invoice_create(
            user=u["finance"], data={"payment_milestone": advance, "tax_rate_percent": Decimal("6")}
        )
        invoice = finance.invoice_transition(
            invoice=invoice, name="issue", user=u["finance"], issue_date=today - datetime.timedelta(days=10)
        )
        finance.receipt_create(
            user=u["finance"],
            data={
                "customer": project.opportunity.customer,
                "amount": q(invoice.total / 2),
                "currency": invoice.currency,
                "date": today - datetime.timedelta(days=3),
                "payer": "上海市大数据中心",
                "reference": "ICBC-20261128-001",
                "allocations": [{"invoice": invoice, "amount": q(invoice.total / 2)}],
            },
        )
    accounting.execute_run(finance.accounting_run_record(period=today.strftime("%Y-%m"), user=u["finance"]).pk)


@seeder(order=50)
def seed_deals(u):
    # 1. The converted lead's opportunity: ATI requested, waiting for the sales director.
    lead_opp = Opportunity.objects.filter(lead__in=Lead.objects.filter(state="converted")).order_by("pk").first()
    if lead_opp and lead_opp.state == "validating" and gate_reads.latest_review(lead_opp, "ATI") is None:
        opportunities.opportunity_update(
            opportunity=lead_opp,
            user=u[lead_opp.owner.username],
            data={"expected_close_date": timezone.localdate() + datetime.timedelta(days=120), "probability": 30},
        )
        gates.gate_request(code="ATI", subject=lead_opp, user=lead_opp.owner, comment="政务通平台, 预算已批")

    # 2. In analysis: DTRB approved, DRA waiting for the PMO.
    opp, new = _opportunity(
        u,
        "Northwind — warehouse Wi-Fi 6 and WMS integration",
        "Northwind Logistics Ltd.",
        Decimal("860000"),
        "GBP",
        owner="sales2",
    )
    if new:
        opp = _to_analysis(u, opp, owner="sales2")
        opportunities.quote_create(opportunity=opp, user=u["sales2"], data=_quote(Decimal("860000"), Decimal("610000")))
        delivery.project_update(
            project=opp.project,
            user=u["pm"],
            data={
                "technical_solution": "Wi-Fi 6 with controller cluster",
                "delivery_approach": "Site by site, nights",
                "key_risks": "Racking access",
            },
        )
        _approve(gates.gate_request(code="DTRB", subject=opp.project, user=u["pm"]), u["solution"])
        gates.gate_request(code="DRA", subject=opp.project, user=u["pm"], comment="Estimate reviewed with finance")

    # 3. In bidding, with a low-margin bid that needed the executive.
    opp, new = _opportunity(
        u, "上海智慧城市 — 城市运行管理中心 (IOC) 二期", "上海智慧城市建设有限公司", Decimal("12800000")
    )
    if new:
        _to_bidding(u, _to_analysis(u, opp), Decimal("12800000"), Decimal("11200000"))

    # 4. Won: contract signed and handed over; the project passed DR1 and is being implemented.
    opp, new = _opportunity(u, "上海智慧城市 — 一网统管数据中台", "上海智慧城市建设有限公司", Decimal("6500000"))
    if new:
        opp = _to_contracting(u, _to_bidding(u, _to_analysis(u, opp), Decimal("6500000"), Decimal("4300000")))
        contract = _contract(u, opp, "SHZC-2026-017", sign=True, hand_over=True)
        _implement(u, Opportunity.objects.get(pk=opp.pk).project, contract)

    # 5. Lost during the analysis.
    opp, new = _opportunity(
        u, "Northwind — fleet telematics", "Northwind Logistics Ltd.", Decimal("420000"), "GBP", owner="sales2"
    )
    if new:
        opp = _to_analysis(u, opp, owner="sales2")
        opportunities.opportunity_transition(
            opportunity=opp, name="lose", user=u["sales2"], reason="Competitor 20% cheaper"
        )
