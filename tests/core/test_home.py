"""The home page holds each role's own work: decisions waiting (with approve/reject from the list), the
sales pipeline and deals closing, a PM's projects with their health, finance's day, HR's cycles; a
person without any sees none of them, and each panel's queries do not grow with the rows."""

import datetime
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from delivery import services as delivery
from finance import services as finance
from finance.models import MonthlyAccount
from ltc_portal.controls import registry
from ltc_portal.controls import services as gates
from ltc_portal.controls.models import GateReview
from opportunities import services as sales
from tests.finance.test_accounting import entry, project_in_build, run
from tests.opportunities.factories import Cast, OpportunityFactory, project_in_plan_with_contract

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user, prefix="h")


def home(web, user):
    client = web.as_user(user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/")
    assert page.status_code == 200
    return page.content.decode(), len(queries)


def test_a_director_decides_from_the_home_page(cast, web):
    opp = OpportunityFactory(owner=cast.owner, name="Harbour campus")
    review = gates.gate_request(
        code="ATI", subject=opp, user=cast.owner, evidence=["https://docs.example/ati", "javascript:alert(1)"]
    )
    page, _ = home(web, cast.director)
    assert 'id="panel-decisions"' in page and "Harbour campus" in page
    assert re.search(r"requested by [^<,]+ today", page) and "0 days ago" not in page
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        later, _ = home(web, cast.director)
    assert re.search(r"requested by [^<,]+, 3 days ago", later)
    assert 'href="https://docs.example/ati"' in page and "javascript:" not in page  # only web links
    # the checklist it passed at the request is in the list, in the reader's language
    checklist = page[page.index('class="list-unstyled small mb-0 mt-1 gate-checklist"') :].split("</ul>")[0]
    assert "Customer recorded." in checklist and "Expected value above zero." in checklist
    zh = web.get("/", headers={"accept-language": "zh-hans"}).content.decode()
    with translation.override("zh-hans"):
        assert str(registry.passed_sentence("opportunity.customer_recorded")) in zh
    # a rejection from the list needs its comment, and is kept with it
    r = web.post(f"/gates/reviews/{review.pk}/decide/", {"decision": "reject", "comment": "", "next": "/"}, follow=True)
    assert "Say why you reject." in r.content.decode() and GateReview.objects.get(pk=review.pk).state == "pending"
    r = web.post(f"/gates/reviews/{review.pk}/decide/", {"decision": "approve", "next": "/"})
    assert r.status_code == 302 and r.url == "/"
    assert GateReview.objects.get(pk=review.pk).state == "approved"
    page, _ = home(web, cast.director)
    assert 'id="panel-decisions"' not in page  # nothing waits any more
    page, _ = home(web, cast.owner)
    assert 'id="panel-my-requests"' in page and "ATI" in page
    # a request still waiting comes before those decided since, however old it is
    waiting = OpportunityFactory(owner=cast.owner, name="Still waiting")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=2)):
        gates.gate_request(code="ATI", subject=waiting, user=cast.owner)
    page, _ = home(web, cast.owner)
    requests = page[page.index('id="panel-my-requests"') :]
    assert requests.index("Still waiting") < requests.index("Harbour campus")


def test_sales_sees_their_pipeline_and_deals_closing_this_month_never_anothers(cast, make_user, web):
    other = make_user("h-other-sales", roles=["sales"])
    OpportunityFactory(
        owner=cast.owner, name="Mine closing", expected_close_date=TODAY, expected_value=Decimal("1234567.00")
    )
    OpportunityFactory(owner=other, name="Theirs closing", expected_close_date=TODAY)
    home(web, cast.owner)  # content types cached, as in a running server
    page, few = home(web, cast.owner)
    assert 'id="panel-pipeline"' in page and 'id="panel-closing"' in page
    assert "Mine closing" in page and "Theirs closing" not in page
    assert "1,234,567.00" in page  # amounts with thousands separators
    zh = web.get("/", headers={"accept-language": "zh-hans"}).content.decode()
    assert "预计成交" in zh and "1,234,567.00" in zh  # in Chinese too (Django's zh_Hans has no separator)
    for i in range(6):
        OpportunityFactory(owner=cast.owner, name=f"More {i}", expected_close_date=TODAY, currency="USD")
    _, many = home(web, cast.owner)
    assert many == few


def test_a_pm_sees_each_project_with_its_health_in_constant_queries(cast, web, make_user):
    project = project_in_build(cast, budget_total=Decimal("100000.00"))
    delivery.milestone_create(
        project=project, user=cast.pm, data={"name": "Core switch", "planned_end": TODAY + datetime.timedelta(days=9)}
    )
    entry(project, cast.finance, TODAY.replace(day=1), "labour", "60000.00")
    run()
    assert MonthlyAccount.objects.filter(project=project).exists()
    page, few = home(web, cast.pm)
    assert 'id="panel-my-projects"' in page and project.name in page and "Core switch" in page
    account = MonthlyAccount.objects.get(project=project)
    row = page[page.index(f'href="/projects/{project.pk}/"') :].split("</tr>")[0]
    assert f">{account.cpi:.2f}<" in row and f">{account.spi:.2f}<" in row  # the last account's CPI and SPI
    # past DR1, the next gate is the handover's (DR3), not yet requested
    assert re.search(rf'data-next-gate="{project.pk}"><span[^>]*>DR3</span>\s*<span[^>]*>Not requested<', page)
    for n in range(2, 5):
        project_in_build(cast, number=f"C-2026-00{n}")
    planned = project_in_plan_with_contract(cast, number="C-2026-009")
    finance.budget_update(
        budget=planned.budgets.get(), user=cast.pm, data={"lines": [{"category": "labour", "amount": Decimal("5")}]}
    )
    finance.budget_transition(budget=planned.budgets.get(), name="submit", user=cast.pm)
    gates.gate_request(code="DR1", subject=planned, user=cast.pm)
    page, many = home(web, cast.pm)
    assert many == few
    assert re.search(rf'data-next-gate="{planned.pk}"><span[^>]*>DR1</span>\s*<span[^>]*>Pending<', page)
    assert page.count('href="/projects/') >= 4
    outsider = make_user("h-outsider-pm", roles=["delivery"])
    page, _ = home(web, outsider)
    assert 'id="panel-my-projects"' not in page


def test_finance_and_hr_see_their_day_and_others_do_not(cast, web, make_user):
    project_in_build(cast)
    page, _ = home(web, cast.finance)
    assert 'id="panel-finance"' in page and 'data-chart="home-ageing-chart"' in page
    # the receivables chart names its one currency on its axis, on the home as on the workspace
    for url, chart in (("/", "home-ageing-chart"), ("/finance/", "ageing-chart-data")):
        body = web.get(url).content.decode()
        spec = json.loads(re.search(rf'<script id="{chart}" type="application/json">(.*?)</script>', body, re.S)[1])
        assert spec["options"]["scales"]["y"]["title"]["text"] == "CNY", url
    hr = make_user("h-hr", roles=["hr"])
    page, _ = home(web, hr)
    assert 'id="panel-hr"' in page and 'id="panel-finance"' not in page
    page, _ = home(web, cast.owner)
    assert 'id="panel-hr"' not in page and 'id="panel-finance"' not in page


def test_a_pm_sees_the_milestones_due_within_30_days(cast, web, make_user):
    project = project_in_build(cast, budget_total=Decimal("100000.00"))
    for name, days in (("Late one", -3), ("Soon", 12), ("Far off", 45)):
        delivery.milestone_create(
            project=project,
            user=cast.pm,
            data={"name": name, "planned_start": TODAY - datetime.timedelta(days=10),
                  "planned_end": TODAY + datetime.timedelta(days=days)},
        )  # fmt: skip
    page, _ = home(web, cast.pm)
    panel = page[page.index('id="panel-milestones-due"') :].split("</table>")[0]
    assert "Late one" in panel and "Soon" in panel and "Far off" not in panel and "late" in panel
    assert panel.index("Late one") < panel.index("Soon")
    page, _ = home(web, make_user("h-other-pm", roles=["delivery"]))
    assert 'id="panel-milestones-due"' not in page


def test_finance_sees_what_to_invoice_and_the_cash_forecast(cast, web):
    project = project_in_build(cast)
    page, _ = home(web, cast.finance)
    assert 'data-chart="home-cash-chart"' in page and 'id="home-cash-chart"' in page
    due = project.contract.payment_milestones.filter(state="due").first()
    assert due is not None  # the advance falls due at signing: finance is told to invoice it
    assert 'id="home-to-invoice"' in page and due.name in page
    assert "Periods to close" in page and 'id="panel-finance"' in page


def test_sales_sees_their_customers_overdue_invoices_only(cast, web, make_user):
    from finance import services as finance
    from tests.finance.factories import invoice_every_payment

    project = project_in_build(cast)
    invoices = invoice_every_payment(project, cast, when=TODAY - datetime.timedelta(days=90))
    assert invoices and invoices[0].due_date < TODAY
    page, _ = home(web, cast.owner)
    panel = page[page.index('id="panel-customer-overdue"') :].split("</table>")[0]
    assert invoices[0].number in panel and "days late" in panel
    page, _ = home(web, make_user("h-other-sales", roles=["sales"]))
    assert 'id="panel-customer-overdue"' not in page
    assert finance  # the invoices above were issued through finance's services


def test_a_panel_refreshes_alone_and_only_for_its_people(cast, web):
    project_in_build(cast)
    client = web.as_user(cast.finance)
    page = client.get("/").content.decode()
    assert 'id="home-panel-finance"' in page and 'hx-get="/home/panels/finance/"' in page and "hx-trigger" in page
    r = client.get("/home/panels/finance/")
    assert r.status_code == 200 and 'id="panel-finance"' in r.content.decode() and "<html" not in r.content.decode()
    r = web.as_user(cast.owner).get("/home/panels/finance/")  # nothing of finance's day for a salesperson
    assert r.status_code == 200 and r.content == b""
    assert web.get("/home/panels/ltc-flow/").status_code == 404  # an executive's panel, not a salesperson's
    assert web.get("/home/panels/no-such-panel/").status_code == 404
    web.logout()
    assert web.get("/home/panels/finance/").status_code == 302


def test_the_pipeline_is_in_base_currency_at_todays_rate_and_names_a_currency_without_one(cast, web):
    from finance.models import ExchangeRate

    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=40), rate=Decimal("6.50000000"))
    ExchangeRate.objects.create(currency="USD", date=TODAY - datetime.timedelta(days=1), rate=Decimal("7.10000000"))
    ExchangeRate.objects.create(currency="USD", date=TODAY + datetime.timedelta(days=1), rate=Decimal("9.00000000"))
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("1000000.00"), probability=40)  # CNY
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("100000.00"), currency="USD", probability=25)
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("50000.00"), currency="GBP", probability=50)
    page, _ = home(web, cast.owner)
    panel = page[page.index('id="panel-pipeline"') :]
    panel = panel[: panel.index("</div></div>")]
    # validating: 1,000,000 CNY + 100,000 USD × 7.1 (yesterday's rate, not tomorrow's) = 1,710,000.00;
    # weighted 400,000 + 25,000 × 7.1 = 577,500.00; the GBP deal counts (3 deals) but not its value
    assert "1,710,000.00" in panel and "577,500.00" in panel
    assert '<td class="text-end">3</td>' in panel
    assert "GBP" in panel and "data-unrated" in panel
    assert "USD" not in panel  # one currency on the page: the base one


def test_the_cash_forecast_names_the_currencies_it_left_out(cast, web):
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("50000.00"), currency="GBP", probability=50)
    page = web.as_user(cast.finance).get("/finance/").content.decode()
    assert "data-unrated" in page and "GBP" in page[page.index('id="forecast"') :]
    page, _ = home(web, cast.finance)
    assert "GBP" in page[page.index('id="panel-finance"') :]


def test_the_welcome_line_says_what_the_home_holds_for_each_kind_of_person(cast, web, make_user):
    page, _ = home(web, cast.finance)
    assert "Your roles: Finance" in page
    nobody, _ = home(web, make_user("h-nobody"))
    assert "You hold no role yet" in nobody and "Nothing to show for your roles yet." in nobody
    boss = make_user("h-root")
    boss.is_superuser = True
    boss.save()
    page, _ = home(web, boss)
    assert "You are an administrator" in page and "You hold no role yet" not in page  # not told to ask for one
    assert 'id="panel-finance"' in page  # and the company-wide panels are there


def test_sales_sees_their_best_open_leads_by_score_and_none_of_anothers(cast, web, make_user):
    from leads.models import Lead
    from tests.leads.factories import LeadFactory

    other = make_user("h-other-leads", roles=["sales"])
    weak = LeadFactory(owner=cast.owner, company_name="Mine weak")
    strong = LeadFactory(owner=cast.owner, company_name="Mine strong", ready=True)
    LeadFactory(owner=cast.owner, company_name="Mine disqualified", ready=True, state="disqualified")
    LeadFactory(owner=other, company_name="Theirs strong", ready=True)
    assert Lead.objects.get(pk=strong.pk).score > Lead.objects.get(pk=weak.pk).score
    page, _ = home(web, cast.owner)
    best = page[page.index('id="panel-best-leads"') :].split("</table>")[0]
    assert best.index("Mine strong") < best.index("Mine weak")
    assert "Mine disqualified" not in best and "Theirs strong" not in best


def test_every_panel_costs_the_same_queries_for_twice_the_rows(cast, web, make_user, settings):
    """Each panel of each role, refreshed on its own (computed afresh), for one world of records and
    for twice as many: the same number of queries."""
    from performance import services as performance
    from tests.finance.factories import invoice_every_payment
    from tests.leads.factories import CustomerFactory

    settings.STUCK_DEAL_DAYS = 0  # every open deal counts as stuck: the panel has rows
    hr = make_user("h-hr-q", roles=["hr"])

    def world(n):
        project = project_in_build(cast, number=f"Q-2026-{n:03d}")
        invoice_every_payment(project, cast, when=TODAY - datetime.timedelta(days=90))  # overdue
        delivery.milestone_create(
            project=project, user=cast.pm, data={"name": f"M{n}", "planned_end": TODAY + datetime.timedelta(days=5)}
        )
        opp = OpportunityFactory(owner=cast.owner, name=f"Q deal {n}", expected_close_date=TODAY)
        gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        with time_machine.travel(timezone.now() - datetime.timedelta(days=2)):  # logged, in its stage since
            sales.opportunity_create(
                user=cast.owner,
                data={"customer": CustomerFactory(owner=cast.owner), "name": f"Q stuck {n}", "expected_value": 1000},
            )
        start = TODAY - datetime.timedelta(days=60 + n)
        performance.cycle_create(
            user=hr, data={"name": f"Q cycle {n}", "kind": "monthly", "start": start, "end": start.replace(day=28)}
        )

    # each panel, and a piece of the world's records it must show (so no empty state is counted)
    panels = {
        cast.owner: {
            "pipeline": "Validating",
            "closing": "Q deal 1",
            "customer-overdue": "days late",
            "my-requests": "Q deal 1",
            "leads": "Leads by state",
        },
        cast.director: {
            "decisions": "Q deal 1",
            "funnel": "Validating",
            "stuck": "Q stuck 1",
            "pipeline": "Validating",
        },
        cast.pm: {"my-projects": "DR3", "milestones-due": "M1"},
        cast.finance: {"finance": "Overdue invoices"},
        cast.executive: {"ltc-flow": 'data-count="contract">'},
        hr: {"hr": "Q cycle 1"},
    }

    def counts():
        out = {}
        for person, keys in panels.items():
            client = web.as_user(person)
            client.get("/")  # content types and the session cached, as in a running server
            for key, marker in keys.items():
                with CaptureQueriesContext(connection) as queries:
                    r = client.get(f"/home/panels/{key}/?refresh=1")
                assert r.status_code == 200 and marker in r.content.decode(), (person.username, key)  # it has rows
                out[(person.username, key)] = len(queries)
        return out

    world(1)
    one = counts()
    for n in (2, 3):
        world(n)
    assert counts() == one


def test_a_pm_decides_a_dr2_change_within_their_limit_from_the_home(cast, web, make_user):
    from tests.delivery.test_execution import TestDR2

    project = project_in_plan_with_contract(cast)
    change = TestDR2().setup_change(project, cast, make_user("h-eng", roles=["delivery"]), Decimal("30000"))
    review = gates.gate_request(code="DR2", subject=change, user=change.created_by)
    page, _ = home(web, cast.pm)
    decisions = page[page.index('id="panel-decisions"') :].split('id="panel-', 2)[1]
    assert (
        "<strong>DR2</strong>" in decisions
        and "Extra access points" in decisions
        and f'action="/gates/reviews/{review.pk}/decide/"' in decisions
    )
    web.post(f"/gates/reviews/{review.pk}/decide/", {"decision": "approve", "next": "/"})
    assert GateReview.objects.get(pk=review.pk).state == "approved"
    page, _ = home(web, cast.pm)
    assert 'id="panel-decisions"' not in page
