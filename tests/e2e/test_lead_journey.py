"""A sales user's way from a new lead to an opportunity, in a real headless Chromium.

The journey runs twice: with the page's scripts as served, and with htmx blocked, because every
step of it is a plain form post (htmx only adds the live duplicate check on the lead form).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead
from ltc_portal.core.models import TransitionLog
from opportunities.models import Opportunity
from tests.e2e.conftest import screenshot
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.e2e

LEAD_URL = re.compile(r"/leads/(\d+)/$")


def _watch_assets(page: Page, live_server_url: str, *, blocked: str | None) -> list[str]:
    """Collect every broken asset or script error the page meets (a list to assert empty at the end)."""
    problems: list[str] = []

    def on_response(response):
        if response.url.startswith(live_server_url + "/static/") and response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    def on_failed(request):
        # a favicon load the browser drops when the page navigates on is not a broken asset
        if request.url.endswith("/favicon.svg") and "ERR_ABORTED" in (request.failure or ""):
            return
        if blocked is None or blocked not in request.url:
            problems.append(f"failed {request.url}: {request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    return problems


def _step(page: Page, name: str):
    """The lifecycle panel's row for one step (its button and, when blocked, its reasons)."""
    return page.locator(f"#transitions-panel [data-transition='{name}']")


def _run_step(page: Page, name: str) -> None:
    with page.expect_navigation():
        _step(page, name).get_by_role("button").click()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-htmx"])
def test_sales_user_takes_a_lead_to_an_opportunity(page: Page, live_server, login, make_user, htmx):
    alice = make_user("alice", roles=["sales"], first_name="Alice", last_name="Archer")
    blocked = None if htmx else "/static/vendor/htmx/"
    if blocked:
        page.route(f"**{blocked}**", lambda route: route.abort())
    problems = _watch_assets(page, live_server.url, blocked=blocked)

    login(alice)

    # The pages are styled by the Bootstrap served from node_modules (whitenoise / finders).
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    expect(page.locator("nav.navbar")).to_have_css("background-color", "rgb(33, 37, 41)")
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.evaluate("typeof window.htmx") == ("object" if htmx else "undefined")

    # Leads, from the navigation, then "New lead".
    # (Link names are matched by pattern: the Bootstrap icon glyph is part of the accessible name.)
    page.locator("#mainnav").get_by_role("link", name=re.compile(r"\bLeads$")).click()
    expect(page).to_have_url(f"{live_server.url}/leads/")
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"\bNew lead$")).click()
    expect(page).to_have_url(f"{live_server.url}/leads/new/")

    # Company, contact, e-mail and phone only: no need, budget or timeline yet.
    page.fill("#id_company_name", "Zenith Robotics Ltd")
    page.fill("#id_contact_name", "Wang Fang")
    page.fill("#id_email", "wang.fang@zenith-robotics.example")
    page.fill("#id_phone", "+86 139 1234 5678")
    with page.expect_navigation():
        page.click("#save-lead")
    expect(page).to_have_url(LEAD_URL)
    lead_pk = int(LEAD_URL.search(page.url).group(1))
    expect(page.locator(".alert-success")).to_contain_text("Lead created.")
    expect(page.get_by_role("heading", name="Zenith Robotics Ltd")).to_be_visible()
    expect(page.locator("#lead-state")).to_have_text("New")

    # Contact.
    _run_step(page, "contact")
    expect(page.locator("#lead-state")).to_have_text("Contacted")
    expect(page.locator(".alert-success")).to_contain_text("Contacted")

    # Qualify is blocked: its button is disabled and the page says what comes first.
    reasons = _step(page, "qualify").locator(".transition-reasons")
    expect(reasons).to_be_visible()
    for missing in ("need", "budget", "timeline"):
        expect(reasons).to_contain_text(missing)
    expect(_step(page, "qualify").get_by_role("button")).to_be_disabled()
    # A form sent anyway (a stale page, a crafted post) is refused by the service, in the same words.
    with page.expect_navigation():
        _step(page, "qualify").locator("form").evaluate("f => f.submit()")
    expect(page).to_have_url(f"{live_server.url}/leads/{lead_pk}/")
    expect(page.locator("#lead-state")).to_have_text("Contacted")
    refusal = page.locator(".alert-danger")
    expect(refusal).to_be_visible()
    for missing in ("need", "budget", "timeline"):
        expect(refusal).to_contain_text(missing)
    assert Lead.objects.get(pk=lead_pk).state == "contacted"

    # Edit: record need, budget and timeline.
    page.get_by_role("link", name=re.compile(r"\bEdit$")).click()
    expect(page).to_have_url(f"{live_server.url}/leads/{lead_pk}/edit/")
    page.fill("#id_need", "Automate the welding line in the Suzhou plant")
    page.fill("#id_budget_amount", "250000")
    page.select_option("#id_timeline", label="3 to 6 months")
    with page.expect_navigation():
        page.click("#save-lead")
    expect(page).to_have_url(f"{live_server.url}/leads/{lead_pk}/")
    expect(page.locator(".alert-success")).to_contain_text("Lead saved.")

    # Qualify is now allowed and succeeds.
    expect(_step(page, "qualify").locator(".transition-reasons")).to_have_count(0)
    expect(_step(page, "qualify").get_by_role("button")).to_be_enabled()
    _run_step(page, "qualify")
    expect(page.locator("#lead-state")).to_have_text("Qualified")
    expect(page.locator(".alert-danger")).to_have_count(0)

    # Convert: the browser lands on the new opportunity.
    _run_step(page, "convert")
    expect(page).to_have_url(re.compile(r"/opportunities/\d+/$"))
    expect(page.locator("#opportunity-state")).to_have_text("Validating")
    expect(page.locator("#opportunity-name")).to_contain_text("Zenith Robotics Ltd")
    expect(page.locator(".alert-success")).to_contain_text("Converted")
    screenshot(page, "lead-journey" if htmx else "lead-journey-no-htmx")

    # And in the database.
    lead = Lead.objects.get(pk=lead_pk)
    assert lead.state == "converted"
    assert lead.owner == alice
    assert lead.need == "Automate the welding line in the Suzhou plant"
    assert lead.budget_amount == Decimal("250000")
    assert lead.timeline == "3_to_6_months"
    assert lead.customer is not None and lead.customer.name == "Zenith Robotics Ltd"
    opportunity = Opportunity.objects.get(lead=lead)
    assert page.url == f"{live_server.url}/opportunities/{opportunity.pk}/"
    assert opportunity.customer == lead.customer
    assert opportunity.owner == alice
    assert opportunity.state == "validating"
    steps = list(TransitionLog.objects.for_subject(lead).values_list("transition", flat=True))
    assert steps == ["open", "contact", "qualify", "convert"]  # every lifecycle starts with its "open" row

    assert problems == []


def test_sales_user_cannot_open_another_sales_users_lead(page: Page, live_server, login, make_user):
    alice = make_user("alice", roles=["sales"])
    bob = make_user("bob", roles=["sales"])
    lead = LeadFactory(owner=alice, company_name="Alice's Secret Prospect Co")

    login(bob)
    for path in (f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 404, path
        expect(page.locator("body")).not_to_contain_text("Alice's Secret Prospect Co")

    # Bob's lead list does not show it either.
    page.goto(f"{live_server.url}/leads/")
    expect(page.locator("#lead-table")).to_contain_text("No leads match.")
