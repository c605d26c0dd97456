"""Settings come from the environment; production-style settings refuse the default secret key
and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.update(
        {
            "DATABASE_URL": "sqlite:///:memory:",
            "SECURE_SSL_REDIRECT": "true",
            "SESSION_COOKIE_SECURE": "true",
            "CSRF_COOKIE_SECURE": "true",
        }
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_refuses_to_serve_on_default_secret_key_without_debug():
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    for code in ("import ltc_portal.wsgi", "import ltc_portal.asgi"):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0
        assert "SECRET_KEY is the built-in development key" in result.stderr
    result = run_manage("runserver", "127.0.0.1:0", "--noreload", ALLOWED_HOSTS="localhost")
    assert result.returncode != 0 and "SECRET_KEY is the built-in development key" in result.stderr
    result = run_manage("check")
    assert "ltc.W001" in result.stderr + result.stdout


def test_a_real_key_serves_without_warning():
    code = "import ltc_portal.wsgi; print('served')"
    env = {**{k: v for k, v in os.environ.items() if k != "DEBUG"}, "SECRET_KEY": "k" * 50}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "served" in result.stdout, result.stderr


def test_debug_mode_starts_on_the_default_key():
    result = run_manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_for_a_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="p" * 20 + "-Zq8#kLm2$vN9@xR4!tY7&wB1^cD5*eF3",
        ALLOWED_HOSTS="ltc.example.com",
        SECURE_HSTS_PRELOAD="true",
    )
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION_KEY = "p" * 20 + "-Zq8#kLm2$vN9@xR4!tY7&wB1^cD5*eF3"


def test_check_deploy_is_clean_with_only_the_required_environment_on_postgresql():
    """DEBUG off, a real key and the host name: nothing else set, PostgreSQL as in production."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        DEBUG="false",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="ltc.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_check_deploy_fails_on_a_weak_key_or_insecure_cookies():
    weak = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="short", ALLOWED_HOSTS="x.example")
    assert weak.returncode != 0 and "security.W009" in weak.stdout + weak.stderr
    cookies = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="x.example",
        SESSION_COOKIE_SECURE="false",
        SECURE_SSL_REDIRECT="false",
    )
    output = cookies.stdout + cookies.stderr
    assert cookies.returncode != 0 and "security.W012" in output and "security.W008" in output


def test_preload_warning_is_silenced_only_while_preload_is_off():
    code = "from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)"
    on = run_manage("shell", "-c", code, SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x", SECURE_HSTS_PRELOAD="true")
    assert on.returncode == 0 and on.stdout.strip().endswith("[]"), on.stderr


def test_base_currency_and_time_zone_from_environment():
    code = "from django.conf import settings; print(settings.BASE_CURRENCY, settings.TIME_ZONE)"
    result = run_manage("shell", "-c", code, DEBUG="true", BASE_CURRENCY="eur", TIME_ZONE="Europe/Berlin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("EUR Europe/Berlin")


def test_the_portals_postgresql_connections_plan_for_fast_storage_without_jit(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
