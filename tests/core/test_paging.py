"""Lists count exactly up to LIST_EXACT_COUNT_MAX rows, then (PostgreSQL) take the planner's estimate
and say so in X-Count-Estimated; the pagination shape of API.md stays."""

import pytest
from django.db import connection

from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_small_lists_count_exactly(api, director, settings):
    settings.LIST_EXACT_COUNT_MAX = 10
    LeadFactory.create_batch(4)
    response = api.as_user(director).get("/api/v1/leads/")
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert response.json()["count"] == 4
    assert "X-Count-Estimated" not in response


def test_beyond_the_bound_the_count_is_estimated_and_says_so(api, web, director, settings):
    settings.LIST_EXACT_COUNT_MAX = 3
    LeadFactory.create_batch(6)
    response = api.as_user(director).get("/api/v1/leads/", {"page_size": 2})
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"} and len(body["results"]) == 2
    if connection.vendor == "postgresql":
        assert response["X-Count-Estimated"] == "true"
        assert body["count"] >= 4  # never below the bound it passed
    else:
        assert body["count"] == 6 and "X-Count-Estimated" not in response
    assert web.as_user(director).get("/leads/").status_code == 200


def test_a_filtered_list_under_the_bound_is_exact(api, director, sales, settings):
    settings.LIST_EXACT_COUNT_MAX = 3
    LeadFactory.create_batch(6)
    LeadFactory(owner=sales, company_name="Only mine")
    response = api.as_user(sales).get("/api/v1/leads/")
    assert response.json()["count"] == 1 and "X-Count-Estimated" not in response
