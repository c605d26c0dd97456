"""Invoices, receipts and receivables (DOMAIN.md §5.3) through the API, and what they put in the
monthly accounts."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from finance import accounting
from finance import services as finance
from finance.models import Invoice, MonthlyAccount, ReceiptAllocation
from tests.finance.factories import invoice_every_payment
from tests.finance.test_accounting import PERIOD, day, project_in_build
from tests.opportunities.factories import Cast, project_in_plan_with_contract

INVOICES, RECEIPTS = "/api/v1/invoices/", "/api/v1/receipts/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_build(cast)


def advance(project):
    """The contract's on-signing payment milestone: due since the signature (half the value)."""
    return project.contract.payment_milestones.get(trigger="on_signing")


def draft(api, cast, project, **kw):
    r = api.as_user(cast.finance).post(
        INVOICES, {"payment_milestone": advance(project).pk, "tax_rate_percent": "6", **kw}, format="json"
    )
    assert r.status_code == 201, r.json()
    return r.json()


def issue(api, cast, invoice_id, when):
    r = api.as_user(cast.finance).post(
        f"{INVOICES}{invoice_id}/transitions/issue/", {"issue_date": when.isoformat()}, format="json"
    )
    assert r.status_code == 200, r.json()
    return r.json()


def test_an_invoice_of_a_due_milestone_is_numbered_at_issue_and_never_exceeds_it(api, cast, project):
    pm = advance(project)
    assert pm.state == "due" and pm.amount == Decimal("500000.00")
    inv = draft(api, cast, project, amount="200000.00")
    assert (inv["number"], inv["state"], inv["tax_amount"], inv["total"]) == (None, "draft", "12000.00", "212000.00")
    r = api.as_user(cast.finance).post(INVOICES, {"payment_milestone": pm.pk, "amount": "300000.01"}, format="json")
    assert r.status_code == 400 and "amount" in r.json()
    planned = project.contract.payment_milestones.get(trigger="on_acceptance")
    r = api.as_user(cast.finance).post(INVOICES, {"payment_milestone": planned.pk}, format="json")
    assert r.status_code == 409 and "due" in r.json()["detail"]
    assert api.as_user(cast.pm).post(INVOICES, {"payment_milestone": pm.pk}, format="json").status_code == 403
    issued = issue(api, cast, inv["id"], day(3))
    year = day(3).year
    assert issued["number"] == f"INV-{year}-000001"
    assert issued["due_date"] == (day(3) + datetime.timedelta(days=30)).isoformat()
    second = issue(api, cast, draft(api, cast, project)["id"], day(4))  # the remaining 300,000.00
    assert (second["number"], second["amount"]) == (f"INV-{year}-000002", "300000.00")
    r = api.as_user(cast.finance).post(INVOICES, {"payment_milestone": pm.pk}, format="json")
    assert r.status_code == 400  # nothing left to invoice
    r = api.as_user(cast.finance).post(f"{INVOICES}{second['id']}/transitions/void/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.as_user(cast.finance).post(
        f"{INVOICES}{second['id']}/transitions/void/", {"reason": "Wrong PO"}, format="json"
    )
    assert (r.json()["state"], r.json()["number"]) == ("void", f"INV-{year}-000002")  # the number is kept
    third = issue(api, cast, draft(api, cast, project)["id"], day(5))  # a voided amount can be invoiced again
    assert third["number"] == f"INV-{year}-000003"


def test_receipts_pay_invoices_and_are_never_over_allocated(api, cast, project, make_user):
    inv = issue(api, cast, draft(api, cast, project, amount="100000.00")["id"], day(2))  # total 106,000.00
    customer = project.opportunity.customer_id
    body = {
        "customer": customer,
        "amount": "150000.00",
        "currency": "CNY",
        "date": day(6).isoformat(),
        "payer": "SH Big Data Center",
        "reference": "BANK-1",
    }
    r = api.as_user(cast.finance).post(
        RECEIPTS, {**body, "allocations": [{"invoice": inv["id"], "amount": "106000.01"}]}, format="json"
    )
    assert r.status_code == 400 and "allocations" in r.json(), r.json()
    assert not ReceiptAllocation.objects.exists()
    r = api.as_user(cast.finance).post(
        RECEIPTS, {**body, "allocations": [{"invoice": inv["id"], "amount": "60000.00"}]}, format="json"
    )
    assert r.status_code == 201, r.json()
    receipt = r.json()
    assert receipt["unallocated"] == "90000.00"
    assert api.as_user(cast.finance).get(f"{INVOICES}{inv['id']}/").json()["state"] == "partially_paid"
    r = api.as_user(cast.finance).post(
        f"{RECEIPTS}{receipt['id']}/allocate/",
        {"allocations": [{"invoice": inv["id"], "amount": "46000.01"}]},
        format="json",
    )
    assert r.status_code == 400  # more than the invoice's outstanding 46,000.00
    r = api.as_user(cast.finance).post(
        f"{RECEIPTS}{receipt['id']}/allocate/",
        {"allocations": [{"invoice": inv["id"], "amount": "46000.00"}]},
        format="json",
    )
    assert r.status_code == 200 and r.json()["unallocated"] == "44000.00"
    paid = api.as_user(cast.finance).get(f"{INVOICES}{inv['id']}/").json()
    assert (paid["state"], paid["paid_amount"], paid["outstanding"]) == ("paid", "106000.00", "0.00")
    r = api.as_user(cast.finance).post(f"{INVOICES}{inv['id']}/transitions/void/", {"reason": "x"}, format="json")
    assert r.status_code == 409  # something is paid on it
    history = [h["transition"] for h in api.as_user(cast.finance).get(f"{INVOICES}{inv['id']}/history/").json()]
    assert history == ["open", "issue", "pay_partly", "pay"]


def test_ageing_at_two_dates_and_dso(api, cast, project, django_capture_on_commit_callbacks):
    inv = issue(api, cast, draft(api, cast, project, amount="100000.00", tax_rate_percent="0")["id"], day(1))
    due = datetime.date.fromisoformat(inv["due_date"])
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal("30000.00"),
            "currency": "CNY",
            "date": due + datetime.timedelta(days=5),
            "payer": "Customer",
            "reference": "BANK-2",
            "allocations": [{"invoice": Invoice.objects.get(pk=inv["id"]), "amount": Decimal("30000.00")}],
        },
    )
    before = api.as_user(cast.finance).get("/api/v1/receivables/", {"as_of": (due - datetime.timedelta(days=1))})
    assert [(r["bucket"], r["outstanding"], r["days_overdue"]) for r in before.json()["results"]] == [
        ("current", "100000.00", -1)
    ]
    later = due + datetime.timedelta(days=40)
    rows = api.as_user(cast.finance).get("/api/v1/receivables/", {"as_of": later.isoformat()}).json()["results"]
    assert [(r["bucket"], r["outstanding"], r["outstanding_base"]) for r in rows] == [("31_60", "70000.00", "70000.00")]
    summary = api.as_user(cast.finance).get("/api/v1/receivables/summary/", {"as_of": later.isoformat()}).json()
    assert summary["buckets"]["31_60"] == "70000.00" and summary["total"] == "70000.00"
    # 70,000 outstanding / 100,000 issued in the 90 days up to the date × 90
    assert summary["dso_days"] == "63.0"
    assert api.as_user(cast.finance).get("/api/v1/receivables/", {"as_of": "soon"}).status_code == 400


def test_the_ageing_buckets_turn_on_the_right_days(api, cast, project):
    from finance import selectors

    inv = issue(api, cast, draft(api, cast, project, amount="100000.00", tax_rate_percent="0")["id"], day(1))
    due = datetime.date.fromisoformat(inv["due_date"])
    expected = {0: "current", 1: "1_30", 30: "1_30", 31: "31_60", 60: "31_60", 61: "61_90", 90: "61_90"}
    expected |= {91: "over_90", 400: "over_90"}
    for days, bucket in expected.items():
        as_of = due + datetime.timedelta(days=days)
        [row] = selectors.receivables(cast.finance, as_of)
        assert (row["days_overdue"], row["bucket"]) == (days, bucket)
        summary = selectors.receivables_summary(cast.finance, as_of)
        assert summary["buckets"][bucket] == Decimal("100000.00") == summary["total"], days


def test_the_accounts_show_invoiced_collected_and_receivable(api, cast, project):
    inv = issue(api, cast, draft(api, cast, project, amount="100000.00")["id"], day(2))  # total 106,000.00
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal("50000.00"),
            "currency": "CNY",
            "date": day(7),
            "payer": "Customer",
            "reference": "BANK-3",
            "allocations": [{"invoice": Invoice.objects.get(pk=inv["id"]), "amount": Decimal("50000.00")}],
        },
    )
    accounting.execute_run(finance.accounting_run_record(period=PERIOD, user=None).pk)
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert (account.invoiced, account.collected, account.receivable) == (
        Decimal("100000.00"),
        Decimal("50000.00"),
        Decimal("56000.00"),
    )


def test_invoices_are_read_by_their_customers_sales_and_not_by_others(api, cast, project, make_user):
    inv = draft(api, cast, project)
    assert api.as_user(cast.owner).get(f"{INVOICES}{inv['id']}/").status_code == 200
    other = make_user("inv-other-sales", roles=["sales"])
    hr = make_user("inv-hr", roles=["hr"])
    for user in (other, hr):
        assert api.as_user(user).get(f"{INVOICES}{inv['id']}/").status_code == 404
        assert api.as_user(user).get(INVOICES).json()["results"] == []
        assert api.as_user(user).get("/api/v1/receivables/").json()["results"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_issues_get_consecutive_numbers(make_user):
    cast = Cast(make_user, prefix="race")
    project = project_in_build(cast)
    milestone = project.contract.payment_milestones.get(trigger="on_signing")
    drafts = [
        finance.invoice_create(user=cast.finance, data={"payment_milestone": milestone, "amount": Decimal("1000.00")})
        for _ in range(6)
    ]
    barrier, results, lock = threading.Barrier(len(drafts)), [], threading.Lock()

    def go(invoice):
        try:
            barrier.wait(timeout=10)
            number = finance.invoice_transition(
                invoice=invoice, name="issue", user=cast.finance, issue_date=day(2)
            ).number
        except Exception as exc:  # noqa: BLE001 - report anything else as a failure
            number = f"error: {exc!r}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.append(number)

    threads = [threading.Thread(target=go, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    year = day(2).year
    assert sorted(results) == [f"INV-{year}-{n:06d}" for n in range(1, 7)], results


def test_invoice_receipt_and_receivable_lists_cost_the_same_whatever_the_rows(api, cast, project):
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.as_user(cast.finance).get(url).status_code == 200
        return len(ctx.captured_queries)

    def one_more(n):
        inv = issue(api, cast, draft(api, cast, project, amount="1000.00")["id"], day(2))
        finance.receipt_create(
            user=cast.finance,
            data={
                "customer": project.opportunity.customer,
                "amount": Decimal("500.00"),
                "currency": "CNY",
                "date": day(3),
                "payer": "C",
                "reference": f"B-{n}",
                "allocations": [{"invoice": Invoice.objects.get(pk=inv["id"]), "amount": Decimal("500.00")}],
            },
        )

    one_more(0)
    urls = (INVOICES, RECEIPTS, "/api/v1/receivables/", "/api/v1/receivables/summary/", "/api/v1/cash-forecast/")
    few = {u: count(u) for u in urls}
    for n in range(1, 6):
        one_more(n)
    assert {u: count(u) for u in urls} == few


def test_the_cash_forecast_adds_invoices_milestones_and_the_weighted_pipeline(api, cast, project):
    """Advance 500,000 invoiced (100,000 + 6 % tax issued on day 1, due in 30 days), the rest of it
    (400,000) not yet invoiced: due now, expected after the 30-day term; an open opportunity of
    200,000 at 40 % closing in 10 days: 80,000 expected 30 days after; 6,000 collected this month."""
    from tests.opportunities.factories import OpportunityFactory

    inv = issue(api, cast, draft(api, cast, project, amount="100000.00")["id"], day(1))
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal("6000.00"),
            "currency": "CNY",
            "date": day(2),
            "payer": "C",
            "reference": "F-1",
            "allocations": [{"invoice": Invoice.objects.get(pk=inv["id"]), "amount": Decimal("6000.00")}],
        },
    )
    from django.utils import timezone

    today = timezone.localdate()
    OpportunityFactory(
        owner=cast.owner,
        expected_value=Decimal("200000"),
        probability=40,
        expected_close_date=today + datetime.timedelta(days=10),
        currency="CNY",
    )
    rows = api.as_user(cast.finance).get("/api/v1/cash-forecast/", {"months": 3}).json()
    assert [r["month"] for r in rows] == [
        (today.replace(day=1) + datetime.timedelta(days=31 * i)).strftime("%Y-%m") for i in range(3)
    ]
    by_month = {r["month"]: r for r in rows}
    due = datetime.date.fromisoformat(inv["due_date"]).strftime("%Y-%m")
    term = (today + datetime.timedelta(days=30)).strftime("%Y-%m")
    pipeline = (today + datetime.timedelta(days=40)).strftime("%Y-%m")
    assert sum(Decimal(r["expected_from_invoices"]) for r in rows) == Decimal("100000.00")  # 106,000 − 6,000
    assert Decimal(by_month[due]["expected_from_invoices"]) == Decimal("100000.00")
    assert Decimal(by_month[term]["expected_from_milestones"]) == Decimal("400000.00")
    assert Decimal(by_month[pipeline]["expected_from_pipeline"]) == Decimal("80000.00")
    assert sum(Decimal(r["expected_from_pipeline"]) for r in rows) == Decimal("80000.00")
    assert Decimal(rows[0]["collected"]) == Decimal("6000.00")
    assert "Unrated-Currencies" not in api.as_user(cast.finance).get("/api/v1/cash-forecast/", {"months": 3})
    OpportunityFactory(  # a GBP deal with no GBP rate: left out of the figures and named
        owner=cast.owner,
        expected_value=Decimal("50000"),
        probability=50,
        expected_close_date=today + datetime.timedelta(days=10),
        currency="GBP",
    )
    response = api.as_user(cast.finance).get("/api/v1/cash-forecast/", {"months": 3})
    assert response["Unrated-Currencies"] == "GBP" and response.json() == rows
    assert api.as_user(cast.finance).get("/api/v1/cash-forecast/", {"months": 0}).status_code == 400
    assert api.as_user(cast.finance).get("/api/v1/cash-forecast/", {"months": "x"}).status_code == 400


def test_the_issued_invoice_is_a_pdf_for_the_customer(api, cast, project):
    inv = draft(api, cast, project, amount="1234.50")
    r = api.as_user(cast.finance).get(f"{INVOICES}{inv['id']}/pdf/")
    assert r.status_code == 409 and "draft" in r.json()["detail"]
    inv = issue(api, cast, inv["id"], day(2))
    r = api.as_user(cast.finance).get(f"{INVOICES}{inv['id']}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    body = r.content
    assert body.startswith(b"%PDF") and inv["number"].encode() in body
    assert b"1,308.57 CNY" in body  # 1,234.50 + 6 % tax, formatted for the reader
    assert f'filename="{inv["number"]}.pdf"' in r["Content-Disposition"]


def test_the_pdf_is_for_those_who_read_the_invoice(api, cast, project, make_user):
    inv = issue(api, cast, draft(api, cast, project)["id"], day(2))
    assert api.as_user(cast.owner).get(f"{INVOICES}{inv['id']}/pdf/").status_code == 200
    assert api.as_user(make_user("pdf-hr", roles=["hr"])).get(f"{INVOICES}{inv['id']}/pdf/").status_code == 404


def test_hostile_input_gets_a_400_and_changes_nothing(api, cast, project):
    client = api.as_user(cast.finance)
    pm = advance(project)
    for body in (
        {"payment_milestone": pm.pk, "amount": "9999999999999999.99", "tax_rate_percent": "100"},
        {"payment_milestone": pm.pk, "amount": "1e400"},
        {"payment_milestone": pm.pk, "tax_rate_percent": "NaN"},
        {"payment_milestone": "abc"},
        {"payment_milestone": [1, 2]},
    ):
        assert client.post(INVOICES, body, format="json").status_code == 400, body
    assert not Invoice.objects.exists()
    for params in ({"as_of": "0001-01-01"}, {"as_of": "9999-12-31"}, {"as_of": "2026-02-30"}):
        assert client.get("/api/v1/receivables/summary/", params).status_code == 400, params
        assert client.get("/api/v1/receivables/", params).status_code == 400, params
    r = client.post(
        "/api/v1/exchange-rates/",
        {"currency": "USD", "date": day(1).isoformat(), "rate": "99999999999.12345678"},
        format="json",
    )
    assert r.status_code == 400


def test_the_receivables_api_costs_the_same_queries_whatever_the_invoices(api, cast, project):
    issue(api, cast, draft(api, cast, project, amount="100000.00", tax_rate_percent="0")["id"], day(1))
    client = api.as_user(cast.finance)

    def get():
        with CaptureQueriesContext(connection) as ctx:
            r = client.get("/api/v1/receivables/", {"page_size": 2})
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()

    get()  # content types cached, as in a running server
    few, first = get()
    assert first["count"] == 1
    for n in range(2, 5):
        invoice_every_payment(project_in_plan_with_contract(cast, number=f"C-2026-10{n}"), cast, when=day(1))
    many, page = get()
    assert many == few
    assert page["count"] > 2 and len(page["results"]) == 2  # the page is cut, the count is of all
