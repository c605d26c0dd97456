"""The sales side with every decider, in a real headless Chromium: a converted lead's opportunity
passes ATI, DTRB, DRA, ATB, DTRC, DRB and ATC; its contract is signed and handed over; the gate
strips show every decision. Each person works in their own browser context (own session)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from leads import services as lead_services
from ltc_portal.controls.models import GateDecision, GateReview
from opportunities.models import Opportunity
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.e2e


class Person:
    """One user's own browser context, logged in through the login page."""

    def __init__(self, browser, live_server, user):
        self.user = user
        self.url = live_server.url
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.goto(f"{self.url}/accounts/login/")
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form[action='/accounts/login/'] button[type=submit]")

    def open(self, path):
        self.page.goto(self.url + path)
        return self.page

    def submit(self, locator):
        with self.page.expect_navigation():
            locator.click()

    def gate(self, code):
        return self.page.locator(f"[data-gate='{code}']")

    def request_gate(self, code, comment=""):
        form = self.gate(code).locator(".gate-request-form")
        form.locator("textarea[name=comment]").fill(comment)
        self.submit(form.locator("button[type=submit]"))
        expect(self.gate(code)).to_have_attribute("data-status", "pending")

    def approve(self, code, role):
        self.submit(self.gate(code).locator(f".gate-decide-form[data-role='{role}'] button[value=approve]"))

    def close(self):
        self.context.close()


def converted_opportunity(owner):
    lead = LeadFactory(
        owner=owner,
        ready=True,
        company_name="Suzhou Metro Line 9 Co., Ltd.",
        need="Passenger Wi-Fi and CCTV backbone",
        budget_amount=Decimal("2000000"),
    )
    for step in ("contact", "qualify", "convert"):
        lead = lead_services.lead_transition(lead=lead, name=step, user=owner)
    return lead.opportunity


def test_opportunity_to_handed_over_contract_through_every_gate(browser, live_server, make_user):
    users = {
        name: make_user(name, roles=[role], first_name=name.title())
        for name, role in [
            ("alice", "sales"),
            ("dora", "sales_director"),
            ("fay", "finance"),
            ("sol", "solution"),
            ("pete", "delivery"),
            ("olga", "pmo"),
        ]
    }
    opp = converted_opportunity(users["alice"])
    people = {name: Person(browser, live_server, u) for name, u in users.items()}
    alice, dora, fay, sol, pete, olga = (people[n] for n in ("alice", "dora", "fay", "sol", "pete", "olga"))
    opp_path = f"/opportunities/{opp.pk}/"
    try:
        # ATI: blocked until the timeline is recorded, then requested by the owner and approved by the director.
        page = alice.open(opp_path)
        expect(alice.gate("ATI").locator(".gate-checklist .text-danger")).to_contain_text("expected close date")
        alice.submit(page.locator("#edit-opportunity"))
        page.fill("input[name=expected_close_date]", "2027-03-31")
        page.fill("input[name=probability]", "50")
        alice.submit(page.locator("#save-opportunity"))
        alice.request_gate("ATI", "Metro line 9, budget approved by the board")
        dora.open(opp_path)
        dora.approve("ATI", "sales_director")
        expect(dora.page.locator("#opportunity-state")).to_have_text(re.compile("Analysis"))
        project_path = Opportunity.objects.get(pk=opp.pk).project.get_absolute_url()

        # The PMO assigns the PM; the PM records the technical solution and the delivery approach.
        page = olga.open(project_path + "edit/")
        page.select_option("select[name=pm]", str(users["pete"].pk))
        olga.submit(page.locator("#save-project"))
        page = pete.open(project_path + "edit/")
        page.fill("textarea[name=technical_solution]", "Dual-ring fibre backbone, Wi-Fi 6 in 24 stations")
        page.fill("textarea[name=delivery_approach]", "Night-time installation, two stations a week")
        page.fill("textarea[name=key_risks]", "Track access windows")
        pete.submit(page.locator("#save-project"))

        # The owner quotes with an estimate (the DRA needs the 概算).
        page = alice.open(f"/opportunities/{opp.pk}/quotes/new/")
        page.fill("input[name=lines-0-description]", "Backbone and Wi-Fi, 24 stations")
        page.select_option("select[name=lines-0-category]", "equipment")
        page.fill("input[name=lines-0-quantity]", "1")
        page.fill("input[name=lines-0-unit_price]", "1800000")
        page.select_option("select[name=estimate-0-category]", "equipment")
        page.fill("input[name=estimate-0-amount]", "1150000")
        page.fill("textarea[name=payment_terms]", "30% on signing, 70% on acceptance")
        # The editor has no unit-cost column (the cost is the estimate's), and every category dropdown
        # is wide enough for its longest choice (at the journeys' 1366 px laptop width).
        expect(page.locator("[data-formset=lines] thead")).not_to_contain_text("Unit cost")
        for select in ("lines-0-category", "estimate-0-category"):
            spare = page.locator(f"select[name={select}]").evaluate(
                """s => { const cs = getComputedStyle(s), c = document.createElement("canvas").getContext("2d");
                          c.font = cs.font;
                          const widest = Math.max(...[...s.options].map(o => c.measureText(o.text).width));
                          return s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - widest; }"""
            )
            assert spare >= 0, f"{select} cuts its longest choice by {-spare:.0f} px"
        alice.submit(page.locator("#save-quote"))
        expect(page.locator("body")).to_contain_text("36.11")  # margin % = (1.8M − 1.15M) / 1.8M

        # DTRB and DRA requested by the PM, decided by solution and PMO.
        pete.open(project_path)
        pete.request_gate("DTRB")
        pete.request_gate("DRA")
        sol.open(project_path)
        sol.approve("DTRB", "solution")
        olga.open(project_path)
        olga.approve("DRA", "pmo")

        # ATB: submit the quote, request, director and finance approve; the project moves to plan.
        page = alice.open(opp_path)
        alice.submit(page.locator("#quotes a", has_text="Open").first)
        alice.submit(page.locator("[data-transition='submit'] button"))
        alice.open(opp_path)
        alice.request_gate("ATB", "Bid at 36 % margin")
        dora.open(opp_path)
        dora.approve("ATB", "sales_director")
        fay.open(opp_path)
        fay.approve("ATB", "finance")
        expect(fay.page.locator("#opportunity-state")).to_have_text(re.compile("Bidding"))

        # The customer accepts; the PM records scope, plan and a budget draft; DTRC and DRB pass.
        page = alice.open(opp_path)
        alice.submit(page.locator("#quotes a", has_text="Open").first)
        alice.submit(page.locator("[data-transition='accept'] button"))
        page = pete.open(project_path + "edit/")
        page.fill("textarea[name=final_scope]", "24 stations, 3 depots")
        page.fill("textarea[name=delivery_plan]", "Build Q1, implement Q2–Q3")
        pete.submit(page.locator("#save-project"))
        page = pete.open(f"/finance/budgets/new/?project={Opportunity.objects.get(pk=opp.pk).project.pk}")
        page.select_option("select[name=lines-0-category]", "equipment")
        page.fill("input[name=lines-0-amount]", "1150000")
        pete.submit(page.locator("#save-budget"))
        pete.open(project_path)
        pete.request_gate("DTRC")
        pete.request_gate("DRB")
        sol.open(project_path)
        sol.approve("DTRC", "solution")
        olga.open(project_path)
        olga.approve("DRB", "pmo")

        # ATC, then the contract: drafted, signed and handed over.
        alice.open(opp_path)
        alice.request_gate("ATC")
        dora.open(opp_path)
        dora.approve("ATC", "sales_director")
        fay.open(opp_path)
        fay.approve("ATC", "finance")
        page = alice.open(opp_path)
        expect(page.locator("#opportunity-state")).to_have_text(re.compile("Contracting"))
        alice.submit(page.locator("#draft-contract"))
        page.fill("input[name=number]", "SZM9-2026-001")
        page.fill("input[name=signed_date]", "2026-11-26")
        page.fill("input[name=milestones-0-name]", "Advance")
        page.fill("input[name=milestones-0-percent]", "30")
        page.select_option("select[name=milestones-0-trigger]", "on_signing")
        page.fill("input[name=milestones-1-name]", "Acceptance")
        page.fill("input[name=milestones-1-percent]", "70")
        page.select_option("select[name=milestones-1-trigger]", "on_acceptance")
        alice.submit(page.locator("#save-contract"))
        alice.submit(page.locator("[data-transition='sign'] button"))
        expect(page.locator("#contract-state")).to_have_text(re.compile("Signed"))
        form = page.locator("#handover-form")
        form.locator("input[name=date]").fill("2026-11-27")
        form.locator("textarea[name=attendees]").fill("Pete (PM), Alice (AR), metro CIO")
        form.locator("textarea[name=key_terms]").fill("LD 0.5 %/week")
        form.locator("textarea[name=risks]").fill("Track access")
        form.locator("textarea[name=open_questions]").fill("Spare parts depot")
        alice.submit(form.locator("button[type=submit]"))
        expect(page.locator("#contract-state")).to_have_text(re.compile("Handed over"))

        # The opportunity is won and its page shows every gate approved with who decided.
        page = alice.open(opp_path)
        expect(page.locator("#opportunity-state")).to_have_text(re.compile("Won"))
        for code, deciders in [
            ("ATI", ["Dora"]),
            ("ATB", ["Dora", "Fay"]),
            ("ATC", ["Dora", "Fay"]),
            ("DTRB", ["Sol"]),
            ("DRA", ["Olga"]),
            ("DTRC", ["Sol"]),
            ("DRB", ["Olga"]),
        ]:
            row = alice.gate(code)
            expect(row).to_have_attribute("data-status", "approved")
            for name in deciders:
                expect(row.locator(".gate-decisions")).to_contain_text(name)
        screenshot(page, "sales-journey")
    finally:
        for p in people.values():
            p.close()

    assert GateReview.objects.filter(state="approved").count() == 7
    assert GateDecision.objects.count() == 9
    assert Opportunity.objects.get(pk=opp.pk).state == "won"
