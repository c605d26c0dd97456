"""``manage.py seed_scale --size S``: the S counts, nothing added by a second run, and the monthly
accounting job runs on the data with one account per seeded project in build, implement or handover."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from contracts.models import Contract, ContractState
from delivery.models import Project
from finance import accounting
from finance.models import CostEntry, Invoice, InvoiceCounter, MonthlyAccount, RunState
from finance.services import accounting_run_record
from leads.models import Lead
from ltc_portal.core.scale import ACCOUNTED, PREFIX, SIZES
from opportunities.models import Opportunity


def scale_counts() -> dict:
    return {
        "people": get_user_model().objects.filter(username__startswith=PREFIX).count(),
        "leads": Lead.objects.filter(company_name__startswith=PREFIX).count(),
        "opportunities": Opportunity.objects.filter(name__startswith=PREFIX).count(),
        "projects": Project.objects.filter(name__startswith=PREFIX).count(),
        "cost_entries": CostEntry.objects.filter(source_system="scale").count(),
        "invoices": Invoice.objects.filter(contract__number__startswith=PREFIX).count(),
    }


def seed(size="S") -> str:
    out = io.StringIO()
    call_command("seed_scale", size=size, stdout=out)
    return out.getvalue()


def test_seed_scale_s_then_the_monthly_accounting(db):
    seed()
    assert scale_counts() == SIZES["S"]
    # valid for the domain: contracts add up, invoices numbered and counted on, entries approved
    for contract in Contract.objects.filter(number__startswith=PREFIX):
        assert contract.milestones_total() == contract.value
        invoiced = contract.invoices.aggregate(t=Sum("amount"))["t"]
        assert invoiced <= contract.value
        if contract.state == ContractState.CLOSED:
            assert not contract.invoices.exclude(state="paid").exists()
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) and all(n.startswith("INV-") and len(n) == 15 for n in numbers)
    last = {c.year: c.last for c in InvoiceCounter.objects.all()}
    assert all(int(n[9:]) <= last[int(n[4:8])] for n in numbers)
    assert not CostEntry.objects.filter(source_system="scale").exclude(state="approved").exists()
    assert CostEntry.objects.filter(currency="USD").exists()

    assert "0 rows added" in seed()
    assert scale_counts() == SIZES["S"]

    period = timezone.localdate().strftime("%Y-%m")
    run = accounting.execute_run(accounting_run_record(period=period, user=None).pk)
    assert run.state == RunState.SUCCEEDED, run.error
    accounted = set(Project.objects.filter(name__startswith=PREFIX, state__in=ACCOUNTED).values_list("pk", flat=True))
    assert len(accounted) == 4  # S: four of the five projects are in build, implement or handover
    accounts = MonthlyAccount.objects.filter(period__period=period, run=run)
    assert set(accounts.values_list("project_id", flat=True)) == accounted
    assert run.projects == len(accounted)
    assert all(a.complete and a.cost_cumulative > 0 and a.budget for a in accounts)


def test_an_unknown_size_is_refused():
    with pytest.raises(CommandError):
        call_command("seed_scale", size="XL", stdout=io.StringIO())
