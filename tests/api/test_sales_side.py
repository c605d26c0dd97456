"""The sales side through the REST API: opportunities, quotes, contracts, projects and budgets,
their refusals, and list endpoints whose query count does not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.opportunities.factories import (
    Cast,
    OpportunityFactory,
    draft_contract,
    pass_atb,
    pass_atc,
    pass_ati,
)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def test_opportunity_create_update_and_lose(api, cast):
    from tests.leads.factories import CustomerFactory

    customer = CustomerFactory(owner=cast.owner)
    client = api.as_user(cast.owner)
    r = client.post(
        "/api/v1/opportunities/",
        {
            "name": "Data center",
            "customer": customer.pk,
            "expected_value": "500000.00",
            "currency": "usd",
            "probability": 30,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["state"], body["owner"], body["currency"], body["weighted_value"]) == (
        "validating",
        cast.owner.pk,
        "USD",
        "150000.00",
    )
    opp_id = body["id"]
    assert client.patch(f"/api/v1/opportunities/{opp_id}/", {"probability": 101}, format="json").status_code == 400
    assert (
        client.patch(f"/api/v1/opportunities/{opp_id}/", {"state": "won"}, format="json").json()["state"]
        == "validating"
    )
    r = client.post(f"/api/v1/opportunities/{opp_id}/transitions/abandon/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = client.post(f"/api/v1/opportunities/{opp_id}/transitions/ati/", {}, format="json")
    assert r.status_code == 409 and "ATI must be approved" in r.json()["reasons"][0]
    r = client.post(f"/api/v1/opportunities/{opp_id}/transitions/abandon/", {"reason": "No budget"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "abandoned" and r.json()["loss_reason"] == "No budget"


def test_opportunity_with_invisible_customer_is_refused(api, cast, make_user):
    from tests.leads.factories import CustomerFactory

    hidden = CustomerFactory(owner=make_user("other-owner", roles=["sales"]))
    r = api.as_user(cast.owner).post("/api/v1/opportunities/", {"name": "X", "customer": hidden.pk}, format="json")
    assert r.status_code == 400 and "customer" in r.json()


def test_forecast_endpoint(api, cast):
    OpportunityFactory(
        owner=cast.owner, expected_value="1000.00", probability=25, expected_close_date=datetime.date(2027, 1, 10)
    )
    rows = api.as_user(cast.owner).get("/api/v1/opportunities/forecast/").json()
    assert rows == [
        {"month": "2027-01", "currency": "CNY", "count": 1, "expected_value": "1000.00", "weighted_value": "250.00"}
    ]


def test_quote_api_validation_and_totals(api, cast):
    opp = OpportunityFactory(owner=cast.owner)
    client = api.as_user(cast.owner)
    line = {
        "description": "Router",
        "category": "equipment",
        "quantity": "2",
        "unit_price": "1000.00",
        "discount_percent": "5",
        "unit_cost": "600",
    }
    estimate = [{"category": "equipment", "amount": "1200.00"}, {"category": "travel", "amount": "100.00"}]
    for bad, field in [
        ({**line, "quantity": "-1"}, "lines"),
        ({**line, "discount_percent": "120"}, "lines"),
        ({**line, "currency": "EUR"}, "lines"),
        ({**line, "unit_price": "-3"}, "lines"),
    ]:
        r = client.post(
            "/api/v1/quotes/", {"opportunity": opp.pk, "lines": [bad], "estimate_lines": estimate}, format="json"
        )
        assert r.status_code == 400 and field in r.json(), r.json()
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "currency": "EUR", "lines": [line]}, format="json")
    assert r.status_code == 400 and "currency" in r.json()
    r = client.post(
        "/api/v1/quotes/",
        {"opportunity": opp.pk, "lines": [line], "estimate_lines": estimate, "payment_terms": "30/70"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    q = r.json()
    assert (q["version"], q["revenue"], q["cost"], q["gross_margin"], q["margin_percent"]) == (
        1,
        "1900.00",
        "1300.00",
        "600.00",
        "31.58",
    )
    assert q["lines"][0]["amount"] == "1900.00"
    r = client.post(f"/api/v1/quotes/{q['id']}/transitions/submit/")
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    r = client.patch(f"/api/v1/quotes/{q['id']}/", {"notes": "late change"}, format="json")
    assert r.status_code == 409


def test_contract_api(api, cast):
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    client = api.as_user(cast.owner)
    r = client.post(
        "/api/v1/contracts/",
        {
            "opportunity": opp.pk,
            "number": "C-9",
            "signed_date": "2026-11-20",
            "payment_milestones": [{"name": "All", "amount": "10.00", "trigger": "on_signing"}],
        },
        format="json",
    )
    assert r.status_code == 400 and "payment_milestones" in r.json()
    r = client.post(
        "/api/v1/contracts/",
        {
            "opportunity": opp.pk,
            "number": "C-9",
            "signed_date": "2026-11-20",
            "payment_milestones": [
                {"name": "Advance", "percent": "30", "trigger": "on_signing"},
                {"name": "Acceptance", "percent": "70", "trigger": "on_acceptance"},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    c = r.json()
    assert (c["value"], c["currency"], c["state"]) == ("1000000.00", "CNY", "draft")
    assert client.post(f"/api/v1/contracts/{c['id']}/transitions/sign/").json()["state"] == "signed"
    r = client.post(f"/api/v1/contracts/{c['id']}/transitions/hand_over/", {"date": "2026-12-01"}, format="json")
    assert r.status_code == 400 and {"attendees", "key_terms", "risks", "open_questions"} <= set(r.json())
    r = client.post(
        f"/api/v1/contracts/{c['id']}/transitions/hand_over/",
        {
            "date": "2026-12-01",
            "attendees": "PM, AR",
            "key_terms": "SLA",
            "risks": "Weather",
            "open_questions": "None open",
        },
        format="json",
    )
    assert r.status_code == 200 and r.json()["state"] == "handed_over"
    assert api.get(f"/api/v1/opportunities/{opp.pk}/").json()["state"] == "won"
    rows = api.get(f"/api/v1/payment-milestones/?contract={c['id']}").json()["results"]
    assert [(m["name"], m["state"]) for m in rows] == [("Advance", "due"), ("Acceptance", "planned")]


def test_project_api_permissions(api, cast, make_user):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    pid = opp.project.pk
    assert (
        api.as_user(cast.pm).patch(f"/api/v1/projects/{pid}/", {"key_risks": "Supply"}, format="json").status_code
        == 200
    )
    assert (
        api.as_user(cast.pm).patch(f"/api/v1/projects/{pid}/", {"pm_change_limit": "1000"}, format="json").status_code
        == 403
    )
    assert (
        api.as_user(cast.pmo).patch(f"/api/v1/projects/{pid}/", {"pm_change_limit": "1000"}, format="json").status_code
        == 200
    )
    assert (
        api.as_user(cast.owner).patch(f"/api/v1/projects/{pid}/", {"key_risks": "x"}, format="json").status_code == 403
    )
    assert api.as_user(make_user("pm-other", roles=["delivery"])).get(f"/api/v1/projects/{pid}/").status_code == 404
    r = api.as_user(cast.pm).post(
        "/api/v1/budgets/", {"project": pid, "lines": [{"category": "labour", "amount": "-1"}]}, format="json"
    )
    assert r.status_code == 400
    r = api.as_user(cast.pm).post(
        "/api/v1/budgets/", {"project": pid, "lines": [{"category": "labour", "amount": "10"}]}, format="json"
    )
    assert r.status_code == 201 and r.json()["total"] == "10.00"
    assert api.post(f"/api/v1/budgets/{r.json()['id']}/transitions/submit/").json()["state"] == "submitted"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/opportunities/",
        "/api/v1/quotes/",
        "/api/v1/contracts/",
        "/api/v1/payment-milestones/",
        "/api/v1/projects/",
        "/api/v1/budgets/",
    ],
)
def test_list_endpoint_query_count_is_constant(api, make_user, url):
    cast = Cast(make_user, prefix="qc")

    def grow(n, start):
        for i in range(n):
            opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
            draft_contract(opp, cast, number=f"QC-{start + i}")

    def count():
        api.force_authenticate(type(cast.director).objects.get(pk=cast.director.pk))
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(1, 0)
    few = count()
    grow(3, 10)
    assert count() == few


def test_internal_project_steps_are_409_not_500(api, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    r = api.as_user(cast.pm).post(f"/api/v1/projects/{opp.project.pk}/transitions/plan/")
    assert r.status_code == 409 and "ATB" in r.json()["reasons"][0]


def test_hr_does_not_read_deals(api, cast, make_user):
    OpportunityFactory(owner=cast.owner)
    hr = make_user("hr-user", roles=["hr"])
    assert api.as_user(hr).get("/api/v1/opportunities/").json()["count"] == 0
    assert api.as_user(hr).get("/api/v1/customers/").status_code == 200
