"""Scale data of contracts (ltc_portal/core/scale.py): one contract per won scale opportunity (its
project started: build, implement, handover or closed), at the value of its accepted quote, signed and
handed over on the project plan's dates; ``fulfilled`` at handover (everything invoiced), ``closed``
with a closed project. Payment milestones: 20 % advance on signing, progress instalments on dates, 20 %
on final acceptance; as many due (invoiceable) ones as ``invoice_plan`` gives the contract invoices (the
finance seeder invoices each once). Bulk inserts, no transition-log rows."""

import datetime
from decimal import Decimal

from ltc_portal.core.scale import PREFIX, Scale, between, index_of, invoice_plan, project_plan, seeder, split
from opportunities.models import Opportunity, OpportunityState, Quote, QuoteState

from .models import Contract, ContractState, PaymentMilestone, PaymentMilestoneState, Trigger

DAY = datetime.timedelta(days=1)
CONTRACT_STATE = {
    "build": ContractState.HANDED_OVER,
    "implement": ContractState.HANDED_OVER,
    "handover": ContractState.FULFILLED,
    "closed": ContractState.CLOSED,
}


def _payments(contract: Contract, plan, due: int, today: datetime.date) -> list[PaymentMilestone]:
    """The payment schedule agreed at signing and which of its milestones are due by now: ``due`` of
    them (the advance, the instalments dated in the past, the final one once accepted)."""
    done = plan.state in ("handover", "closed")
    past = max(0, due - 2) if done else max(0, due - 1)
    future = 0
    if not done:  # the instalments still to come, about as many as the time left takes
        elapsed, left = max(1, (today - plan.signed).days), max(0, (plan.finish - today).days)
        future = min(24, max(1, round(max(past, 1) * left / elapsed)))
    count = past + future
    share = Decimal(60) / count
    amounts = split(contract.value, [20] + [share] * count + [20])
    last = (plan.finish - DAY) if done else (today - 3 * DAY)
    span = max(1, (last - plan.signed).days)
    rows = [
        PaymentMilestone(
            contract=contract,
            position=0,
            name="预付款 / Advance 20%",
            percent=Decimal(20),
            amount=amounts[0],
            trigger=Trigger.ON_SIGNING,
            planned_date=plan.signed,
            state=PaymentMilestoneState.DUE,
        )
    ]
    for q in range(count):
        if q < past:
            day = plan.signed + max(1, span * (q + 1) // (past + 1)) * DAY
        else:
            day = today + 30 * (q - past + 1) * DAY
        rows.append(
            PaymentMilestone(
                contract=contract,
                position=q + 1,
                name=f"进度款 {q + 1} / Progress instalment {q + 1}",
                percent=share.quantize(Decimal("0.01")),
                amount=amounts[q + 1],
                trigger=Trigger.ON_DATE,
                planned_date=day,
                state=PaymentMilestoneState.DUE if q < past else PaymentMilestoneState.PLANNED,
            )
        )
    rows.append(
        PaymentMilestone(
            contract=contract,
            position=count + 1,
            name="终验款 / Final acceptance 20%",
            percent=Decimal(20),
            amount=amounts[-1],
            trigger=Trigger.ON_ACCEPTANCE,
            state=PaymentMilestoneState.DUE if done else PaymentMilestoneState.PLANNED,
        )
    )
    return rows


@seeder(order=30)
def seed_contracts(scale: Scale) -> dict:
    today = scale.today
    won = (
        Opportunity.objects.filter(name__startswith=PREFIX, state=OpportunityState.WON)
        .exclude(contracts__in=Contract.objects.exclude(state=ContractState.TERMINATED))
        .order_by("pk")
        .values_list("pk", "name", "currency")
    )
    won = list(won)
    if not won:
        return {"contracts": 0, "payment milestones": 0}
    quotes = dict(
        Quote.objects.filter(opportunity_id__in=[pk for pk, _n, _c in won], state=QuoteState.ACCEPTED).values_list(
            "opportunity_id", "pk"
        )
    )
    revenue = dict(Quote.objects.filter(pk__in=quotes.values()).values_list("pk", "revenue"))
    plans = {pk: project_plan(index_of(opp_name) // 4, today) for pk, opp_name, _c in won}
    # the invoices the size wants, less the due payments of the contracts made before (all invoiced)
    due_before = PaymentMilestone.objects.filter(
        contract__number__startswith=PREFIX, state=PaymentMilestoneState.DUE
    ).count()
    invoices = invoice_plan(list(plans.values()), max(0, scale.counts["invoices"] - due_before), today)
    contracts, payments = [], []
    for pk, _opp_name, currency in won:
        plan = plans[pk]
        j = plan.index
        contract = Contract(
            opportunity_id=pk,
            number=f"{PREFIX}HT-{plan.signed.year}-{j:05d}",
            value=revenue[quotes[pk]],
            currency=currency,
            quote_id=quotes[pk],
            signed_date=plan.signed,
            payment_term_days=[30, 30, 30, 45, 60][between(0, 4, j, "terms")],
            handover_date=plan.handed_over,
            handover_attendees="PM, AR, SR, customer project office",
            key_terms="Liquidated damages 0.5%/week, capped at 10%; 12-month warranty",
            risks="Site access windows; customer-supplied interfaces",
            state=CONTRACT_STATE[plan.state],
        )
        contracts.append(contract)
        due = invoices.get(j, 3 if plan.state in ("handover", "closed") else 1)
        payments.append((contract, plan, due))
    Contract.objects.bulk_create(contracts, batch_size=scale.batch_size)
    rows = [row for contract, plan, due in payments for row in _payments(contract, plan, due, today)]
    PaymentMilestone.objects.bulk_create(rows, batch_size=scale.batch_size)
    return {"contracts": len(contracts), "payment milestones": len(rows)}
