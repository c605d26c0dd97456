"""The finance workspace page: what finance sees and does there, refusals as messages in the services'
words, and a constant number of queries."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance import services as finance
from finance.models import AccountingPeriod, AccountingRun, CostEntry, Invoice
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
