"""Fixtures for the browser journeys: a system Chromium driven by pytest-playwright against
pytest-django's ``live_server`` (a real HTTP server on the test database).

Notes
- Never run ``playwright install``: the browser is the system Chromium at /usr/bin/chromium.
- ``live_server`` implies the transactional database: every e2e test commits for real and the
  database is flushed afterwards. The flush also wipes the role groups the data migration
  ``core.0002_roles`` created, so ``role_groups`` (autouse here) puts them back before each test,
  and once more after the module's last test for the tests that run next.
- Playwright's sync API runs an event loop in the test thread; the ORM calls made from the test
  therefore need ``DJANGO_ALLOW_ASYNC_UNSAFE`` (set by pytest-env in pyproject.toml).
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from ltc_portal.core.roles import Role
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
E2E_DIR = Path(__file__).resolve().parent
#: where every journey keeps its screenshots (a CI artefact; bench/results/ is not committed)
SHOTS = E2E_DIR.parents[1] / "bench" / "results" / "screenshots"


def screenshot(page, name: str) -> Path:
    """A full-page screenshot of ``page`` as ``SHOTS/<name>.png``; the path is returned."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(config, items):
    """Every test in tests/e2e is an ``e2e`` test (select or skip them with ``-m``)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A desktop-sized window, so the navbar is expanded (no hamburger toggle to open first); a reader
    # who asks for less motion, so charts are drawn at once and a screenshot shows them whole.
    return {
        **browser_context_args,
        "viewport": {"width": 1366, "height": 900},
        "locale": "en-US",
        "reduced_motion": "reduce",
    }


def _ensure_role_groups():
    for role in Role.values:
        Group.objects.get_or_create(name=role)


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """The role groups, as the data migration creates them (see the module docstring)."""
    _ensure_role_groups()


@pytest.fixture(scope="module", autouse=True)
def _role_groups_back_after_the_last_flush(django_db_setup, django_db_blocker):
    """Leave the role groups in the test database for whatever runs after these tests (the last
    test's flush removed them), as any test relying on the data migration expects."""
    yield
    with django_db_blocker.unblock():
        _ensure_role_groups()


@pytest.fixture
def page(page, live_server):
    """pytest-playwright's page, with short timeouts: a broken page should fail fast, not hang."""
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(20_000)
    return page


@pytest.fixture
def login(page, live_server):
    """``login(user)`` signs ``user`` in through the real login page and returns the page,
    left on the dashboard."""

    def do_login(user, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form[action='/accounts/login/'] button[type=submit]")
        assert page.url == f"{live_server.url}/", f"login failed for {user.username}, still on {page.url}"
        return page

    return do_login
