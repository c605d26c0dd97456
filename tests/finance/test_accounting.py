"""The monthly accounting (DOMAIN.md §5.1) on a worked example whose figures are written here, to the
cent; re-runs, failures half-way, closed periods, missing rates and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.services import contract_amend
from delivery import services as delivery
from finance import accounting
from finance import services as finance
from finance.models import AccountingPeriod, AccountingRun, CostEntry, MonthlyAccount, VarianceAlert
from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import TransitionRefused
from tests.core.test_seed_scale import seed
from tests.opportunities.factories import Cast, approve, project_in_plan_with_contract

TODAY = timezone.localdate()
START = TODAY.replace(day=1)  # the period P is this month, so every "now" timestamp falls before its end
PERIOD = START.strftime("%Y-%m")
PREVIOUS_MONTH_DAY = START - datetime.timedelta(days=26)


def day(n: int) -> datetime.date:
    return START.replace(day=n)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def project_in_build(cast, budget_total=Decimal("800000.00"), number="C-2026-001"):
    """A won deal past DR1 with budget v1 = ``budget_total`` (CNY, the base currency)."""
    project = project_in_plan_with_contract(cast, number=number)
    budget = project.budgets.get(version=1)
    finance.budget_update(budget=budget, user=cast.pm, data={"lines": [{"category": "labour", "amount": budget_total}]})
    finance.budget_transition(budget=budget, name="submit", user=cast.pm)
    approve(gates.gate_request(code="DR1", subject=project, user=cast.pm), cast.finance, cast.pmo)
    project.refresh_from_db()
    assert project.state == "build"
    return project


def entry(project, user, when, category, amount, currency="CNY", **extra):
    return finance.cost_entry_create(
        project=project,
        user=user,
        data={
            "date": when,
            "category": category,
            "amount": Decimal(amount),
            "currency": currency,
            "description": f"{category} {amount}",
            **extra,
        },
    )


@pytest.fixture
def worked_example(cast):
    """Contract 1,000,000.00 + amendment 100,000.00; budget 800,000.00; milestones weighing 1 (accepted
    on day 10, planned end day 15), 2 (planned end day 28), 1 (planned end next month) and 3 (waived);
    costs: 100,000.00 labour last month, 50,000.00 equipment, 1,000.00 USD travel at 7.12345678,
    2,000.00 EUR subcontract without a rate, 10,000.00 labour reversed, and a pending 9,999.00."""
    project = project_in_build(cast)
    assert project.contract.value == Decimal("1000000.00")
    contract_amend(contract=project.contract, value_change=Decimal("100000.00"), reason="Extra site", user=cast.finance)
    next_month = day(28) + datetime.timedelta(days=10)
    m1, m2, m3, m4 = (
        delivery.milestone_create(
            project=project,
            user=cast.pm,
            data={"name": name, "planned_start": day(1), "planned_end": end, "weight": Decimal(weight)},
        )
        for name, end, weight in (
            ("Design", day(15), 1),
            ("Build", day(28), 2),
            ("Go-live", next_month, 1),
            ("Optional", day(20), 3),
        )
    )
    delivery.milestone_accept(
        milestone=m1, user=cast.pm, signed_by="Mr Wang", date=day(10), document_ref="ACC-1", satisfaction=5
    )
    delivery.milestone_waive(milestone=m4, user=cast.pmo, reason="Customer dropped it")
    finance.exchange_rate_set(user=cast.finance, currency="USD", date=day(1), rate=Decimal("7.12345678"))
    entry(project, cast.finance, PREVIOUS_MONTH_DAY, "labour", "100000.00")
    entry(project, cast.finance, day(3), "equipment", "50000.00")
    entry(project, cast.finance, day(12), "travel", "1000.00", "USD")
    entry(project, cast.finance, day(20), "subcontract", "2000.00", "EUR")
    wrong = entry(project, cast.finance, day(24), "labour", "10000.00")
    entry(project, cast.finance, day(25), "labour", "-10000.00", reverses=wrong)
    pending = entry(project, cast.pm, day(26), "other", "9999.00")
    assert pending.state == "pending"
    return project


def run(period=PERIOD, user=None):
    record = finance.accounting_run_record(period=period, user=user)
    return accounting.execute_run(record.pk)


def test_every_figure_of_the_worked_example_to_the_cent(worked_example):
    result = run()
    assert (result.state, result.projects) == ("succeeded", 1)
    a = MonthlyAccount.objects.get(project=worked_example, period__period=PERIOD)
    assert a.currency == "CNY"
    assert a.cost_cumulative == Decimal("157123.46")  # 100,000 + 50,000 + 7,123.46 + 10,000 − 10,000
    assert a.cost_period == Decimal("57123.46")
    assert a.cost_by_category == {
        "labour": "0.00",
        "equipment": "50000.00",
        "subcontract": "0.00",
        "travel": "7123.46",
        "risk_reserve": "0.00",
        "other": "0.00",
    }
    assert a.budget == Decimal("800000.00")
    assert a.earned_value == Decimal("200000.00")  # 800,000 × 1 / 4 (the waived 3 is left out)
    assert a.planned_value == Decimal("600000.00")  # 800,000 × (1 + 2) / 4
    assert a.cpi == Decimal("1.2729")  # 200,000.00 / 157,123.46
    assert a.spi == Decimal("0.3333")
    assert a.revenue_cumulative == Decimal("275000.00")  # 1,100,000 × 1 / 4
    assert a.revenue_period == Decimal("275000.00")  # nothing was accepted by the end of last month
    assert a.gross_margin == Decimal("117876.54")
    assert a.margin_percent == Decimal("42.86")
    assert a.budget_execution_percent == Decimal("19.64")
    assert a.cost_variance_percent == Decimal("-21.44")
    assert (a.invoiced, a.collected, a.receivable) == (Decimal("0"), Decimal("0"), Decimal("0"))
    assert a.complete is False
    assert any("EUR" in note and "2000.00" in note for note in a.notes), a.notes


def test_cost_to_cost_revenue(worked_example, settings):
    settings.REVENUE_RECOGNITION = "cost_to_cost"
    run()
    a = MonthlyAccount.objects.get(project=worked_example, period__period=PERIOD)
    assert a.revenue_cumulative == Decimal("216044.76")  # 1,100,000 × 157,123.46 / 800,000


def test_a_rerun_rewrites_identical_rows_and_a_closed_period_is_never_recomputed(worked_example, cast):
    run()
    first = MonthlyAccount.objects.get(project=worked_example)
    figures = {f: getattr(first, f) for f in accounting.ACCOUNT_FIGURES if f not in ("run", "computed_at")}
    run()
    again = MonthlyAccount.objects.get(project=worked_example)
    assert MonthlyAccount.objects.count() == 1 and again.pk == first.pk
    assert {f: getattr(again, f) for f in figures} == figures
    period = AccountingPeriod.objects.get(period=PERIOD)
    finance.period_transition(period=period, name="close", user=cast.finance)
    with pytest.raises(TransitionRefused, match="closed"):
        finance.accounting_run_request(period=PERIOD, user=cast.finance)
    with pytest.raises(TransitionRefused, match="closed"):
        entry(worked_example, cast.finance, day(27), "other", "5.00")
    assert MonthlyAccount.objects.get(project=worked_example).computed_at == again.computed_at


def test_a_run_that_fails_half_way_leaves_the_previous_accounts(worked_example, monkeypatch):
    run()
    before = MonthlyAccount.objects.get(project=worked_example)
    entry(worked_example, worked_example.pm, day(27), "other", "1.00")  # pending: would not change AC anyway
    real = accounting.write_accounts

    def half_way(period, run):
        real(period, run)
        MonthlyAccount.objects.filter(pk=before.pk).update(cost_cumulative=Decimal("1"))  # a write, then a crash
        raise RuntimeError("worker killed")

    monkeypatch.setattr(accounting, "write_accounts", half_way)
    record = finance.accounting_run_record(period=PERIOD, user=None)
    with pytest.raises(RuntimeError):
        accounting.execute_run(record.pk)
    record.refresh_from_db()
    assert record.state == "failed" and "worker killed" in record.error
    assert MonthlyAccount.objects.get(pk=before.pk).cost_cumulative == before.cost_cumulative


def _unearned_milestone(project, cast):
    """A planned milestone not yet accepted: EV 0, so CPI 0 and a variance alert on the first run."""
    delivery.milestone_create(project=project, user=cast.pm, data={"name": "Later", "planned_end": day(9)})


def test_the_number_of_queries_does_not_grow_with_projects_or_entries(cast, make_user):
    first = project_in_build(cast)
    _unearned_milestone(first, cast)
    for i in range(3):
        entry(first, cast.finance, day(2), "labour", f"{100 + i}.00")
    ContentType.objects.clear_cache()  # both runs look up the content types they log (cached per process)
    with CaptureQueriesContext(connection) as few:
        run()
    for n in range(3):
        other = Cast(make_user, prefix=f"z{n}")
        project = project_in_build(other, number=f"C-2026-1{n}")
        _unearned_milestone(project, other)
        for i in range(20):
            entry(project, other.finance, day(3), "equipment", f"{10 + i}.00")
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as many:
        run()
    assert MonthlyAccount.objects.filter(period__period=PERIOD).count() == 4
    assert VarianceAlert.objects.count() == 4  # alerts raised in both runs, in the same number of queries
    shapes = [[q["sql"][:70] for q in ctx.captured_queries] for ctx in (few, many)]
    assert len(many.captured_queries) == len(few.captured_queries), "\n".join(
        f"{a}  |  {b}" for a, b in zip(*shapes, strict=False)
    )


def test_cost_entries_are_refused_twice_and_routed_for_approval(cast, make_user):
    project = project_in_build(cast)
    first = entry(project, cast.finance, day(2), "labour", "10.00", source_system="sap", source_ref="FI-1")
    assert first.state == "approved"
    with pytest.raises(Exception, match="already exists"):
        entry(project, cast.finance, day(2), "labour", "10.00", source_system="sap", source_ref="FI-1")
    assert CostEntry.objects.filter(source_ref="FI-1").count() == 1
    member = make_user("cost-eng", roles=["delivery"])
    delivery.team_member_add(
        project=project, user=cast.pm, data={"user": member, "role": "engineer", "start_date": TODAY}
    )
    bill = entry(project, member, day(3), "subcontract", "5000.00")
    assert bill.state == "pending"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="someone else"):
        finance.cost_entry_transition(entry=bill, name="approve", user=member)
    delegate = make_user("cost-delegate", roles=["delivery"])
    delivery.team_member_add(
        project=project, user=cast.pm, data={"user": delegate, "role": "engineer", "start_date": TODAY}
    )
    delivery.delegation_grant(
        project=project,
        user=cast.pm,
        data={
            "grantee": delegate,
            "scope": "approve_cost",
            "limit_amount": Decimal("1000"),
            "valid_from": TODAY,
            "valid_to": TODAY + datetime.timedelta(days=30),
        },
    )
    with pytest.raises(PermissionDenied, match=r"above your authority .*\(up to 1,000\.00 CNY\)"):
        finance.cost_entry_transition(entry=bill, name="approve", user=delegate)
    assert CostEntry.objects.get(pk=bill.pk).state == "pending"
    small = entry(project, member, day(3), "travel", "300.00")
    assert finance.cost_entry_transition(entry=small, name="approve", user=delegate).state == "approved"
    assert finance.cost_entry_transition(entry=bill, name="approve", user=cast.pm).state == "approved"


def test_the_command_runs_a_period_and_refuses_bad_input(worked_example, capsys):
    call_command("run_monthly_accounting", "--period", PERIOD)
    assert f"Period {PERIOD}: run #" in capsys.readouterr().out
    assert AccountingRun.objects.filter(state="succeeded").count() == 1
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("run_monthly_accounting", "--period", "2026-13")


@pytest.mark.parametrize("pm_wants_mail", [True, False], ids=["pm-mailed", "pm-turned-e-mail-off"])
def test_a_cost_overrun_raises_one_risk_and_one_mail_per_period(
    cast, mailoutbox, django_capture_on_commit_callbacks, pm_wants_mail
):
    """Budget 100,000 with one of two equal milestones accepted: EV 50,000; AC 60,000 → cost variance
    20 % (over the 10 % setting) and CPI 0.8333 (under 0.9). A PM who turned e-mail off is not mailed."""
    from delivery.models import Risk
    from notifications.services import notification_settings_update

    project = project_in_build(cast, budget_total=Decimal("100000.00"))
    cast.pm.email, cast.finance.email = "pm@example.com", "fin@example.com"
    cast.pm.save()
    cast.finance.save()
    if not pm_wants_mail:
        notification_settings_update(user=cast.pm, email=False)
    m1, _m2 = (
        delivery.milestone_create(
            project=project, user=cast.pm, data={"name": n, "planned_start": day(1), "planned_end": day(9)}
        )
        for n in ("One", "Two")
    )
    delivery.milestone_accept(milestone=m1, user=cast.pm, signed_by="Ms Li", date=day(5), document_ref="A-1")
    entry(project, cast.finance, day(6), "labour", "60000.00")
    with django_capture_on_commit_callbacks(execute=True):
        run()
    account = MonthlyAccount.objects.get(project=project)
    assert (account.cost_variance_percent, account.cpi) == (Decimal("20.00"), Decimal("0.8333"))
    risks = Risk.objects.filter(project=project, category="Cost variance")
    assert risks.count() == 1 and risks.get().owner == cast.pm and risks.get().exposure == 16
    mailed = {"pm@example.com", "fin@example.com"} if pm_wants_mail else {"fin@example.com"}
    assert len(mailoutbox) == 1 and set(mailoutbox[0].to) == mailed
    assert "20.00%" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        run()
    assert risks.count() == 1 and len(mailoutbox) == 1  # never twice for one period


def test_within_the_thresholds_nothing_is_raised(worked_example, mailoutbox, django_capture_on_commit_callbacks):
    from delivery.models import Risk

    with django_capture_on_commit_callbacks(execute=True):
        run()  # cost variance −21.44 %, CPI 1.2729: under budget
    assert not Risk.objects.filter(category="Cost variance").exists() and mailoutbox == []


class FailingMailServer:
    """An e-mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("Connection refused")


def test_a_mail_server_that_is_down_does_not_undo_the_alert(cast, settings, django_capture_on_commit_callbacks):
    from delivery.models import Risk

    settings.EMAIL_BACKEND = "tests.finance.test_accounting.FailingMailServer"
    project = project_in_build(cast, budget_total=Decimal("100000.00"))
    cast.pm.email = "pm@example.com"
    cast.pm.save()
    delivery.milestone_create(project=project, user=cast.pm, data={"name": "Later", "planned_end": day(9)})
    entry(project, cast.finance, day(6), "labour", "60000.00")
    with django_capture_on_commit_callbacks(execute=True):
        result = run()
    assert result.state == "succeeded"
    assert Risk.objects.filter(project=project, category="Cost variance").count() == 1


# The accounts are computed and written in SQL on PostgreSQL (finance.accounting.FIGURES_SQL);
# compute_accounts is their Python twin (SQLite, and the definitions final accounts share). Both must
# give every figure, note and flag alike, on data with every case: the seeded S dataset (USD entries
# and invoices, receipts), the worked example (an amendment, a waived milestone, a USD entry at a rate
# with eight decimals, an EUR entry without a rate, a reversal, negative cost variance) and a project
# with neither milestones nor costs.
FIGURES = [f for f in accounting.ACCOUNT_FIGURES if f not in ("run", "computed_at")]


@pytest.mark.parametrize("method", ["milestone", "cost_to_cost"])
def test_the_sql_accounts_equal_their_python_twin(worked_example, make_user, settings, method):
    assert connection.vendor == "postgresql"  # the SQL path; the suite runs on PostgreSQL
    settings.REVENUE_RECOGNITION = method
    seed()
    bare = project_in_build(Cast(make_user, prefix="tw"), number="C-2026-077")
    result = run()
    written = {a.project_id: a for a in MonthlyAccount.objects.filter(period__period=PERIOD, run=result)}
    twin = {a.project_id: a for a in accounting.compute_accounts(PERIOD)}
    assert set(written) == set(twin) and {worked_example.pk, bare.pk} <= set(written) and len(written) == 6
    differences = [
        (pid, name, getattr(a, name), getattr(twin[pid], name))
        for pid, a in written.items()
        for name in FIGURES
        if getattr(a, name) != getattr(twin[pid], name)
    ]
    assert not differences
    assert written[bare.pk].notes == ["No milestones to earn value on."] and written[bare.pk].earned_value is None
    assert not written[worked_example.pk].complete and any("EUR" in n for n in written[worked_example.pk].notes)
    assert any(a.invoiced and a.collected for a in written.values())  # the seeded cash is in the comparison


def test_a_run_that_wrote_accounts_is_never_deleted(worked_example):
    """The accounts' reference to their run has no database constraint (finance.models.MonthlyAccount.run):
    the portal itself keeps it true by never deleting a run."""
    result = run()
    with pytest.raises(ProtectedError):
        result.delete()
    assert MonthlyAccount.objects.filter(run=result).count() == 1
