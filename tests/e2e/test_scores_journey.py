"""Scores to give in a real headless Chromium: an engineer reviews a teammate and their PM scores them,
each row saved by htmx in place (no page load), a refusal shown in the row in the service's words."""

import pytest
from playwright.sync_api import expect

from performance.models import Appraisal, ManagerScore, PeerReview
from tests.e2e.conftest import screenshot
from tests.performance.test_scores_page import opened  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def test_peer_review_and_manager_score_saved_in_place(login, live_server, opened):  # noqa: F811
    x, y, pm, kpi = opened["x"], opened["y"], opened["pm"], opened["kpi"]
    page = login(x)
    page.goto(f"{live_server.url}/performance/scores/")
    row = page.locator(f"[data-peer='{y.pk}']")
    row.locator("button[type=submit]").click()  # nothing filled in: the service refuses
    expect(page.locator(f"[data-peer='{y.pk}'] [role=status]")).to_contain_text("Give at least one score.")
    row = page.locator(f"[data-peer='{y.pk}']")
    row.locator(f"input[name='kpi-{kpi['cohesion'].pk}']").fill("88")
    row.locator("button[type=submit]").click()
    expect(page.locator(f"[data-peer='{y.pk}'] [role=status]")).to_contain_text("Peer review saved.")
    assert page.url.endswith("/performance/scores/")
    assert PeerReview.objects.get(reviewer=x, reviewee=y).scores.get().score == 88
    page.context.clear_cookies()
    page = login(pm)
    page.goto(f"{live_server.url}/performance/scores/")
    appraisal = Appraisal.objects.get(cycle=opened["cycle"], employee=x)
    row = page.locator(f"#manager-{appraisal.pk}")
    row.locator(f"input[name='kpi-{kpi['decision_quality'].pk}']").fill("64")
    row.locator("textarea[name=advice]").fill("Lead the next design review")
    row.locator("button[type=submit]").click()
    expect(page.locator(f"#manager-{appraisal.pk} [role=status]")).to_contain_text("Scores saved.")
    screenshot(page, "scores-to-give")
    assert ManagerScore.objects.get(created_by=pm, appraisal__employee=x).score == 64
