"""Edges of the money rules found in review: when an allocation is dated, credit left in a closed
period, reminders under overlapping runs, rates missing for a budget, corrections without an
original, zero invoices, reversals twice in one import, receipts of a shared customer, the run's own
log, and payments of a terminated contract."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection

from contracts import services as contracts
from finance import accounting, reminders
from finance import services as finance
from finance.models import AccountingRun, CostEntry, InvoiceReminder, MonthlyAccount, ReceiptAllocation
from ltc_portal.core.fsm import TransitionRefused, run_transition
from ltc_portal.core.models import TransitionLog
from tests.finance.test_accounting import PERIOD, PREVIOUS_MONTH_DAY, START, TODAY, day, entry, project_in_build
from tests.opportunities.factories import Cast, OpportunityFactory, draft_contract, pass_atb, pass_atc, pass_ati


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_build(cast)


def issued_advance(cast, project, when, amount=None):
    milestone = project.contract.payment_milestones.get(trigger="on_signing")
    data = {"payment_milestone": milestone} | ({"amount": Decimal(amount)} if amount else {})
    invoice = finance.invoice_create(user=cast.finance, data=data)
    return finance.invoice_transition(invoice=invoice, name="issue", user=cast.finance, issue_date=when)


def receipt(cast, project, when, amount, allocations=(), reference="BANK-E1"):
    return finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal(amount),
            "currency": "CNY",
            "date": when,
            "payer": "Customer",
            "reference": reference,
            "allocations": list(allocations),
        },
    )


def test_an_allocation_is_dated_when_it_settles_and_never_before_the_invoice(cast, project):
    early = receipt(cast, project, PREVIOUS_MONTH_DAY, "50000.00")  # an advance before any invoice
    finance.period_transition(
        period=finance.period_get_or_open(period=PREVIOUS_MONTH_DAY.strftime("%Y-%m")), name="close", user=cast.finance
    )
    invoice = issued_advance(cast, project, day(3), "40000.00")  # total 40,000.00, no tax
    # the credit of a receipt in a closed month is applied now, in an open month, dated on the issue day
    finance.receipt_allocate(receipt=early, user=cast.finance, allocations=[{"invoice": invoice, "amount": 30000}])
    allocation = ReceiptAllocation.objects.get(receipt=early)
    assert allocation.date == max(TODAY, day(3))
    # a receipt recorded before the invoice's issue date settles it from the issue date
    second = issued_advance(cast, project, day(9), "10000.00")
    fresh = receipt(cast, project, day(2), "10000.00", [{"invoice": second, "amount": Decimal("10000.00")}], "BANK-E2")
    assert ReceiptAllocation.objects.get(receipt=fresh).date == day(9)


def test_credit_is_never_allocated_into_a_closed_period(cast, project):
    invoice = issued_advance(cast, project, PREVIOUS_MONTH_DAY, "40000.00")
    credit = receipt(cast, project, PREVIOUS_MONTH_DAY, "50000.00")
    previous = finance.period_get_or_open(period=PREVIOUS_MONTH_DAY.strftime("%Y-%m"))
    finance.period_transition(period=previous, name="close", user=cast.finance)
    with pytest.raises(ValidationError) as refused:
        finance.receipt_allocate(
            receipt=credit,
            user=cast.finance,
            allocations=[{"invoice": invoice, "amount": 1000}],
            date=PREVIOUS_MONTH_DAY,
        )
    assert "closed period" in str(refused.value)
    assert not ReceiptAllocation.objects.exists()
    finance.receipt_allocate(receipt=credit, user=cast.finance, allocations=[{"invoice": invoice, "amount": 1000}])
    assert ReceiptAllocation.objects.get().date == TODAY


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_mail_each_invoice_once(make_user, mailoutbox, monkeypatch):
    cast = Cast(make_user, prefix="remind")
    cast.finance.email = "fin@example.com"
    cast.finance.save()
    project = project_in_build(cast)
    invoice = issued_advance(cast, project, TODAY - datetime.timedelta(days=40), "100000.00")  # 10 days overdue
    receipt(cast, project, TODAY, "25000.00", [{"invoice": invoice, "amount": Decimal("25000.00")}])
    both_looked = threading.Barrier(2, timeout=20)
    real_claim = reminders._claim

    def claim_after_both_looked(level, invoice_ids, recipients):
        if invoice_ids:  # both runs have found the invoice due before either claims it
            both_looked.wait()
        return real_claim(level, invoice_ids, recipients)

    monkeypatch.setattr(reminders, "_claim", claim_after_both_looked)
    made, errors = [], []

    def run():
        try:
            made.append(reminders.send_overdue_reminders(TODAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(m) for m in made) == [0, 1]  # one run claimed the level, the other found it taken
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 1
    reminder_mails = [m for m in mailoutbox if invoice.number in m.subject]  # not the gate notifications'
    assert len(reminder_mails) == 1
    # the mail quotes what is still owed, not the invoice's total
    assert "75,000.00 CNY of 100,000.00 outstanding" in reminder_mails[0].body


def test_a_budget_without_a_rate_makes_the_account_incomplete(cast, project):
    type(project).objects.filter(pk=project.pk).update(currency="EUR")  # a project budgeted in euros
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert account.budget is None and account.earned_value is None
    assert account.complete is False
    assert any("EUR" in note and str(accounting.month_end(PERIOD)) in note for note in account.notes)
    finance.exchange_rate_set(user=cast.finance, currency="EUR", date=START, rate=Decimal("7.5"))
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert (account.budget, account.complete) == (Decimal("6000000.00"), True)


def test_a_negative_entry_must_say_what_it_reverses(api, cast, project):
    body = {
        "project": project.pk,
        "date": day(2).isoformat(),
        "category": "labour",
        "amount": "-500.00",
        "currency": "CNY",
        "description": "Credit",
    }
    r = api.as_user(cast.finance).post("/api/v1/cost-entries/", body, format="json")
    assert r.status_code == 400 and "reverses" in r.json()["amount"][0]
    original = entry(project, cast.finance, day(2), "labour", "500.00")
    r = api.as_user(cast.finance).post("/api/v1/cost-entries/", {**body, "reverses": original.pk}, format="json")
    assert r.status_code == 201, r.json()


def test_an_invoice_of_zero_is_refused_not_taken_as_the_remainder(api, cast, project):
    milestone = project.contract.payment_milestones.get(trigger="on_signing")
    r = api.as_user(cast.finance).post("/api/v1/invoices/", {"payment_milestone": milestone.pk, "amount": "0"})
    assert r.status_code == 400 and "amount" in r.json()
    assert not milestone.invoices.exists()


def test_two_rows_reversing_one_entry_get_a_row_report(api, cast, project):
    original = entry(project, cast.finance, day(2), "labour", "500.00")
    row = {
        "project": project.pk,
        "date": day(3).isoformat(),
        "category": "labour",
        "amount": "-500.00",
        "currency": "CNY",
        "description": "Undo",
        "reverses": original.pk,
    }
    r = api.as_user(cast.finance).post(
        "/api/v1/cost-entries/bulk/",
        {"entries": [{**row, "source_ref": "R-1"}, {**row, "source_ref": "R-2"}]},
        format="json",
    )
    assert r.status_code == 400, r.json()
    assert [e["row"] for e in r.json()["errors"]] == [1] and "reverses" in r.json()["errors"][0]["errors"]
    assert not original.__class__.objects.filter(reverses=original).exists()


def test_a_receipt_of_a_shared_customer_shows_each_salesperson_only_their_invoices(api, cast, project, make_user):
    other = Cast(make_user, prefix="shared")
    opp = OpportunityFactory(owner=other.owner, customer=project.opportunity.customer)
    opp = pass_atc(pass_atb(pass_ati(opp, other), other), other)
    contract = contracts.contract_transition(
        contract=draft_contract(opp, other, number="C-2026-777"), name="sign", user=other.owner
    )
    mine = issued_advance(cast, project, day(2), "1000.00")
    theirs_milestone = contract.payment_milestones.get(trigger="on_signing")
    theirs = finance.invoice_transition(
        invoice=finance.invoice_create(user=cast.finance, data={"payment_milestone": theirs_milestone}),
        name="issue",
        user=cast.finance,
        issue_date=day(2),
    )
    both = receipt(
        cast,
        project,
        day(5),
        "3000.00",
        [{"invoice": mine, "amount": Decimal("1000.00")}, {"invoice": theirs, "amount": Decimal("2000.00")}],
    )
    seen = api.as_user(cast.owner).get(f"/api/v1/receipts/{both.pk}/").json()
    assert [a["invoice"] for a in seen["allocations"]] == [mine.pk]
    assert {
        a["invoice"] for a in api.as_user(cast.finance).get(f"/api/v1/receipts/{both.pk}/").json()["allocations"]
    } == {
        mine.pk,
        theirs.pk,
    }
    stranger = make_user("shared-stranger", roles=["sales"])
    assert api.as_user(stranger).get(f"/api/v1/receipts/{both.pk}/").status_code == 404


def test_every_step_of_an_accounting_run_is_logged(cast, project, monkeypatch):
    run = accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=cast.finance).pk)
    steps = list(
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(AccountingRun), object_id=run.pk)
        .order_by("id")
        .values_list("transition", "target")
    )
    assert steps == [("open", "queued"), ("start", "running"), ("succeed", "succeeded")]
    assert run.projects == 1

    def broken(period, run):
        raise RuntimeError("database went away")

    monkeypatch.setattr(accounting, "write_accounts", broken)
    failed = finance.accounting_run_record(period=PERIOD, user=None)
    with pytest.raises(RuntimeError):
        accounting.execute_run(failed.pk)
    last = TransitionLog.objects.filter(object_id=failed.pk, content_type__model="accountingrun").latest("id")
    assert (last.transition, last.target, last.reason) == ("fail", "failed", "database went away")
    queued = finance.accounting_run_record(period=PERIOD, user=None)
    with pytest.raises(TransitionRefused, match="not a step you run yourself"):  # a person never moves a run
        run_transition(queued, "start", user=cast.finance)


def test_a_terminated_contracts_payments_never_become_due(cast, make_user):
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    contract = draft_contract(opp, cast, number="C-2026-900")
    dated = contract.payment_milestones.get(trigger="on_acceptance")
    type(dated).objects.filter(pk=dated.pk).update(trigger="on_date", planned_date=TODAY)
    contract = contracts.contract_transition(contract=contract, name="sign", user=cast.owner)
    contracts.contract_transition(contract=contract, name="terminate", user=cast.owner, reason="Customer withdrew")
    assert contracts.payments_due_on_date(day=TODAY) == []
    dated.refresh_from_db()
    assert dated.state == "planned"


def test_a_rate_recorded_later_counts_the_entries_from_its_date(api, cast, project):
    eur = entry(project, cast.finance, day(1), "travel", "100.00", "EUR")
    assert CostEntry.objects.get(pk=eur.pk).amount_base is None  # no rate yet: left out, never 1.0
    r = api.as_user(cast.finance).get(f"/api/v1/cost-entries/{eur.pk}/").json()
    assert r["amount_base"] is None
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert account.complete is False and account.cost_cumulative == Decimal("0.00")
    finance.exchange_rate_set(user=cast.finance, currency="EUR", date=day(1), rate=Decimal("7.77777777"))
    assert CostEntry.objects.get(pk=eur.pk).amount_base == Decimal("777.78")
    finance.exchange_rate_set(user=cast.finance, currency="EUR", date=day(1), rate=Decimal("8"))  # corrected
    assert CostEntry.objects.get(pk=eur.pk).amount_base == Decimal("800.00")
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert (account.complete, account.cost_cumulative) == (True, Decimal("800.00"))


def test_no_allocation_in_the_future_and_no_rate_rewriting_a_closed_period(cast, project):
    invoice = issued_advance(cast, project, PREVIOUS_MONTH_DAY, "40000.00")
    credit = receipt(cast, project, PREVIOUS_MONTH_DAY, "50000.00")
    with pytest.raises(ValidationError, match="not in the future"):
        finance.receipt_allocate(
            receipt=credit,
            user=cast.finance,
            allocations=[{"invoice": invoice, "amount": 1}],
            date=TODAY + datetime.timedelta(days=3),
        )
    entry(project, cast.finance, PREVIOUS_MONTH_DAY, "travel", "10.00", "GBP")
    previous = finance.period_get_or_open(period=PREVIOUS_MONTH_DAY.strftime("%Y-%m"))
    finance.period_transition(period=previous, name="close", user=cast.finance)
    with pytest.raises(TransitionRefused, match="closed periods"):  # dated before it: it would rebase it
        finance.exchange_rate_set(
            user=cast.finance, currency="GBP", date=PREVIOUS_MONTH_DAY.replace(day=1) - datetime.timedelta(days=40),
            rate=Decimal("9"),
        )  # fmt: skip
