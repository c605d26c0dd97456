"""Response headers: a Content-Security-Policy with no inline script (and no inline script or on*= handler
left in any template), Permissions-Policy, Cache-Control: no-store for signed-in users; the API schema and
docs behind a login when API_DOCS_REQUIRE_LOGIN says so."""

import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("ltc_portal/*/templates")]

pytestmark = pytest.mark.django_db


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_csp_without_inline_script(client):
    r = client.get("/accounts/login/")
    policy = directives(r["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for m in re.finditer(r"<script\b([^>]*)>", text):
                attrs = m.group(1)
                if "src=" not in attrs and "application/json" not in attrs:
                    offenders.append(f"{path}: inline <script>")
            for m in re.finditer(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", text):
                offenders.append(f"{path}: {m.group(0)[:60]}")
            if "javascript:" in text:
                offenders.append(f"{path}: javascript: URL")
    assert not offenders, offenders


def test_permissions_policy_on_every_response(client, sales):
    assert "camera=()" in client.get("/accounts/login/")["Permissions-Policy"]
    client.force_login(sales)
    assert "geolocation=()" in client.get("/")["Permissions-Policy"]
    assert "microphone=()" in APIClient().get("/api/v1/me/")["Permissions-Policy"]


def test_signed_in_pages_are_not_cached(client, sales):
    client.force_login(sales)
    for url in ("/", "/leads/"):
        r = client.get(url)
        assert r.status_code == 200
        assert "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"]
    # static files stay cacheable for a signed-in user (whitenoise answers before the middleware)
    static = client.get("/static/js/portal.js")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_api_answers_to_a_token_are_not_cached(sales):
    key = Token.objects.create(user=sales).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = api.get("/api/v1/leads/")
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]


def test_docs_need_a_login_when_the_setting_says_so(settings, sales):
    settings.API_DOCS_REQUIRE_LOGIN = True
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 401
    r = Client().get("/api/docs/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/api/docs/")
    client = Client()
    client.force_login(sales)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's own script is served apart (no inline script under the CSP)
    assert not re.search(r"<script>(?!\s*</script>)", docs.content.decode())
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    key = Token.objects.create(user=sales).key
    assert anonymous.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_docs_are_open_when_the_setting_is_off(settings):
    settings.API_DOCS_REQUIRE_LOGIN = False
    assert APIClient().get("/api/schema/").status_code == 200
    assert Client().get("/api/docs/").status_code == 200


def test_docs_login_defaults_follow_debug():
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.API_DOCS_REQUIRE_LOGIN)"
    for debug, expected in (("false", "True"), ("true", "False")):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={**__import__("os").environ, "DEBUG": debug},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.stdout.strip().endswith(expected), result.stderr
