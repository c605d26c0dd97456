"""Delivery in a real headless Chromium: the PM takes a signed, handed-over contract's project through
DR1 (finance deciding in the Django admin, the PMO on the project page), staffs it, plans and accepts
a milestone (linked to the contract payment it makes due), starts implementation, passes DR3; finance
invoices the payments and prepares the final accounts; DR4 passes with finance and the PMO deciding."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from delivery.models import Project
from ltc_portal.controls.models import GateReview
from tests.e2e.conftest import screenshot
from tests.e2e.test_sales_journey import Person
from tests.opportunities.factories import Cast, project_in_plan_with_contract

pytestmark = pytest.mark.e2e


def test_project_from_plan_to_closed(browser, live_server, make_user):
    cast = Cast(make_user, prefix="e2e")
    for staff in (cast.finance, cast.pmo):
        staff.is_staff = True
        staff.save()
    engineer = make_user("e2e-engineer", roles=["delivery"], first_name="Erin")
    project = project_in_plan_with_contract(cast)
    budget = project.budgets.get(version=1)
    path = project.get_absolute_url()
    today = timezone.localdate()
    pm, finance, pmo = (Person(browser, live_server, u) for u in (cast.pm, cast.finance, cast.pmo))
    try:
        # DR1: the PM submits the budget and requests DR1.
        page = pm.open(f"/finance/budgets/{budget.pk}/")
        pm.submit(page.locator("[data-transition='submit'] button"))
        pm.open(path)
        pm.request_gate("DR1", "Handover done, budget submitted")

        # Finance decides DR1 in the Django admin, from its queue.
        page = finance.open("/admin/controls/gatereview/?queue=mine")
        finance.submit(page.get_by_role("link", name="Decide").first)
        expect(page.locator(".gate-context")).to_contain_text("against the estimate")
        page.select_option("select[name=role]", "finance")
        page.fill("textarea[name=comment]", "Budget within the estimate")
        finance.submit(page.locator("input[name=approve]"))
        expect(page.locator(".messagelist")).to_contain_text("recorded")

        # The PMO approves on the project page: the project moves to build.
        pmo.open(path)
        pmo.approve("DR1", "pmo")
        expect(pmo.page.locator("#project-state")).to_have_text(re.compile("Build"))

        # The PM staffs the team and plans a milestone, then starts implementation.
        page = pm.open(path)
        for user, role in ((cast.pm, "pm"), (engineer, "engineer")):
            form = page.locator("#member-form")
            form.locator("select[name=member-user]").select_option(str(user.pk))
            form.locator("select[name=member-role]").select_option(role)
            form.locator("input[name=member-start_date]").fill(today.isoformat())
            pm.submit(form.locator("button[type=submit]"))
        expect(page.locator("#team [data-member]")).to_have_count(2)
        page = pm.open(f"/projects/{project.pk}/milestone/new/")
        page.fill("input[name=name]", "Stations 1–12 live")
        page.fill("input[name=planned_start]", today.isoformat())
        page.fill("input[name=planned_end]", (today + datetime.timedelta(days=30)).isoformat())
        page.locator("select[name=payment_milestone]").select_option(index=1)  # its acceptance makes it due
        pm.submit(page.locator("#save-record"))
        page = pm.open(path)
        pm.submit(page.locator("[data-transition='start_implementation'] button"))
        expect(page.locator("#project-state")).to_have_text(re.compile("Implement"))

        # The customer accepts the milestone; DR3 passes with the PMO.
        row = page.locator("#milestones tr[data-state='planned']").first
        row.locator("summary", has_text="Accept").click()
        form = row.locator(".accept-form")
        form.locator("input[name=signed_by]").fill("Metro CIO")
        form.locator("input[name=document_ref]").fill("ACC-2026-01")
        pm.submit(form.locator("button[type=submit]"))
        expect(page.locator("#milestones tr[data-state='accepted']")).to_have_count(1)
        pm.request_gate("DR3")
        pmo.open(path)
        pmo.approve("DR3", "pmo")
        expect(pmo.page.locator("#project-state")).to_have_text(re.compile("Handover"))

        # Final acceptance and lessons learned, then DR4 with finance and the PMO.
        page = pm.open(path + "edit/")
        page.fill("input[name=final_acceptance_date]", today.isoformat())
        page.fill("input[name=final_acceptance_by]", "Metro CIO")
        page.fill("input[name=final_acceptance_ref]", "FA-2026-01")
        page.fill("textarea[name=lessons_learned]", "Book track access windows a month ahead")
        pm.submit(page.locator("#save-project"))
        # Finance invoices both payments in its workspace and prepares the final accounts (决算).
        page = finance.open("/finance/")
        expect(page.locator("#to-invoice tr[data-milestone]")).to_have_count(2)
        for _ in range(2):
            finance.submit(page.locator("#to-invoice tr[data-milestone] button").first)
        for _ in range(2):
            finance.submit(page.locator("#to-invoice tr[data-invoice] button").first)
        expect(page.locator("#to-invoice tr[data-invoice]")).to_have_count(0)
        page = finance.open(path)
        page.fill("#final-explanation-input", "Delivered on budget")
        finance.submit(page.locator("#draw-up"))
        expect(page.locator("#final-accounts [data-figure=actual_cost]")).to_be_visible()
        finance.submit(page.locator("#final-accounts [data-transition=prepare] button"))
        expect(page.locator("#final-prepared")).to_be_visible()
        pm.open(path)
        pm.request_gate("DR4")
        finance.open(path)
        finance.approve("DR4", "finance")
        pmo.open(path)
        pmo.approve("DR4", "pmo")
        expect(pmo.page.locator("#project-state")).to_have_text(re.compile("Closed"))
        expect(pmo.page.locator("#final-acceptance")).to_contain_text("FA-2026-01")
        expect(pmo.page.locator("#lessons-learned")).to_contain_text("track access")
        screenshot(pmo.page, "delivery-journey")
    finally:
        for person in (pm, finance, pmo):
            person.close()

    project = Project.objects.get(pk=project.pk)
    assert project.state == "closed"
    assert project.budgets.get(version=1).state == "approved"
    assert set(
        GateReview.objects.filter(object_id=project.pk, state="approved", gate__subject_type="project").values_list(
            "gate__code", flat=True
        )
    ) >= {"DR1", "DR3", "DR4"}
