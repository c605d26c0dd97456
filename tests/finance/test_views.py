"""The finance workspace page: what finance sees and does there, refusals as messages in the services'
words, and a constant number of queries."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from finance import accounting
from finance import services as finance
from finance.models import (
    AccountingPeriod,
    AccountingRun,
    CostEntry,
    Invoice,
    MonthlyAccount,
    Receipt,
    ReceiptAllocation,
)
from tests.finance.test_accounting import PERIOD, day, entry, project_in_build
from tests.opportunities.factories import Cast

URL = "/finance/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_build(cast)


def test_only_finance_opens_the_workspace(web, cast, make_user):
    assert web.as_user(cast.finance).get(URL).status_code == 200
    for user in (cast.owner, cast.pm, make_user("ws-hr", roles=["hr"])):
        assert web.as_user(user).get(URL).status_code == 403


def test_finance_runs_closes_invoices_and_approves_from_the_workspace(
    web, cast, project, django_capture_on_commit_callbacks
):
    pending = entry(project, cast.pm, day(2), "travel", "800.00")
    client = web.as_user(cast.finance)
    page = client.get(URL).content.decode()
    period = AccountingPeriod.objects.get(period=PERIOD)
    assert f'data-period="{PERIOD}"' in page and f'data-entry="{pending.pk}"' in page
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    assert f'data-milestone="{advance.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):  # the run is queued once the request commits
        client.post(reverse("finance:period-run", args=[period.pk]), {"period": PERIOD})
    assert AccountingRun.objects.filter(period=period, state="succeeded").count() == 1
    assert f'data-account="{project.pk}"' in client.get(URL, {"period": PERIOD}).content.decode()
    r = client.post(reverse("finance:cost-entry-step", args=[pending.pk, "reject"]), {}, follow=True)
    assert "A reason is required." in r.content.decode() and CostEntry.objects.get(pk=pending.pk).state == "pending"
    client.post(reverse("finance:cost-entry-step", args=[pending.pk, "approve"]), {})
    assert CostEntry.objects.get(pk=pending.pk).state == "approved"
    client.post(reverse("finance:invoice-draft", args=[advance.pk]), {"tax_rate_percent": "6"})
    invoice = Invoice.objects.get(payment_milestone=advance)
    assert (invoice.state, invoice.tax_amount) == ("draft", Decimal("30000.00"))
    r = client.post(reverse("finance:invoice-draft", args=[advance.pk]), {"tax_rate_percent": "lots"}, follow=True)
    assert "tax rate" in r.content.decode() and Invoice.objects.count() == 1
    client.post(reverse("finance:invoice-step", args=[invoice.pk, "issue"]), {})
    assert Invoice.objects.get(pk=invoice.pk).number.startswith("INV-")
    client.post(reverse("finance:period-step", args=[period.pk, "close"]), {"period": PERIOD})
    r = client.post(reverse("finance:period-run", args=[period.pk]), {"period": PERIOD}, follow=True)
    assert "is closed" in r.content.decode() and AccountingRun.objects.count() == 1
    r = client.post(reverse("finance:period-step", args=[period.pk, "reopen"]), {}, follow=True)
    assert "A reason is required." in r.content.decode()
    client.post(reverse("finance:period-step", args=[period.pk, "reopen"]), {"reason": "Late bill"})
    assert AccountingPeriod.objects.get(pk=period.pk).state == "open"


def test_the_workspace_costs_the_same_whatever_the_rows(web, cast, project, make_user):
    seen = []
    client = web.as_user(cast.finance)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"period": PERIOD}).status_code == 200
        seen.append(Counter(q["sql"][:60] for q in ctx.captured_queries))
        return len(ctx.captured_queries)

    entry(project, cast.pm, day(2), "travel", "10.00")
    finance.invoice_create(
        user=cast.finance,
        data={
            "payment_milestone": project.contract.payment_milestones.get(trigger="on_signing"),
            "amount": Decimal("10.00"),
        },
    )
    few = count()
    for n in range(3):
        other = project_in_build(Cast(make_user, prefix=f"w{n}"), number=f"C-W-{n}")
        entry(other, other.pm, day(3), "travel", "20.00")
        finance.invoice_create(
            user=cast.finance,
            data={
                "payment_milestone": other.contract.payment_milestones.get(trigger="on_signing"),
                "amount": Decimal("10.00"),
            },
        )
    assert count() == few, seen[1] - seen[0]


def test_a_bad_period_is_a_message_not_an_error(web, cast):
    r = web.as_user(cast.finance).get(URL, {"period": "2026-13"}, follow=True)
    assert r.status_code == 200 and "YYYY-MM" in r.content.decode()


def test_an_account_drills_down_to_its_entries_and_exports_to_excel(web, cast, project):
    entry(project, cast.finance, day(1), "labour", "1200.00", description='=HYPERLINK("http://x")')
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    client = web.as_user(cast.finance)
    page = client.get(reverse("finance:account-detail", args=[account.pk])).content.decode()
    assert 'data-figure="ac">1,200.00' in page and "HYPERLINK" in page
    r = client.get(reverse("finance:accounts-export"), {"period": PERIOD})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Project", "Contract", "Currency", "Cost in the period", "AC")
    assert rows[1][0] == project.name and rows[1][4] == 1200
    r = client.get(reverse("finance:receivables-export"), {"as_of": "not-a-date"}, follow=True)
    assert "YYYY-MM-DD" in r.content.decode()
    assert client.get(reverse("finance:receivables-export")).status_code == 200
    for outsider in (cast.pm, cast.owner):
        assert web.as_user(outsider).get(reverse("finance:account-detail", args=[account.pk])).status_code == 403
        assert web.as_user(outsider).get(reverse("finance:accounts-export")).status_code == 403


def test_a_run_shows_its_progress_until_it_ends(web, cast, project):
    run = finance.accounting_run_record(period=PERIOD, user=cast.finance)
    client = web.as_user(cast.finance)
    queued = client.get(reverse("finance:run-status", args=[run.pk])).content.decode()
    assert 'data-run-state="queued"' in queued and "hx-get" in queued and "progress-bar" in queued
    assert 'data-run-state="queued"' in client.get(URL).content.decode()
    accounting.execute_run(run.pk)
    done = client.get(reverse("finance:run-status", args=[run.pk])).content.decode()
    assert 'data-run-state="succeeded"' in done and "hx-get" not in done and "1 project" in done


def test_the_project_page_shows_the_money_by_month_and_by_category(web, cast, project):
    entry(project, cast.finance, day(1), "labour", "200000.00")
    entry(project, cast.finance, day(1), "travel", "500.00")
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    page = web.as_user(cast.pm).get(project.get_absolute_url()).content.decode()
    assert 'id="money"' in page and f'id="money-chart-{project.pk}"' in page
    table = page[page.index('id="budget-vs-actual"') :]
    table = table[: table.index("</table>")]
    # budget v1: 800,000.00 of labour; 200,000.00 spent (25.00%); travel unbudgeted
    assert "800,000.00" in table and "200,000.00" in table and "25.00" in table and "500.00" in table


def issued_advance(cast, project, amount="100000.00"):
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = finance.invoice_create(user=cast.finance, data={"payment_milestone": advance, "amount": Decimal(amount)})
    return finance.invoice_transition(invoice=invoice, name="issue", user=cast.finance, issue_date=day(1))


def test_finance_records_a_receipt_against_open_invoices_and_allocates_its_credit(web, cast, project):
    invoice = issued_advance(cast, project)
    customer = project.opportunity.customer
    client = web.as_user(cast.finance)
    page = client.get(reverse("finance:receipts"), {"customer": customer.pk}).content.decode()
    assert f'name="alloc-{invoice.pk}"' in page
    body = {
        "customer": customer.pk,
        "amount": "150000.00",
        "currency": "cny",
        "date": day(1).isoformat(),
        "payer": "Customer",
        "reference": "BANK-W1",
    }
    r = client.post(reverse("finance:receipts"), {**body, f"alloc-{invoice.pk}": "100000.01"})
    assert r.status_code == 200 and "more than" in r.content.decode()
    r = client.post(reverse("finance:receipts"), {**body, f"alloc-{invoice.pk}": "lots"})
    assert "is not an amount" in r.content.decode()
    assert not ReceiptAllocation.objects.exists() and not Receipt.objects.exists()
    r = client.post(reverse("finance:receipts"), {**body, f"alloc-{invoice.pk}": "60,000.00"})
    receipt = Receipt.objects.get()
    assert r.status_code == 302 and receipt.currency == "CNY"
    assert Invoice.objects.get(pk=invoice.pk).state == "partially_paid"
    detail = client.get(reverse("finance:receipt-detail", args=[receipt.pk])).content.decode()
    assert 'id="credit">90,000.00' in detail
    r = client.post(reverse("finance:receipt-detail", args=[receipt.pk]), {f"alloc-{invoice.pk}": "40000"}, follow=True)
    assert "Credit allocated." in r.content.decode() and Invoice.objects.get(pk=invoice.pk).state == "paid"
    r = client.post(reverse("finance:receipt-detail", args=[receipt.pk]), {}, follow=True)
    assert "Type an amount" in r.content.decode()
    for odd in ("99999999999999999999999", "-1", "x", ""):  # no such customer: the page without a form
        r = web.as_user(cast.finance).get(reverse("finance:receipts"), {"customer": odd})
        assert r.status_code == 200 and 'id="receipt-form"' not in r.content.decode()
    for outsider in (cast.owner, cast.pm):
        assert web.as_user(outsider).get(reverse("finance:receipts")).status_code == 403
        assert web.as_user(outsider).get(reverse("finance:receipt-detail", args=[receipt.pk])).status_code == 403


def test_the_invoice_list_offers_each_invoice_its_steps_at_constant_cost(web, cast, project):
    issued = issued_advance(cast, project, "1000.00")
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    draft = finance.invoice_create(user=cast.finance, data={"payment_milestone": advance, "amount": Decimal("10.00")})
    client = web.as_user(cast.finance)
    page = client.get(reverse("finance:invoices")).content.decode()
    row = page[page.index(f'data-invoice="{issued.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-transition="void"' in row and 'data-transition="write_off"' in row and "PDF" in row
    assert 'data-transition="issue"' in page[page.index(f'data-invoice="{draft.pk}"') :]
    r = client.post(
        reverse("finance:invoice-step", args=[issued.pk, "void"]), {"back": "invoices", "state": "issued"}, follow=True
    )
    assert "A reason is required." in r.content.decode() and Invoice.objects.get(pk=issued.pk).state == "issued"
    assert r.redirect_chain[-1][0] == "/finance/invoices/?state=issued"
    client.post(reverse("finance:invoice-step", args=[issued.pk, "void"]), {"back": "invoices", "reason": "Wrong PO"})
    assert Invoice.objects.get(pk=issued.pk).state == "void"
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("finance:invoices"))
    for _n in range(3):
        finance.invoice_create(user=cast.finance, data={"payment_milestone": advance, "amount": Decimal("1.00")})
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("finance:invoices"))
    assert len(more) == len(few)
    assert web.as_user(cast.owner).get(reverse("finance:invoices")).status_code == 403
