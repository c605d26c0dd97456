"""PostgreSQL restarted under the web process: its persistent connections are killed
(pg_terminate_backend) and the next request still succeeds, because CONN_HEALTH_CHECKS checks a reused
connection first. Without the checks the same request fails: the test proves what it claims."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "ltc_web_restart_test"

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback only
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def web_backends():
    with connection.cursor() as c:
        c.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return [row[0] for row in c.fetchall()]


def terminate_web_backends():
    pids = web_backends()
    with connection.cursor() as c:
        for pid in pids:
            c.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while set(web_backends()) & set(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids


@pytest.fixture
def web_server(transactional_db):
    """The portal under gunicorn (one worker, one persistent connection) on the test database."""
    servers = []

    def start(health_checks: bool):
        s = connection.settings_dict
        port = free_port()
        url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}?application_name={APP_NAME}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CONN_MAX_AGE": "600",
            "CONN_HEALTH_CHECKS": "true" if health_checks else "false",
            "DEBUG": "false",
            "SECRET_KEY": "test-only-secret-key-never-used-in-production-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_BROKER_URL": "",
        }
        if s.get("PASSWORD"):
            env["PGPASSWORD"] = s["PASSWORD"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ltc_portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "-t", "30"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start")

    yield start
    for proc in servers:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def token(transactional_db):
    user = UserFactory(username="restart", roles=["sales"])
    return Token.objects.create(user=user).key


def test_the_next_request_after_the_connections_are_killed_succeeds(web_server, token):
    base = web_server(health_checks=True)
    assert get(f"{base}/api/v1/me/", token) == 200
    before = web_backends()
    assert before, "the web process keeps a persistent connection"
    terminate_web_backends()
    assert get(f"{base}/api/v1/me/", token) == 200
    assert get(f"{base}/api/v1/leads/", token) == 200
    after = web_backends()
    assert after and not set(after) & set(before), "a new connection replaced the killed one"


def test_without_health_checks_the_same_request_fails(web_server, token):
    base = web_server(health_checks=False)
    assert get(f"{base}/api/v1/me/", token) == 200
    terminate_web_backends()
    assert get(f"{base}/api/v1/me/", token) == 500
    assert get(f"{base}/api/v1/me/", token) == 200  # the broken connection was dropped after the error
