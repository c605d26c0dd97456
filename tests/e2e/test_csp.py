"""Under the Content-Security-Policy (no inline script), the pages still work in Chromium: charts are drawn,
page scripts run (form classes, the language switch), Swagger UI renders, and the browser reports no
violation of the policy."""

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead


@pytest.fixture
def csp_violations(page: Page):
    seen = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_pages_work_under_the_csp(page: Page, live_server, login, make_user, csp_violations):
    user = make_user("csp-sales", roles=["sales"])
    Lead.objects.create(company_name="Acme", contact_name="Ann", email="ann@acme.test", owner=user)
    login(user)
    response = page.goto(f"{live_server.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    canvases = page.locator("canvas[data-chart]")
    if canvases.count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"
        )

    # a page script from static/js/ runs: the lead form's fields get their Bootstrap classes
    page.goto(f"{live_server.url}/leads/new/")
    assert "form-control" in page.locator("#lead-form input[name=company_name]").get_attribute("class")

    # the language switch (was an inline onchange) submits its form
    page.goto(f"{live_server.url}/leads/")
    with page.expect_navigation():
        page.select_option("select[data-submit-on-change]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("select[data-submit-on-change]", "en")

    # Swagger UI, its script served apart
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15_000)

    assert not csp_violations, csp_violations
