"""The figures the finance and executive homes sum in the database: an invoice's stored paid amount
against its allocations (the ledger), receivables as of a day before a later payment, the cash
forecast against a row-by-row twin, rates looked up in Python as the database does, and the LTC
flow's values at the rate of each record's day."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import RequestFactory
from django.utils import timezone

from contracts.models import ContractState, PaymentMilestone
from delivery import services as delivery
from delivery.models import Milestone
from finance import flow, selectors
from finance import services as finance
from finance.models import ExchangeRate, Invoice, InvoiceState
from ltc_portal.core.fsm import TransitionRefused
from tests.finance.test_accounting import day, project_in_build
from tests.finance.test_money_edges import receipt
from tests.opportunities.factories import Cast, OpportunityFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user, prefix="figs")


def _invoice(cast, payment, amount, when):
    invoice = finance.invoice_create(
        user=cast.finance, data={"payment_milestone": payment, "amount": amount, "tax_rate_percent": Decimal("6")}
    )
    return finance.invoice_transition(invoice=invoice, name="issue", user=cast.finance, issue_date=when)


def _receipt(cast, project, amount, when, *allocations, reference="BANK"):
    items = [{"invoice": invoice, "amount": Decimal(a)} for invoice, a in allocations]
    return receipt(cast, project, when, amount, items, reference=reference)


def _ledger_agrees():
    """Every invoice's stored paid amount is the sum of its allocations."""
    rows = Invoice.objects.annotate(ledger=selectors.paid_per_invoice()).values_list("paid_amount", "ledger")
    return all(stored == ledger for stored, ledger in rows)


def test_the_paid_amount_is_the_sum_of_the_allocations(cast):
    project = project_in_build(cast)
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    first = _invoice(cast, advance, Decimal("100000.00"), day(1))  # total 106,000.00 (6 % tax)
    second = _invoice(cast, advance, Decimal("50000.00"), day(1))  # total 53,000.00
    receipt = _receipt(cast, project, "120000.00", day(2), (first, "60000.00"), (second, "53000.00"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_amount, first.state) == (Decimal("60000.00"), InvoiceState.PARTIALLY_PAID)
    assert (second.paid_amount, second.state) == (Decimal("53000.00"), InvoiceState.PAID)
    finance.receipt_allocate(
        receipt=receipt, user=cast.finance, allocations=[{"invoice": first, "amount": Decimal("7000.00")}]
    )
    first.refresh_from_db()
    assert first.paid_amount == Decimal("67000.00") and _ledger_agrees()
    # a refused allocation (more than is outstanding) leaves the stored amount as it was
    with pytest.raises(Exception, match="outstanding"):
        _receipt(cast, project, "50000.00", day(3), (first, "39000.01"), reference="BANK-2")
    first.refresh_from_db()
    assert first.paid_amount == Decimal("67000.00") and _ledger_agrees()
    row = selectors.invoice_list(cast.finance).get(pk=first.pk)
    assert row.outstanding == Decimal("39000.00")
    # voiding an invoice with money on it is refused, and what the milestone has invoiced is unchanged
    with pytest.raises(TransitionRefused):
        finance.invoice_transition(invoice=first, name="void", user=cast.finance, reason="Wrong PO")
    advance.refresh_from_db()
    assert advance.invoiced_amount == Decimal("150000.00")
    # the database itself refuses a paid amount beyond the total, or below nothing
    for wrong in (F("total") + Decimal("0.01"), Decimal("-0.01")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=first.pk).update(paid_amount=wrong)


def test_receivables_as_of_a_day_before_a_later_payment_use_the_ledger(cast):
    project = project_in_build(cast)
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = _invoice(cast, advance, Decimal("100000.00"), day(1))
    _receipt(cast, project, "6000.00", day(3), (invoice, "6000.00"))
    # as of day 2 the 6,000 was not yet paid (the stored amount, 6,000, is of today)
    [row] = selectors.receivables(cast.finance, day(2))
    assert row["outstanding"] == Decimal("106000.00")
    assert selectors.receivables_summary(cast.finance, day(2))["total"] == Decimal("106000.00")
    [row] = selectors.receivables(cast.finance, TODAY)
    assert row["outstanding"] == Decimal("100000.00")
    assert selectors.receivables_summary(cast.finance, TODAY)["total"] == Decimal("100000.00")


def test_rates_looked_up_in_python_follow_the_database_rule():
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=10), rate=Decimal("7.00000000"))
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=3), rate=Decimal("7.20000000"))
    series = selectors.rate_series({"USD", "CNY", "GBP"}, TODAY)
    for days_ago in (11, 10, 9, 3, 2, 0):
        when = TODAY - datetime.timedelta(days=days_ago)
        assert selectors.rate_in(series, "USD", when) == selectors.rate_of("USD", when), days_ago
    assert selectors.rate_in(series, "USD", TODAY - datetime.timedelta(days=11)) is None
    assert selectors.rate_in(series, "GBP", TODAY) is None and selectors.rate_in(series, "CNY", TODAY) == 1


def _twin_forecast(user, months, today):
    """The cash forecast row by row, as cash_forecast() defines it (its previous implementation): each
    row converted at today's rate (rate 1 here: everything below is in CNY but the pipeline)."""
    labels = selectors._months_from(today.replace(day=1), months)
    rows = {m: {"expected_from_invoices": Decimal(0), "expected_from_milestones": Decimal(0)} for m in labels}

    def add(when, key, amount):
        if when is None:
            return
        month = max(when.strftime("%Y-%m"), labels[0])
        if month <= labels[-1]:
            rows[month][key] += amount

    for inv in selectors.invoice_list(user).filter(state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID]):
        add(inv.due_date, "expected_from_invoices", inv.total - inv.paid_amount)
    for pm in PaymentMilestone.objects.exclude(contract__state__in=[ContractState.TERMINATED, ContractState.DRAFT]):
        left = pm.amount - sum(i.amount for i in pm.invoices.exclude(state=InvoiceState.VOID))
        term = datetime.timedelta(days=pm.contract.payment_term_days)
        if pm.state == "due":
            when = today + term
        elif pm.trigger == "on_date":
            when = pm.planned_date + term if pm.planned_date else None
        else:
            end = Milestone.objects.filter(pk=pm.milestone).values_list("planned_end", flat=True).first()
            when = end + term if end else None
        if left > 0:
            add(when, "expected_from_milestones", left)
    return rows


def test_the_cash_forecast_equals_its_row_by_row_twin(cast):
    project = project_in_build(cast)
    payments = project.contract.payment_milestones
    advance = payments.get(trigger="on_signing")
    # the advance: 100,000 invoiced and partly paid, 50,000 invoiced then voided; the rest is left
    kept = _invoice(cast, advance, Decimal("100000.00"), day(1))
    voided = _invoice(cast, advance, Decimal("50000.00"), day(1))
    finance.invoice_transition(invoice=voided, name="void", user=cast.finance, reason="Wrong PO")
    _receipt(cast, project, "6000.00", day(2), (kept, "6000.00"))
    # the final payment falls due on its delivery milestone's acceptance: planned to end in 70 days
    final = payments.get(trigger="on_acceptance")
    delivery.milestone_create(
        project=project,
        user=cast.pm,
        data={
            "name": "Final acceptance",
            "planned_start": TODAY,
            "planned_end": TODAY + datetime.timedelta(days=70),
            "payment_milestone": final,
        },
    )
    # a second contract's advance, invoiced in full by one invoice: nothing is left on it
    other = project_in_build(cast, number="C-2026-002")
    whole = other.contract.payment_milestones.get(trigger="on_signing")
    _invoice(cast, whole, whole.amount, day(1))
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=1), rate=Decimal("7.10000000"))
    ExchangeRate.objects.create(currency="USD", date=TODAY + datetime.timedelta(days=1), rate=Decimal("9.00000000"))
    close = TODAY + datetime.timedelta(days=10)
    OpportunityFactory(
        owner=cast.owner, currency="USD", expected_value=Decimal("100000.00"), probability=25, expected_close_date=close
    )
    OpportunityFactory(
        owner=cast.owner, currency="GBP", expected_value=Decimal("50000.00"), probability=50, expected_close_date=close
    )

    # each milestone's stored invoiced amount is its live invoices' sum (the void one no longer counts)
    stored = PaymentMilestone.objects.annotate(ledger=selectors.invoiced_per_milestone())
    assert all(m.invoiced_amount == m.ledger for m in stored)
    advance.refresh_from_db()
    assert advance.invoiced_amount == Decimal("100000.00")

    unrated = set()
    forecast = selectors.cash_forecast(cast.finance, months=6, today=TODAY, unrated=unrated)
    twin = _twin_forecast(cast.finance, 6, TODAY)
    for row in forecast:
        for key in ("expected_from_invoices", "expected_from_milestones"):
            assert row[key] == twin[row["month"]][key], (row["month"], key)
    by_month = {r["month"]: r for r in forecast}
    month = lambda days: (TODAY + datetime.timedelta(days=days)).strftime("%Y-%m")  # noqa: E731
    assert by_month[month(30)]["expected_from_milestones"] >= Decimal("400000.00")  # 500,000 − 100,000
    # 106,000 − 6,000 paid, and the other contract's whole advance with its tax (530,000)
    assert sum(r["expected_from_invoices"] for r in forecast) == Decimal("100000.00") + whole.amount * Decimal("1.06")
    term = datetime.timedelta(days=final.contract.payment_term_days)
    assert by_month[month(70 + term.days)]["expected_from_milestones"] >= final.amount
    # the weighted USD deal at today's rate (not tomorrow's): 25,000 × 7.1; the GBP one named, not counted
    assert by_month[month(40)]["expected_from_pipeline"] == Decimal("177500.00")
    assert sum(r["expected_from_pipeline"] for r in forecast) == Decimal("177500.00")
    assert unrated == {"GBP"}
    assert forecast[0]["collected"] == (Decimal("6000.00") if day(2).month == TODAY.month else Decimal(0))


def test_the_flow_values_each_deal_at_the_rate_of_its_day(cast):
    now = timezone.now()
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=30), rate=Decimal("6.50000000"))
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=10), rate=Decimal("7.00000000"))
    for days_ago, value in ((20, "1000000.00"), (5, "2000000.00"), (40, "3000000.00")):
        with time_machine.travel(now - datetime.timedelta(days=days_ago), tick=False):
            OpportunityFactory(owner=cast.owner, currency="USD", expected_value=Decimal(value))
    with time_machine.travel(now - datetime.timedelta(days=2), tick=False):
        OpportunityFactory(owner=cast.owner, currency="CNY", expected_value=Decimal("123456.78"))
        OpportunityFactory(owner=cast.owner, currency="GBP", expected_value=Decimal("50000.00"))
    request = RequestFactory().get("/")
    request.user = cast.executive
    context = flow.flow_context(request)
    [opened] = [s for s in context["flow_stages"] if s["key"] == "opportunity"]
    # 1,000,000 × 6.5 (its day's rate) + 2,000,000 × 7.0 + 3,000,000 USD opened before any rate: left out
    # and named; 123,456.78 CNY as it is; the GBP deal counted, its value left out and named
    assert opened["count"] == 5
    assert opened["value"] == Decimal("6500000.00") + Decimal("14000000.00") + Decimal("123456.78")
    assert context["flow_missing_rates"] == ["GBP", "USD"]
