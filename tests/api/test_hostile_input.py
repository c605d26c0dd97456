"""Hostile input gets a 4xx naming what is wrong, never a 500 (issue 11 §1): money totals and products
that overflow their column."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.models import Contract
from finance import services as finance
from finance.models import Budget
from ltc_portal.core.money import fit
from opportunities import services as quotes
from opportunities.models import Quote
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati

MAX = "9999999999999999.99"  # the largest amount a money column (18 digits, 2 places) holds


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def test_fit_rounds_to_the_field_or_names_it():
    revenue = Quote._meta.get_field("revenue")
    assert fit(Decimal("1.005"), revenue) == Decimal("1.01")
    assert fit(Decimal(MAX), revenue) == Decimal(MAX)
    for too_big in (Decimal(MAX) + Decimal("0.01"), Decimal(MAX) * 100, Decimal("1E+40"), Decimal("Infinity")):
        with pytest.raises(ValidationError) as refused:
            fit(too_big, revenue, key="lines")
        assert "lines" in refused.value.message_dict and "revenue" in refused.value.message_dict["lines"][0]
    assert fit(Decimal("-5"), Budget._meta.get_field("total")) == Decimal("-5.00")
    with pytest.raises(ValidationError):
        fit(Decimal("-" + MAX) - 1, Contract._meta.get_field("value"))


def test_a_quote_line_that_overflows_the_revenue_is_400_with_the_field(api, cast):
    opp = OpportunityFactory(owner=cast.owner)
    client = api.as_user(cast.owner)
    line = {"description": "Huge", "category": "equipment", "quantity": "100", "unit_price": MAX, "unit_cost": "0"}
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [line]}, format="json")
    assert r.status_code == 400 and "revenue" in r.json()["lines"][0], r.json()
    # beyond the context's 28 digits (InvalidOperation before): still a 400
    line = {**line, "quantity": "999999999999.99"}
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [line]}, format="json")
    assert r.status_code == 400 and "lines" in r.json()
    two = [{"category": "equipment", "amount": MAX}, {"category": "labour", "amount": MAX}]
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [], "estimate_lines": two}, format="json")
    assert r.status_code == 400 and "cost" in r.json()["estimate_lines"][0]
    assert not Quote.objects.filter(opportunity=opp).exists()
    ok = {**line, "quantity": "1"}
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [ok]}, format="json")
    assert r.status_code == 201 and r.json()["revenue"] == MAX
    r = client.patch(f"/api/v1/quotes/{r.json()['id']}/", {"lines": [ok, ok]}, format="json")
    assert r.status_code == 400 and "lines" in r.json()


def test_two_budget_lines_at_the_maximum_are_400(api, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    lines = [{"category": "labour", "amount": MAX}, {"category": "equipment", "amount": MAX}]
    r = api.as_user(cast.pm).post("/api/v1/budgets/", {"project": opp.project.pk, "lines": lines}, format="json")
    assert r.status_code == 400 and "total" in r.json()["lines"][0], r.json()
    assert not Budget.objects.filter(project=opp.project).exists()
    r = api.as_user(cast.pm).post("/api/v1/budgets/", {"project": opp.project.pk, "lines": lines[:1]}, format="json")
    assert r.status_code == 201


def test_a_body_over_the_upload_limit_is_413_json(api, cast, settings):
    client = api.as_user(cast.owner)
    body = b'{"name": "' + b"x" * (21 * 1024 * 1024) + b'"}'
    r = client.generic("POST", "/api/v1/leads/", body, content_type="application/json")
    assert r.status_code == 413 and r["Content-Type"].startswith("application/json")
    assert "20 MB" in r.json()["detail"]
    # a form body over the limit (Django's own check) answers the same
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    r = client.generic("POST", "/api/v1/leads/", "name=" + "x" * 2048, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and "detail" in r.json()


def test_json_nested_fifty_thousand_deep_is_400(api, cast):
    client = api.as_user(cast.owner)
    body = "[" * 50000 + "]" * 50000
    r = client.generic("POST", "/api/v1/leads/", body, content_type="application/json")
    assert r.status_code == 400 and "nested too deeply" in r.json()["detail"]


def test_an_oversized_form_is_a_413_page(web, cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    r = web.as_user(cast.owner).post(
        "/leads/new/", "name=" + "x" * 2048, content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 413 and b"too large" in r.content


def test_more_lines_than_a_record_holds_are_400_in_the_services_words(api, cast, settings):
    settings.MAX_LINES_PER_RECORD = 3
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    client = api.as_user(cast.owner)
    line = {"description": "Port", "category": "equipment", "quantity": "1", "unit_price": "10", "unit_cost": "1"}
    words = "At most 3 lines per record; this one has 4."
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [line] * 4}, format="json")
    assert r.status_code == 400 and r.json()["lines"] == [words], r.json()
    estimate = [{"category": "labour", "amount": "1"}] * 4
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "estimate_lines": estimate}, format="json")
    assert r.status_code == 400 and r.json()["estimate_lines"] == [words]
    r = client.post("/api/v1/quotes/", {"opportunity": opp.pk, "lines": [line] * 3}, format="json")
    assert r.status_code == 201
    budget = [{"category": "labour", "amount": "1"}] * 4
    r = api.as_user(cast.pm).post("/api/v1/budgets/", {"project": opp.project.pk, "lines": budget}, format="json")
    assert r.status_code == 400 and r.json()["lines"] == [words]
    # the services say the same for every door (pages, admin)
    with pytest.raises(ValidationError) as refused:
        quotes.quote_create(opportunity=opp, user=cast.owner, data={"lines": [line] * 4})
    assert refused.value.message_dict == {"lines": [words]}
    with pytest.raises(ValidationError) as refused:
        finance.budget_create(project=opp.project, user=cast.pm, data={"lines": budget})
    assert refused.value.message_dict == {"lines": [words]}


@pytest.mark.parametrize("size", ["true", "-1", "0", "1.5", "²"])
def test_a_page_size_that_is_no_whole_positive_number_is_400(api, cast, size):
    r = api.as_user(cast.owner).get("/api/v1/leads/", {"page_size": size})
    assert r.status_code == 400 and "page_size" in r.json()


def test_a_good_page_size_is_kept_and_a_large_one_cut(api, cast):
    client = api.as_user(cast.owner)
    assert client.get("/api/v1/leads/", {"page_size": "5"}).status_code == 200
    assert client.get("/api/v1/leads/", {"page_size": "100000"}).status_code == 200
