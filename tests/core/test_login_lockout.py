"""Login lockout (django-axes): 30 wrong passwords then the right one is refused, on the login page, the
admin's and the API's token endpoint; a cool-off later it works; spraying many user names from one address
is stopped too; the client address behind TRUSTED_PROXY_COUNT proxies."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from ltc_portal.core.security import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/accounts/login/", "/admin/login/", "/api/v1/auth/token/"]


def attempt(client, path, username, password):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR="10.9.8.7")


def logged_in(path, response):
    if path == "/api/v1/auth/token/":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


def pass_the_cool_off(minutes=16):
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_thirty_wrong_passwords_then_the_right_one_is_refused(path, make_user):
    user = make_user("victim", roles=["sales"], is_staff=True)
    client = APIClient() if path.startswith("/api/") else Client()
    for _ in range(30):
        r = attempt(client, path, user.username, "wrong-password")
        assert r.status_code in (200, 400, 429)
    r = attempt(client, path, user.username, PASSWORD)
    assert not logged_in(path, r)
    assert r.status_code == 429
    assert int(r["Retry-After"]) == 15 * 60
    if path.startswith("/api/"):
        assert r["Content-Type"].startswith("application/json")
        assert "Too many failed logins" in r.json()["detail"]
    else:
        assert "Too many failed logins from your address" in r.content.decode()
        assert "15 minutes" in r.content.decode()
    # audited: the failures are kept by user name and address
    row = AccessAttempt.objects.get(username="victim")
    assert row.ip_address == "10.9.8.7" and row.failures_since_start >= 5
    # after the cool-off the right password works again (and is logged)
    pass_the_cool_off()
    r = attempt(client, path, user.username, PASSWORD)
    assert logged_in(path, r), (r.status_code, r.content[:300])
    assert AccessLog.objects.filter(username="victim").exists()


def test_locked_after_five_not_four(make_user):
    make_user("carol", roles=["sales"])
    client = Client()
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "carol", "nope").status_code == 200
    assert logged_in("/accounts/login/", attempt(client, "/accounts/login/", "carol", PASSWORD))
    client.logout()
    for _ in range(5):
        attempt(client, "/accounts/login/", "carol", "nope")
    assert attempt(client, "/accounts/login/", "carol", PASSWORD).status_code == 429


def test_a_lock_is_per_user_and_address(make_user):
    make_user("carol", roles=["sales"])
    make_user("dan", roles=["sales"])
    client = Client()
    for _ in range(6):
        attempt(client, "/accounts/login/", "carol", "nope")
    # another user from the same address still logs in; carol from another address too
    assert logged_in("/accounts/login/", attempt(Client(), "/accounts/login/", "dan", PASSWORD))
    r = Client().post("/accounts/login/", {"username": "carol", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert r.status_code == 302


def test_spraying_many_user_names_from_one_address_is_stopped(make_user, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    make_user("target", roles=["sales"])
    client = Client()
    for i in range(12):  # one or two tries per name: never the per-user limit
        attempt(client, "/accounts/login/", f"guess{i}", "Password1")
    r = attempt(client, "/accounts/login/", "target", PASSWORD)
    assert r.status_code == 429
    # another address is not affected
    r = Client().post("/accounts/login/", {"username": "target", "password": PASSWORD}, REMOTE_ADDR="10.2.2.2")
    assert r.status_code == 302


def test_lockout_message_in_chinese(make_user):
    make_user("carol", roles=["sales"])
    client = APIClient()
    for _ in range(5):
        attempt(client, "/api/v1/auth/token/", "carol", "nope")
    r = client.post(
        "/api/v1/auth/token/",
        {"username": "carol", "password": PASSWORD},
        REMOTE_ADDR="10.9.8.7",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 429
    assert "登录失败次数过多" in r.json()["detail"]


def test_superuser_sees_the_attempts_in_the_admin(make_user):
    make_user("carol", roles=["sales"])
    for _ in range(5):
        attempt(Client(), "/accounts/login/", "carol", "nope")
    admin = make_user("root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    r = client.get("/admin/axes/accessattempt/")
    assert r.status_code == 200 and "carol" in r.content.decode()
    staff = make_user("staffer", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, "1.1.1.1", "10.0.0.1"),  # no proxy trusted: the header is the client's word, ignored
        (1, "6.6.6.6, 2.2.2.2", "2.2.2.2"),  # one proxy: the address it appended; the spoofed one ignored
        (2, "6.6.6.6, 3.3.3.3, 10.0.0.9", "3.3.3.3"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
