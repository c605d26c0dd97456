"""A browser journey per role (issue 10 §5): each demo user signs in through the login page and finds
their home's panels holding their own work; a screenshot of each home is kept under
bench/results/screenshots/ (a CI artefact, not committed)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from ltc_portal.core.demo import DEMO_PASSWORD
from tests.e2e.conftest import screenshot

#: demo user → (panels their home must show, text that must be in them, panels it must not show)
HOMES = {
    "sales": (
        {"panel-pipeline": "Validating", "panel-my-requests": "ATI", "panel-best-leads": "深圳前海数据科技有限公司"},
        ["panel-ltc-flow", "panel-finance"],
    ),
    "sales2": ({"panel-pipeline": "GBP", "panel-my-requests": "Northwind"}, ["panel-ltc-flow", "panel-funnel"]),
    "solution": ({"panel-funnel": "Validating"}, ["panel-pipeline", "panel-finance", "panel-my-projects"]),
    "director": ({"panel-decisions": "ATI", "panel-funnel": "Validating", "panel-pipeline": "Bidding"}, ["panel-hr"]),
    "pmo": ({"panel-decisions": "DRA", "panel-funnel": "Analysis"}, ["panel-ltc-flow"]),
    "pm": (
        {"panel-my-projects": "DR3", "panel-milestones-due": "District pilot live"},
        ["panel-decisions", "panel-funnel", "panel-finance"],
    ),
    "finance": ({"panel-finance": "DSO"}, ["panel-funnel", "panel-hr"]),
    "executive": ({"panel-ltc-flow": "Contracts", "panel-pipeline": "Bidding"}, ["panel-finance"]),
    "hr": ({"panel-hr": "appraisals to calibrate"}, ["panel-pipeline", "panel-ltc-flow"]),
    "admin": ({"panel-ltc-flow": "Contracts", "panel-finance": "DSO", "panel-hr": "近30天"}, ["panel-my-projects"]),
}


def _panels_keep_their_gutters(page, username):
    """No panel covers the welcome line, and panels side by side have space between them."""
    welcome = page.locator("#home-roles").bounding_box()
    cards = [page.locator(f"#{key} .card, #{key}.card").first.bounding_box() for key in _panel_ids(page)]
    assert cards and all(c["y"] >= welcome["y"] + welcome["height"] for c in cards), f"{username}: a panel covers"
    for a in cards:
        for b in cards:
            if a is not b and abs(a["y"] - b["y"]) < 1 and a["x"] < b["x"]:
                assert b["x"] - (a["x"] + a["width"]) >= 8, f"{username}: two panels touch"


def _panel_ids(page):
    return page.locator("[id^=home-panel-] > [id^=panel-]").evaluate_all("els => els.map(e => e.id)")


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)
    return {u.username: u for u in get_user_model().objects.filter(username__in=HOMES)}


def test_every_role_finds_its_own_work_on_its_home(page, live_server, demo):
    for username, (shown, hidden) in HOMES.items():
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/accounts/login/'] button[type=submit]")
        assert page.url == f"{live_server.url}/", f"{username} did not land on the home page"
        for panel, text in shown.items():
            expect(page.locator(f"#{panel}"), f"{username}: {panel}").to_contain_text(text)
        for panel in hidden:
            expect(page.locator(f"#{panel}"), f"{username} must not see {panel}").to_have_count(0)
        expect(page.locator("body")).not_to_contain_text("Nothing to show for your roles yet")
        _panels_keep_their_gutters(page, username)
        assert screenshot(page, f"home-{username}").stat().st_size > 10_000


def test_the_navbar_stays_on_one_line_and_has_a_favicon(page, live_server, make_user, login):
    admin = make_user("nav-admin", is_superuser=True, is_staff=True, first_name="Ada", last_name="Longname")
    for width in (1200, 1400, 1600, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        login(admin)
        height = page.locator("#navbar").bounding_box()["height"]
        assert height < 70, f"the navbar wraps at {width}px ({height}px tall)"
        page.context.clear_cookies()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").status == 200
    assert page.request.get(f"{live_server.url}/favicon.ico").status == 200  # redirected to the SVG
