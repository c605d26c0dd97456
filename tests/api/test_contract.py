"""The API contract: token authentication, JSON errors, and no 500 for anything a client can send."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from leads.models import Lead
from tests.leads.factories import LeadFactory

LEAD_FIELDS = [
    "company_name",
    "contact_name",
    "email",
    "phone",
    "source",
    "campaign",
    "need",
    "budget_amount",
    "budget_currency",
    "timeline",
    "notes",
    "owner",
    "state",
    "score",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6,
)


def test_token_authentication(db, make_user):
    user = make_user("tokenuser", roles=["sales"])
    client = APIClient()
    r = client.post("/api/v1/auth/token/", {"username": "tokenuser", "password": "wrong"})
    assert r.status_code == 400
    r = client.post("/api/v1/auth/token/", {"username": "tokenuser", "password": "test-pass-123"})
    assert r.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == user.username and me["roles"] == ["sales"]
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = client.get("/api/v1/leads/")
    assert r.status_code == 401 and "detail" in r.json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.sampled_from(LEAD_FIELDS), json_values, max_size=8))
def test_lead_create_never_500s(api, sales, payload):
    r = api.as_user(sales).post("/api/v1/leads/", data=json.dumps(payload), content_type="application/json")
    assert r.status_code in (201, 400), (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json")
    if r.status_code == 400:
        assert isinstance(r.json(), dict)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
    body=st.dictionaries(st.text(max_size=10), json_values, max_size=3),
)
def test_transition_calls_never_500(api, sales, name, body):
    lead = Lead.objects.filter(owner=sales).first() or LeadFactory(owner=sales)
    r = api.as_user(sales).post(
        f"/api/v1/leads/{lead.pk}/transitions/{name}/", data=json.dumps(body), content_type="application/json"
    )
    assert r.status_code in (200, 400, 404, 409), (r.status_code, r.content[:300])


@pytest.mark.parametrize(
    "query",
    [
        "?page=999",
        "?page=abc",
        "?page_size=-1",
        "?ordering=nonexistent",
        "?owner=abc",
        "?min_score=x",
        "?state=new&state=bogus",
    ],
)
def test_odd_list_queries_are_answered_in_json(api, director, query):
    r = api.as_user(director).get("/api/v1/leads/" + query)
    assert r.status_code in (200, 400, 404) and r["Content-Type"].startswith("application/json")
