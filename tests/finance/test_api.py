"""The finance API (API.md "Finance (DTC)"): rates, cost entries and their bulk import, periods and
their runs, monthly accounts — refusals as carefully as the happy path."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.models import AccountingPeriod, CostEntry, ExchangeRate, MonthlyAccount
from tests.finance.test_accounting import PERIOD, day, project_in_build
from tests.opportunities.factories import Cast

RATES, ENTRIES, PERIODS = "/api/v1/exchange-rates/", "/api/v1/cost-entries/", "/api/v1/accounting-periods/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_build(cast)


def body(project, **kw):
    return {
        "project": project.pk,
        "date": day(2).isoformat(),
        "category": "labour",
        "amount": "100.00",
        "currency": "CNY",
        "description": "Site work",
        **kw,
    }


def test_finance_keeps_the_rates_and_nobody_else(api, cast):
    r = api.as_user(cast.finance).post(RATES, {"currency": "usd", "date": day(1).isoformat(), "rate": "7.1"})
    assert r.status_code == 201, r.json()
    assert (r.json()["currency"], r.json()["rate"]) == ("USD", "7.10000000")
    again = api.as_user(cast.finance).post(RATES, {"currency": "USD", "date": day(1).isoformat(), "rate": "7.2"})
    assert again.status_code == 201 and ExchangeRate.objects.get().rate == Decimal("7.2")
    assert (
        api.as_user(cast.pm).post(RATES, {"currency": "EUR", "date": day(1).isoformat(), "rate": "8"}).status_code
        == 403
    )
    for bad in ({"rate": "0"}, {"rate": "-1"}, {"currency": "XXX"}, {"currency": "CNY"}):
        data = {"currency": "EUR", "date": day(1).isoformat(), "rate": "8", **bad}
        r = api.as_user(cast.finance).post(RATES, data)
        assert r.status_code == 400, (bad, r.json())
    assert ExchangeRate.objects.count() == 1


def test_a_pm_entry_waits_and_finance_approves_it_with_the_base_amount(api, cast, project):
    api.as_user(cast.finance).post(RATES, {"currency": "USD", "date": day(1).isoformat(), "rate": "7.5"})
    r = api.as_user(cast.pm).post(ENTRIES, body(project, currency="USD", amount="10.00"), format="json")
    assert r.status_code == 201, r.json()
    created = r.json()
    assert (created["state"], created["amount_base"], created["period"]) == ("pending", "75.00", PERIOD)
    steps = {t["name"]: t for t in api.as_user(cast.pm).get(f"{ENTRIES}{created['id']}/transitions/").json()}
    assert steps["approve"]["allowed"] is False  # whoever entered it does not approve it
    r = api.as_user(cast.pm).post(f"{ENTRIES}{created['id']}/transitions/approve/", {}, format="json")
    assert r.status_code == 403 and "someone else" in r.json()["detail"]
    r = api.as_user(cast.finance).post(f"{ENTRIES}{created['id']}/transitions/reject/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.as_user(cast.finance).post(f"{ENTRIES}{created['id']}/transitions/approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    history = api.as_user(cast.pm).get(f"{ENTRIES}{created['id']}/history/").json()
    assert [(h["transition"], h["by"]) for h in history] == [
        ("open", cast.pm.username),
        ("approve", cast.finance.username),
    ]


def test_entries_are_refused_for_bad_input_duplicates_and_closed_periods(api, cast, project, make_user):
    assert (
        api.as_user(cast.finance)
        .post(ENTRIES, body(project, source_system="sap", source_ref="FI-9"), format="json")
        .status_code
        == 201
    )
    r = api.as_user(cast.finance).post(ENTRIES, body(project, source_system="sap", source_ref="FI-9"), format="json")
    assert r.status_code == 400 and "source_ref" in r.json(), r.json()
    for bad in ({"amount": "0"}, {"category": "snacks"}, {"currency": "ABC"}, {"amount": "1e30"}, {"date": "tomorrow"}):
        r = api.as_user(cast.finance).post(ENTRIES, body(project, **bad), format="json")
        assert r.status_code == 400, (bad, r.json())
    outsider = make_user("api-outsider", roles=["delivery"])
    r = api.as_user(outsider).post(ENTRIES, body(project), format="json")
    assert r.status_code == 400 and "project" in r.json()
    period = AccountingPeriod.objects.get(period=PERIOD)
    assert (
        api.as_user(cast.finance).post(f"{PERIODS}{period.pk}/transitions/close/", {}, format="json").status_code == 200
    )
    r = api.as_user(cast.finance).post(ENTRIES, body(project), format="json")
    assert r.status_code == 409 and "closed" in r.json()["detail"] and r.json()["reasons"], r.json()
    assert CostEntry.objects.count() == 1


def test_bulk_is_all_or_nothing_with_a_report_per_row(api, cast, project):
    rows = [body(project, source_system="erp", source_ref=f"B-{i}", amount=f"{i + 1}.00") for i in range(300)]
    r = api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": rows}, format="json")
    assert r.status_code == 201 and r.json() == {"created": 300}
    assert CostEntry.objects.filter(state="approved").count() == 300
    bad = [
        body(project, source_ref="N-1"),
        body(project, source_ref="N-2", amount="x"),
        body(project, source_ref="N-1"),
        body(project, source_ref="B-7", source_system="erp"),
    ]
    r = api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": bad}, format="json")
    assert r.status_code == 400
    assert [e["row"] for e in r.json()["errors"]] == [1]
    r = api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": [bad[0], bad[2], bad[3]]}, format="json")
    assert r.status_code == 400 and [e["row"] for e in r.json()["errors"]] == [1, 2], r.json()
    r = api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": [bad[0], bad[3]]}, format="json")
    assert r.status_code == 400 and [e["row"] for e in r.json()["errors"]] == [1], r.json()
    assert CostEntry.objects.count() == 300
    assert api.as_user(cast.pm).post(f"{ENTRIES}bulk/", {"entries": [bad[0]]}, format="json").status_code == 403
    assert api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": []}, format="json").status_code == 400
    assert api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": "nope"}, format="json").status_code == 400


def test_periods_close_reopen_and_run(api, cast, project, django_capture_on_commit_callbacks):
    r = api.as_user(cast.finance).post(PERIODS, {"period": PERIOD}, format="json")
    assert r.status_code == 201
    pid = r.json()["id"]
    assert api.as_user(cast.finance).post(PERIODS, {"period": "2026-13"}, format="json").status_code == 400
    assert api.as_user(cast.pm).post(f"{PERIODS}{pid}/transitions/close/", {}, format="json").status_code == 403
    api.as_user(cast.finance).post(ENTRIES, body(project, amount="250.00"), format="json")
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued once the run is committed
        r = api.as_user(cast.finance).post(f"{PERIODS}{pid}/run/")
    assert r.status_code == 202 and r.json()["period"] == PERIOD
    run = api.as_user(cast.finance).get(f"/api/v1/accounting-runs/{r.json()['id']}/").json()
    assert run["state"] == "succeeded" and run["projects"] == 1  # eager Celery in tests
    accounts = api.as_user(cast.finance).get("/api/v1/monthly-accounts/", {"period": PERIOD}).json()["results"]
    assert [(a["project"], a["cost_cumulative"]) for a in accounts] == [(project.pk, "250.00")]
    assert (
        api.as_user(cast.finance).post(f"{PERIODS}{pid}/transitions/close/", {}, format="json").json()["state"]
        == "closed"
    )
    r = api.as_user(cast.finance).post(f"{PERIODS}{pid}/run/")
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    assert api.as_user(cast.finance).post(f"{PERIODS}{pid}/transitions/reopen/", {}, format="json").status_code == 400
    r = api.as_user(cast.finance).post(
        f"{PERIODS}{pid}/transitions/reopen/", {"reason": "Late supplier bill"}, format="json"
    )
    assert r.status_code == 200 and r.json()["state"] == "open"
    history = api.as_user(cast.finance).get(f"{PERIODS}{pid}/history/").json()
    assert [h["transition"] for h in history] == ["open", "close", "reopen"]
    assert history[-1]["reason"] == "Late supplier bill"
    assert api.as_user(cast.pm).post(f"{PERIODS}{pid}/run/").status_code == 403


def test_accounts_and_entries_follow_the_projects_you_read(
    api, cast, project, make_user, django_capture_on_commit_callbacks
):
    api.as_user(cast.finance).post(ENTRIES, body(project), format="json")
    period = api.as_user(cast.finance).post(PERIODS, {"period": PERIOD}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(cast.finance).post(f"{PERIODS}{period['id']}/run/")
    hr = make_user("api-hr", roles=["hr"])
    for url in (ENTRIES, "/api/v1/monthly-accounts/", "/api/v1/accounting-runs/"):
        assert api.as_user(hr).get(url).json()["results"] == [], url
    assert len(api.as_user(cast.pm).get("/api/v1/monthly-accounts/").json()["results"]) == 1


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_cost_the_same_whatever_the_number_of_rows(
    api, cast, project, make_user, django_capture_on_commit_callbacks
):
    lists = (ENTRIES, "/api/v1/monthly-accounts/", RATES, PERIODS, "/api/v1/accounting-runs/")
    api.as_user(cast.finance).post(ENTRIES, body(project), format="json")
    api.as_user(cast.finance).post(RATES, {"currency": "USD", "date": day(1).isoformat(), "rate": "7.1"}, format="json")
    period = api.as_user(cast.finance).post(PERIODS, {"period": PERIOD}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(cast.finance).post(f"{PERIODS}{period['id']}/run/")
    few = {url: _count(api.as_user(cast.finance), url) for url in lists}
    rows = [body(project, source_ref=f"Q-{i}", amount=f"{i + 1}.00") for i in range(40)]
    api.as_user(cast.finance).post(f"{ENTRIES}bulk/", {"entries": rows}, format="json")
    for i in range(1, 6):
        api.as_user(cast.finance).post(
            RATES, {"currency": "EUR", "date": day(i).isoformat(), "rate": "7.8"}, format="json"
        )
    project_in_build(Cast(make_user, prefix="q"), number="C-2026-77")
    api.as_user(cast.finance).post(PERIODS, {"period": "2020-01"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(cast.finance).post(f"{PERIODS}{period['id']}/run/")
    assert MonthlyAccount.objects.count() == 2
    assert {url: _count(api.as_user(cast.finance), url) for url in lists} == few


def test_finance_runs_the_accounting_from_the_admin_and_others_may_not(
    web, cast, project, make_user, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from finance.models import AccountingRun

    period = AccountingPeriod.objects.create(period=PERIOD)
    cast.finance.is_staff = True
    cast.finance.save()
    url = reverse("admin:finance_accountingperiod_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        r = web.as_user(cast.finance).post(
            url, {"action": "run_accounting", "_selected_action": [period.pk]}, follow=True
        )
    assert r.status_code == 200
    assert AccountingRun.objects.filter(period=period, state="succeeded").count() == 1
    assert MonthlyAccount.objects.filter(project=project, period=period).exists()
    r = web.as_user(cast.finance).post(url, {"action": "close_periods", "_selected_action": [period.pk]}, follow=True)
    assert AccountingPeriod.objects.get(pk=period.pk).state == "closed"
    r = web.as_user(cast.finance).post(url, {"action": "run_accounting", "_selected_action": [period.pk]}, follow=True)
    assert "closed" in r.content.decode() and AccountingRun.objects.count() == 1
    clerk = make_user("admin-clerk", roles=["sales"], is_staff=True)
    assert web.as_user(clerk).get(url).status_code == 403
