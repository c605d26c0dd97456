"""API tokens expire (API_TOKEN_TTL_DAYS) and can be revoked."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def get_token(client, username):
    r = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.content
    return r.json()


def test_token_carries_its_expiry_and_is_the_same_until_then(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    make_user("tok", roles=["sales"])
    client = APIClient()
    first = get_token(client, "tok")
    assert first["expires_at"]
    assert get_token(client, "tok")["token"] == first["token"]


def test_expired_token_is_refused_with_a_clear_message_and_replaced(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    make_user("tok", roles=["sales"])
    client = APIClient()
    key = get_token(client, "tok")["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=30, seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = client.get("/api/v1/me/")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"] and "/api/v1/auth/token/" in r.json()["detail"]
    assert r.has_header("WWW-Authenticate")
    client.credentials()
    new = get_token(client, "tok")["token"]
    assert new != key
    client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert client.get("/api/v1/me/").status_code == 200


def test_token_one_day_before_its_expiry_works(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    make_user("tok", roles=["sales"])
    client = APIClient()
    key = get_token(client, "tok")["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=29))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200


def test_no_expiry_when_ttl_is_zero(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 0
    make_user("tok", roles=["sales"])
    client = APIClient()
    body = get_token(client, "tok")
    assert body["expires_at"] is None
    Token.objects.filter(key=body["token"]).update(created=timezone.now() - timedelta(days=3650))
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/me/").status_code == 200


def test_revoke_stops_the_token_at_once(make_user):
    make_user("tok", roles=["sales"])
    client = APIClient()
    key = get_token(client, "tok")["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = client.post("/api/v1/auth/token/revoke/")
    assert r.status_code == 204 and not r.content
    r = client.get("/api/v1/me/")
    assert r.status_code == 401
    assert not Token.objects.filter(key=key).exists()


def test_revoke_needs_authentication():
    r = APIClient().post("/api/v1/auth/token/revoke/")
    assert r.status_code == 401 and "detail" in r.json()


def test_revoke_only_touches_your_own_token(make_user):
    make_user("tok", roles=["sales"])
    make_user("other", roles=["sales"])
    mine, theirs = APIClient(), APIClient()
    key = get_token(mine, "tok")["token"]
    other_key = get_token(theirs, "other")["token"]
    mine.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert mine.post("/api/v1/auth/token/revoke/").status_code == 204
    theirs.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert theirs.get("/api/v1/me/").status_code == 200


def test_wrong_password_is_a_400_with_no_token(make_user):
    make_user("tok", roles=["sales"])
    r = APIClient().post("/api/v1/auth/token/", {"username": "tok", "password": "nope"})
    assert r.status_code == 400 and "token" not in r.json()
