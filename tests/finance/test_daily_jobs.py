"""The daily jobs: payment milestones due on their date, and overdue reminders (each level once)."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from contracts import services as contracts
from finance import services as finance
from finance.models import InvoiceReminder
from finance.reminders import send_overdue_reminders
from tests.finance.test_accounting import project_in_build
from tests.opportunities.factories import Cast, OpportunityFactory, pass_atb, pass_atc, pass_ati

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def test_a_dated_payment_becomes_due_on_its_date_once(cast):
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    value = opp.quotes.get(state="accepted").revenue
    when = TODAY + datetime.timedelta(days=10)
    contract = contracts.contract_create(
        opportunity=opp,
        user=cast.owner,
        data={
            "number": "C-DATED-1",
            "signed_date": TODAY,
            "payment_milestones": [
                {"name": "Advance", "amount": value / 2, "trigger": "on_signing"},
                {"name": "Q1 instalment", "amount": value / 2, "trigger": "on_date", "planned_date": when},
            ],
        },
    )
    contracts.contract_transition(contract=contract, name="sign", user=cast.owner)
    dated = contract.payment_milestones.get(trigger="on_date")
    assert contracts.payments_due_on_date(day=when - datetime.timedelta(days=1)) == []
    assert [pm.pk for pm in contracts.payments_due_on_date(day=when)] == [dated.pk]
    assert contracts.payments_due_on_date(day=when) == []
    dated.refresh_from_db()
    assert dated.state == "due"


def test_overdue_reminders_go_out_once_per_level(cast, mailoutbox, django_capture_on_commit_callbacks):
    project = project_in_build(cast)
    cast.owner.email, cast.finance.email = "ar@example.com", "fin@example.com"
    cast.owner.save()
    cast.finance.save()
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = finance.invoice_create(user=cast.finance, data={"payment_milestone": advance})
    invoice = finance.invoice_transition(
        invoice=invoice, name="issue", user=cast.finance, issue_date=TODAY - datetime.timedelta(days=40)
    )  # due 10 days ago
    assert settings.OVERDUE_REMINDER_DAYS == [1, 15, 30]
    with django_capture_on_commit_callbacks(execute=True):
        assert [r.level for r in send_overdue_reminders(TODAY)] == [1]
    assert len(mailoutbox) == 1 and set(mailoutbox[0].to) == {"ar@example.com", "fin@example.com"}
    assert invoice.number in mailoutbox[0].subject and "10 days overdue" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert send_overdue_reminders(TODAY) == []
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        later = send_overdue_reminders(TODAY + datetime.timedelta(days=25))
    assert sorted(r.level for r in later) == [15, 30]
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 3 and len(mailoutbox) == 3
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": invoice.total,
            "currency": invoice.currency,
            "date": TODAY,
            "payer": "Customer",
            "reference": "BANK-9",
            "allocations": [{"invoice": invoice, "amount": invoice.total}],
        },
    )
    assert send_overdue_reminders(TODAY + datetime.timedelta(days=90)) == []  # paid: nothing more
    assert Decimal(invoice.total) > 0


def test_the_daily_jobs_are_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["dated-payments-due"]["task"] == "contracts.tasks.make_dated_payments_due"
    assert schedule["overdue-reminders"]["task"] == "finance.tasks.send_invoice_reminders"


def test_a_contract_is_fulfilled_when_fully_invoiced_and_closed_when_paid(cast):
    from tests.opportunities.factories import HANDOVER

    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    value = opp.quotes.get(state="accepted").revenue
    contract = contracts.contract_create(
        opportunity=opp,
        user=cast.owner,
        data={
            "number": "C-FULL-1",
            "signed_date": TODAY,
            "payment_milestones": [
                {"name": "Advance", "amount": value / 2, "trigger": "on_signing"},
                {"name": "Balance", "amount": value / 2, "trigger": "on_date", "planned_date": TODAY},
            ],
        },
    )
    contract = contracts.contract_transition(contract=contract, name="sign", user=cast.owner)
    contracts.payments_due_on_date(day=TODAY)
    invoices = []
    for pm in contract.payment_milestones.all():
        draft = finance.invoice_create(user=cast.finance, data={"payment_milestone": pm})
        invoices.append(finance.invoice_transition(invoice=draft, name="issue", user=cast.finance))
    contract.refresh_from_db()
    assert contract.state == "signed"  # fully invoiced, but not handed over yet
    contract = contracts.contract_transition(
        contract=contract, name="hand_over", user=cast.owner, date=TODAY, **HANDOVER
    )
    contract.refresh_from_db()
    assert contract.state == "fulfilled"
    for inv in invoices[:1]:
        finance.receipt_create(
            user=cast.finance,
            data={
                "customer": opp.customer,
                "amount": inv.total,
                "currency": inv.currency,
                "date": TODAY,
                "payer": "Customer",
                "reference": f"R-{inv.pk}",
                "allocations": [{"invoice": inv, "amount": inv.total}],
            },
        )
    contract.refresh_from_db()
    assert contract.state == "fulfilled"  # one invoice still open
    finance.invoice_transition(invoice=invoices[1], name="write_off", user=cast.finance, reason="Customer insolvent")
    contract.refresh_from_db()
    assert contract.state == "closed"
    from ltc_portal.core.fsm import history

    assert [e.transition for e in history(contract)][-2:] == ["fulfil", "close"]


def test_who_turned_e_mail_off_gets_no_overdue_reminder(cast, mailoutbox, django_capture_on_commit_callbacks):
    """The notification setting "e-mail me" covers the reminders finance's job mails itself (the cost
    alerts: tests/finance/test_accounting.py)."""
    from notifications.services import notification_settings_update

    project = project_in_build(cast)
    cast.owner.email, cast.finance.email = "ar@example.com", "fin@example.com"
    cast.owner.save()
    cast.finance.save()
    notification_settings_update(user=cast.finance, email=False)
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = finance.invoice_create(user=cast.finance, data={"payment_milestone": advance})
    finance.invoice_transition(
        invoice=invoice, name="issue", user=cast.finance, issue_date=TODAY - datetime.timedelta(days=40)
    )
    with django_capture_on_commit_callbacks(execute=True):
        [reminder] = send_overdue_reminders(TODAY)
    assert [m.to for m in mailoutbox] == [["ar@example.com"]] and reminder.recipients == ["ar@example.com"]
    notification_settings_update(user=cast.owner, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        [later] = [r for r in send_overdue_reminders(TODAY + datetime.timedelta(days=5)) if r.level == 15]
    assert later.recipients == [] and len(mailoutbox) == 1  # nobody left to write to: no mail at all
