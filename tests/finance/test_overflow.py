"""Computed money that would overflow its column is refused with the field named (a 400 in the API),
never a DataError or InvalidOperation (issue 11 §1): invoices, cost base amounts, rates, contract
amendments, DR2 change impacts, bonus shares."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts import services as contracts
from delivery import services as delivery
from finance import services as finance
from finance.models import Budget, CostEntry, Invoice
from tests.finance.test_accounting import day, entry, project_in_build
from tests.opportunities.factories import Cast, OpportunityFactory, draft_contract, pass_atb, pass_atc, pass_ati

MAX = Decimal("9999999999999999.99")


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def refused_on(field, call):
    with pytest.raises(ValidationError) as refused:
        call()
    assert field in refused.value.message_dict, refused.value.message_dict
    return refused.value.message_dict[field][0]


def test_an_invoice_whose_tax_overflows_the_total_is_refused(cast):
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast, revenue=MAX), cast)
    contract = draft_contract(opp, cast)
    contract = contracts.contract_transition(contract=contract, name="sign", user=cast.owner)
    advance = contract.payment_milestones.get(trigger="on_signing")
    data = {"payment_milestone": advance, "tax_rate_percent": Decimal("100")}
    message = refused_on("tax_rate_percent", lambda: finance.invoice_create(user=cast.finance, data=data))
    assert "total" in message
    assert not Invoice.objects.exists()
    invoice = finance.invoice_create(user=cast.finance, data={**data, "tax_rate_percent": Decimal("13")})
    assert invoice.total == Decimal("5650000000000000.00")


def test_base_amounts_and_rates_that_overflow_are_refused(cast):
    project = project_in_build(cast)
    finance.exchange_rate_set(user=cast.finance, currency="USD", date=day(1), rate=Decimal("10000000"))
    refused_on("amount", lambda: entry(project, cast.finance, day(2), "travel", str(MAX), "USD"))  # 1e23: no
    entry(project, cast.finance, day(2), "travel", "100000000000000.00", "USD")  # 1e21 in CNY: fits
    message = refused_on(
        "rate",
        lambda: finance.exchange_rate_set(user=cast.finance, currency="USD", date=day(1), rate=Decimal("9999999999")),
    )
    assert "base" in message.lower()
    assert CostEntry.objects.get(currency="USD").amount_base == Decimal("1000000000000000000000.00")


def test_change_impacts_that_overflow_the_contract_or_the_budget_are_refused(cast):
    project = project_in_build(cast)
    data = {"title": "More", "reason": "Customer", "scope_impact": "More sites", "contract_value_impact": MAX}
    refused_on(
        "contract_value_impact", lambda: delivery.change_request_create(project=project, user=cast.pm, data=data)
    )
    refused_on(
        "value_change",
        lambda: contracts.contract_amend(contract=project.contract, value_change=MAX, reason="x", user=cast.pm),
    )
    change = delivery.change_request_create(
        project=project, user=cast.pm, data={**data, "contract_value_impact": 0, "cost_impact": MAX}
    )
    refused_on("cost_impact", lambda: finance.budget_version_for_change(change=change, user=cast.finance))
    assert Budget.objects.filter(project=project).count() == 1
    assert timezone.localdate()
