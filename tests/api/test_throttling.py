"""API throttles: per user, per anonymous address, and the stricter bulk scope; 429 JSON with Retry-After;
429 declared in the schema for every operation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Set the rates for a test (DRF reads them into the throttle class when it is imported)."""

    def set_rates(**rates):
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, **rates})

    return set_rates


def assert_throttled(r, json=True):
    assert r.status_code == 429, (r.status_code, r.content[:200])
    if json:
        assert r["Content-Type"].startswith("application/json")
        assert "throttled" in r.json()["detail"].lower()
    assert int(r["Retry-After"]) >= 1


def test_rates_come_from_settings():
    assert set(api_settings.DEFAULT_THROTTLE_RATES) >= {"user", "anon", "bulk"}


def test_a_user_over_the_rate_gets_429_with_retry_after(rates, api, sales, other_sales):
    rates(user="3/minute")
    client = api.as_user(sales)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    assert_throttled(client.get("/api/v1/me/"))
    # per user: another user is not affected
    other = APIClient()
    other.force_authenticate(other_sales)
    assert other.get("/api/v1/me/").status_code == 200


def test_anonymous_requests_are_throttled_per_address(rates, settings):
    """Anonymous callers reach only the token endpoint and the schema (elsewhere: 401 before any count)."""
    settings.API_DOCS_REQUIRE_LOGIN = False
    rates(anon="2/minute")
    client = APIClient()
    for _ in range(2):
        assert client.get("/api/schema/", REMOTE_ADDR="10.3.3.3").status_code == 200
    assert_throttled(client.get("/api/schema/", REMOTE_ADDR="10.3.3.3"), json=False)  # the schema's renderer
    assert client.get("/api/schema/", REMOTE_ADDR="10.4.4.4").status_code == 200


def test_the_token_endpoint_is_throttled_as_anonymous(rates, sales):
    rates(anon="2/minute")
    client = APIClient()
    for _ in range(2):
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"})
    assert_throttled(client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}))


def test_a_spoofed_forwarded_for_does_not_escape_the_anonymous_rate(rates, settings):
    rates(anon="2/minute")
    client = APIClient()
    for i in range(2):
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR=f"9.9.9.{i}")
    r = client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="9.9.9.99")
    assert_throttled(r)


def test_bulk_endpoints_have_the_stricter_scope(rates, api, sales):
    rates(user="100/minute", bulk="2/hour")
    client = api.as_user(sales)
    for _ in range(2):
        upload = SimpleUploadedFile("leads.csv", b"company_name,contact_name\n", content_type="text/csv")
        r = client.post("/api/v1/leads/import/", {"file": upload}, format="multipart")
        assert r.status_code != 429
    upload = SimpleUploadedFile("leads.csv", b"company_name,contact_name\n", content_type="text/csv")
    assert_throttled(client.post("/api/v1/leads/import/", {"file": upload}, format="multipart"))
    # ordinary endpoints still answer
    assert client.get("/api/v1/leads/").status_code == 200


def test_cost_entry_bulk_is_in_the_bulk_scope(rates, api, finance):
    rates(user="100/minute", bulk="1/hour")
    client = api.as_user(finance)
    assert client.post("/api/v1/cost-entries/bulk/", {"entries": []}, format="json").status_code != 429
    assert_throttled(client.post("/api/v1/cost-entries/bulk/", {"entries": []}, format="json"))


def test_schema_declares_429_on_every_operation(api, sales):
    schema = api.as_user(sales).get("/api/schema/?format=json").json()
    operations = [
        op for item in schema["paths"].values() for m, op in item.items() if m in ("get", "post", "put", "patch")
    ]
    assert operations
    for op in operations:
        assert "429" in op["responses"], op.get("operationId")
        assert "Retry-After" in op["responses"]["429"]["headers"]
