"""The opportunity pages through the Django client: pipeline, opportunity page with its gates,
the opportunity and quote forms, and the refusals shown as messages or form errors."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ltc_portal.controls.models import GateReview
from opportunities import services
from opportunities.models import Opportunity, Quote
from opportunities.selectors import PIPELINE_CARDS
from tests.leads.factories import CustomerFactory
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati, quote_data


@pytest.fixture
def cast(make_user, sales):
    return Cast(make_user, owner=sales)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _formset(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _quote_post(lines, estimates, **header):
    return {
        "payment_terms": "30% advance, 70% on acceptance",
        "valid_until": "",
        "notes": "",
        **header,
        **_formset("lines", lines),
        **_formset("estimate", estimates),
    }


GOOD_LINES = [
    {
        "description": "Core switches",
        "category": "equipment",
        "quantity": "2",
        "unit_price": "100",
        "discount_percent": "10",
        "unit_cost": "60",
    },
    {
        "description": "Installation",
        "category": "service",
        "quantity": "1",
        "unit_price": "820",
        "discount_percent": "0",
        "unit_cost": "0",
    },
]
GOOD_ESTIMATE = [
    {"category": "equipment", "amount": "450", "note": "Switches"},
    {"category": "labour", "amount": "150", "note": ""},
]


# Pipeline --------------------------------------------------------------------------------------


def test_login_required(client, db):
    r = client.get("/opportunities/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_pipeline_shows_stage_columns_counts_and_values(web, cast, director):
    OpportunityFactory(owner=cast.owner, name="Alpha campus", expected_value=Decimal("1000000"), probability=40)
    OpportunityFactory(owner=cast.owner, name="Beta campus", expected_value=Decimal("500000"), probability=20)
    pass_ati(
        OpportunityFactory(owner=cast.owner, name="Gamma DC", expected_value=Decimal("300000"), probability=50), cast
    )
    OpportunityFactory(
        owner=cast.owner, name="Dollar deal", currency="USD", expected_value=Decimal("10000"), probability=50
    )
    r = web.as_user(director).get("/opportunities/")
    assert r.status_code == 200
    page = r.content.decode()
    for stage in ("validating", "analysis", "bidding", "contracting"):
        assert f'data-stage="{stage}"' in page
    validating = re.search(r'data-stage="validating".*?(?=data-stage="analysis")', page, re.S).group(0)
    assert "3 opportunities" in validating
    assert "Alpha campus" in validating and "Beta campus" in validating and "Gamma DC" not in validating
    # totals and weighted values per currency: 1.5M CNY (500k weighted) and 10k USD (5k weighted)
    assert "1,500,000 CNY" in validating and "500,000 CNY" in validating
    assert "10,000 USD" in validating and "5,000 USD" in validating
    analysis = re.search(r'data-stage="analysis".*?(?=data-stage="bidding")', page, re.S).group(0)
    assert "Gamma DC" in analysis and "300,000 CNY" in analysis and "150,000 CNY" in analysis
    # the weighted forecast, as a table and as a chart spec
    assert 'id="forecast-table"' in page and 'data-chart="forecast-chart-data"' in page
    spec = r.context["forecast_chart"]
    assert spec["type"] == "bar" and {d["label"] for d in spec["data"]["datasets"]} == {
        "Weighted value (CNY)",
        "Weighted value (USD)",
    }
    assert sum(sum(d["data"]) for d in spec["data"]["datasets"]) == 400000 + 100000 + 150000 + 5000


def test_pipeline_leaves_out_closed_opportunities_but_the_full_list_has_them(web, cast):
    opp = OpportunityFactory(owner=cast.owner, name="Dropped deal")
    services.opportunity_transition(opportunity=opp, name="abandon", user=cast.owner, reason="No budget after all")
    client = web.as_user(cast.owner)
    assert "Dropped deal" not in client.get("/opportunities/").content.decode()
    page = client.get("/opportunities/all/").content.decode()
    assert "Dropped deal" in page and "Abandoned" in page
    assert "Dropped deal" not in client.get("/opportunities/all/?state=validating").content.decode()


@pytest.mark.parametrize("url", ["/opportunities/", "/opportunities/all/"])
def test_pipeline_query_count_is_constant(client, cast, director, url):
    def grow(n):
        for i in range(n):
            opp = OpportunityFactory(owner=cast.owner, solution_owner=cast.owner)
            if i % 2:
                pass_ati(opp, cast)

    def count():
        client.force_login(director)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    few = count()
    grow(8)
    assert count() == few


# The opportunity page and its gates ------------------------------------------------------------


def test_gate_strip_owner_requests_ati_then_director_sees_decide_button(web, cast, director):
    opp = OpportunityFactory(owner=cast.owner)
    url = f"/opportunities/{opp.pk}/"
    owner_page = web.as_user(cast.owner).get(url).content.decode()
    ati = re.search(r'data-gate="ATI".*?(?=data-gate="ATB")', owner_page, re.S).group(0)
    assert 'data-status="not_requested"' in ati and "gate-request-form" in ati and "Request ATI" in ati

    r = web.post(
        "/gates/request/",
        {
            "gate": "ATI",
            "subject_type": "opportunity",
            "subject_id": opp.pk,
            "comment": "Strategic account",
            "evidence": "",
            "next": url,
        },
        follow=True,
    )
    assert r.redirect_chain[-1][0] == url
    assert any("ATI requested" in m for m in _messages(r))
    review = GateReview.objects.get(gate__code="ATI", object_id=opp.pk)
    ati = re.search(r'data-gate="ATI".*?(?=data-gate="ATB")', r.content.decode(), re.S).group(0)
    assert 'data-status="pending"' in ati and "gate-decide-form" not in ati  # the requester never decides

    page = web.as_user(director).get(url).content.decode()
    ati = re.search(r'data-gate="ATI".*?(?=data-gate="ATB")', page, re.S).group(0)
    assert f'action="/gates/reviews/{review.pk}/decide/"' in ati and 'data-role="sales_director"' in ati
    assert "Strategic account" in ati

    r = web.post(
        f"/gates/reviews/{review.pk}/decide/",
        {"decision": "approve", "role": "sales_director", "next": url},
        follow=True,
    )
    page = r.content.decode()
    assert re.search(r'id="opportunity-state">Analysis<', page)
    # ATI opened the delivery project: its reviews show on the opportunity page too, with a link
    opp.refresh_from_db()
    assert 'id="gate-strip-project"' in page and "Delivery reviews" in page
    assert 'data-gate="DTRB"' in page and 'data-gate="DRA"' in page
    assert f'href="{opp.project.get_absolute_url()}"' in page


def test_refused_gate_request_shows_the_reasons_as_a_message(web, cast):
    opp = OpportunityFactory(owner=cast.owner, customer_budget=None, expected_close_date=None)
    url = f"/opportunities/{opp.pk}/"
    r = web.as_user(cast.owner).post(
        "/gates/request/",
        {"gate": "ATI", "subject_type": "opportunity", "subject_id": opp.pk, "next": url},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == url
    text = " ".join(_messages(r))
    assert "ATI cannot be requested yet" in text
    assert "Record the customer's budget." in text and "Record the timeline" in text
    assert not GateReview.objects.exists()
    opp.refresh_from_db()
    assert opp.state == "validating"


def test_detail_shows_fields_weighted_value_transitions_and_history(web, cast):
    opp = services.opportunity_create(
        user=cast.owner,
        data={
            "customer": CustomerFactory(owner=cast.owner),
            "name": "Harbour DC",
            "expected_value": Decimal("800000"),
            "probability": 25,
            "need_summary": "Two halls",
        },
    )
    page = web.as_user(cast.owner).get(f"/opportunities/{opp.pk}/").content.decode()
    assert re.search(r'id="opportunity-name">Harbour DC<', page) and 'id="opportunity-state">Validating<' in page
    assert re.search(r'id="weighted-value">200,000.00 CNY<', page)
    assert 'data-transition="abandon"' in page and 'data-transition="ati"' in page
    assert "ATI must be approved first" in page
    assert 'id="history"' in page and "Opened" in page
    page = web.get(f"/opportunities/{opp.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    history = page[page.index('id="history"') :]
    # the creation step is said as a step ("created"), not as the list column "creation time"
    assert "<td>创建</td>" in history and "创建时间" not in history and "Opened" not in history
    assert 'id="gate-strip-project"' not in page  # no delivery project before ATI


def test_next_steps_offer_only_what_the_reader_may_run(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    owner = web.as_user(cast.owner).get(f"/opportunities/{opp.pk}/").content.decode()
    assert 'data-transition="abandon" data-kind="ready"' in owner
    # ATI's step is the engine's (it runs when the gate's last role approves): said, with no button
    ati = owner[owner.index('data-transition="ati"') :]
    ati = ati[: ati.index("</li>")]
    assert 'data-kind="automatic"' in ati and "ATI must be approved first" in ati and "<button" not in ati

    # finance reads the deal but may not abandon it: no button, and no red "not allowed" line
    page = Client()
    page.force_login(cast.finance)
    page = page.get(f"/opportunities/{opp.pk}/").content.decode()
    assert 'data-transition="abandon"' not in page and "You are not allowed" not in page
    assert 'data-transition="ati" data-kind="automatic"' in page


def test_lose_needs_a_reason_and_the_refusal_is_a_message(web, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    client = web.as_user(cast.owner)
    r = client.post(f"/opportunities/{opp.pk}/transitions/lose/", follow=True)
    assert any("reason is required" in m for m in _messages(r))
    opp.refresh_from_db()
    assert opp.state == "analysis"
    r = client.post(f"/opportunities/{opp.pk}/transitions/ati/", follow=True)
    assert r.status_code == 200 and _messages(r)
    r = client.post(f"/opportunities/{opp.pk}/transitions/lose/", {"reason": "Price"}, follow=True)
    opp.refresh_from_db()
    assert opp.state == "lost" and opp.loss_reason == "Price"
    assert 'id="opportunity-state">Lost<' in r.content.decode()


def test_other_sales_user_gets_404_on_every_opportunity_page(web, cast, other_sales):
    opp = OpportunityFactory(owner=cast.owner)
    quote = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    client = web.as_user(other_sales)
    for url in (
        f"/opportunities/{opp.pk}/",
        f"/opportunities/{opp.pk}/edit/",
        f"/opportunities/{opp.pk}/quotes/new/",
        f"/opportunities/quotes/{quote.pk}/",
        f"/opportunities/quotes/{quote.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/opportunities/{opp.pk}/transitions/abandon/", {"reason": "x"}).status_code == 404
    assert client.post(f"/opportunities/quotes/{quote.pk}/transitions/submit/").status_code == 404
    assert "Campus network" not in client.get("/opportunities/").content.decode()
    opp.refresh_from_db()
    assert opp.state == "validating"


# Opportunity forms -----------------------------------------------------------------------------


def test_create_offers_only_visible_customers_and_saves(web, cast, other_sales):
    mine = CustomerFactory(owner=cast.owner, name="Mine Co")
    CustomerFactory(owner=other_sales, name="Theirs Co")
    client = web.as_user(cast.owner)
    r = client.get("/opportunities/new/")
    assert r.status_code == 200
    assert list(r.context["form"].fields["customer"].queryset) == [mine]
    assert "owner" not in r.context["form"].fields
    r = client.post(
        "/opportunities/new/",
        {
            "name": "Fresh deal",
            "customer": mine.pk,
            "expected_value": "250000",
            "currency": "CNY",
            "probability": "30",
            "expected_close_date": "2030-01-31",
        },
    )
    opp = Opportunity.objects.get(name="Fresh deal")
    assert r.status_code == 302 and r["Location"] == f"/opportunities/{opp.pk}/"
    assert (opp.owner, opp.customer, opp.expected_value) == (cast.owner, mine, Decimal("250000"))


def test_create_form_errors_save_nothing(web, cast):
    mine = CustomerFactory(owner=cast.owner)
    r = web.as_user(cast.owner).post(
        "/opportunities/new/",
        {"name": "", "customer": mine.pk, "expected_value": "-5", "currency": "CNY", "probability": "150"},
    )
    assert r.status_code == 200
    assert r.context["form"].errors.keys() >= {"name", "expected_value", "probability"}
    assert not Opportunity.objects.exists()


def test_director_assigns_the_owner_on_edit(web, cast, director, make_user):
    opp = OpportunityFactory(owner=cast.owner)
    carl = make_user("carl", roles=["sales"])
    client = web.as_user(director)
    form = client.get(f"/opportunities/{opp.pk}/edit/").context["form"]
    assert "owner" in form.fields
    r = client.post(
        f"/opportunities/{opp.pk}/edit/",
        {
            "name": "Renamed",
            "customer": opp.customer_id,
            "expected_value": "900000",
            "currency": "CNY",
            "probability": "60",
            "need_summary": opp.need_summary,
            "customer_budget": "1200000",
            "expected_close_date": "2030-06-30",
            "owner": carl.pk,
        },
    )
    assert r.status_code == 302
    opp.refresh_from_db()
    assert (opp.name, opp.owner, opp.probability) == ("Renamed", carl, 60)


def test_customer_is_fixed_after_ati(web, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    form = web.as_user(cast.owner).get(f"/opportunities/{opp.pk}/edit/").context["form"]
    assert form.fields["customer"].disabled and form.fields["currency"].disabled


# Quotes ----------------------------------------------------------------------------------------


def test_quote_create_with_formsets_saves_lines_and_shows_margin(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    client = web.as_user(cast.owner)
    page = client.get(f"/opportunities/{opp.pk}/quotes/new/").content.decode()
    assert 'id="live-totals"' in page and 'id="lines-empty"' in page
    r = client.post(f"/opportunities/{opp.pk}/quotes/new/", _quote_post(GOOD_LINES, GOOD_ESTIMATE), follow=True)
    quote = Quote.objects.get(opportunity=opp)
    assert r.redirect_chain[-1][0] == f"/opportunities/quotes/{quote.pk}/"
    assert [(li.description, li.amount) for li in quote.lines.all()] == [
        ("Core switches", Decimal("180.00")),
        ("Installation", Decimal("820.00")),
    ]
    assert quote.estimate_lines.count() == 2
    assert (quote.revenue, quote.cost, quote.margin_percent) == (
        Decimal("1000.00"),
        Decimal("600.00"),
        Decimal("40.00"),
    )
    assert any("revenue 1,000.00 CNY" in m and "gross margin 400.00 CNY" in m and "40.00%" in m for m in _messages(r))
    page = r.content.decode()
    assert re.search(r'id="quote-margin">400.00 <small>CNY', page)
    assert 'id="quote-margin-percent">40.00%<' in page
    assert "Core switches" in page and 'data-transition="submit"' in page


def test_new_version_prefills_from_the_latest_and_supersedes_it(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    first = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    client = web.as_user(cast.owner)
    r = client.get(f"/opportunities/{opp.pk}/quotes/new/")
    lines = r.context["lines"]
    assert lines.initial_form_count() == 1 and lines.forms[0].initial["description"] == "Switches and installation"
    assert r.context["estimates"].initial_form_count() == 2
    data = _quote_post([{**GOOD_LINES[0]}], GOOD_ESTIMATE)
    data.update(_formset("lines", [GOOD_LINES[0]], initial=1))
    r = client.post(f"/opportunities/{opp.pk}/quotes/new/", data)
    assert r.status_code == 302
    first.refresh_from_db()
    assert first.state == "superseded"
    assert opp.quotes.get(version=2).revenue == Decimal("180.00")


@pytest.mark.parametrize("bad", [{"quantity": "-1"}, {"discount_percent": "120"}, {"unit_price": "abc"}])
def test_bad_line_is_a_form_error_and_nothing_is_saved(web, cast, bad):
    opp = OpportunityFactory(owner=cast.owner)
    r = web.as_user(cast.owner).post(
        f"/opportunities/{opp.pk}/quotes/new/", _quote_post([{**GOOD_LINES[0], **bad}], GOOD_ESTIMATE)
    )
    assert r.status_code == 200
    field = next(iter(bad))
    assert field in r.context["lines"].forms[0].errors
    assert "invalid-feedback" in r.content.decode()
    assert not Quote.objects.exists()


def test_negative_estimate_is_a_form_error(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    r = web.as_user(cast.owner).post(
        f"/opportunities/{opp.pk}/quotes/new/",
        _quote_post(GOOD_LINES, [{"category": "labour", "amount": "-10", "note": ""}]),
    )
    assert r.status_code == 200 and "amount" in r.context["estimates"].forms[0].errors
    assert not Quote.objects.exists()


def test_draft_quote_edit_replaces_lines(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    quote = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    client = web.as_user(cast.owner)
    assert client.get(f"/opportunities/quotes/{quote.pk}/edit/").status_code == 200
    data = _quote_post(GOOD_LINES, GOOD_ESTIMATE, payment_terms="All on acceptance")
    r = client.post(f"/opportunities/quotes/{quote.pk}/edit/", data)
    assert r.status_code == 302
    quote.refresh_from_db()
    assert (quote.revenue, quote.cost, quote.payment_terms) == (
        Decimal("1000.00"),
        Decimal("600.00"),
        "All on acceptance",
    )
    assert quote.version == 1 and Quote.objects.count() == 1


def test_untouched_blank_rows_are_ignored(web, cast):
    """The browser posts the spare empty rows of both formsets as they were rendered."""
    opp = OpportunityFactory(owner=cast.owner)
    blank_line = {
        "description": "",
        "category": "other",
        "quantity": "",
        "unit_price": "",
        "discount_percent": "0",
        "unit_cost": "0",
    }
    blank_estimate = {"category": "", "amount": "", "note": ""}
    r = web.as_user(cast.owner).post(
        f"/opportunities/{opp.pk}/quotes/new/", _quote_post([*GOOD_LINES, blank_line], [*GOOD_ESTIMATE, blank_estimate])
    )
    assert r.status_code == 302
    quote = Quote.objects.get()
    assert (quote.lines.count(), quote.estimate_lines.count()) == (2, 2)


def test_deleted_rows_are_left_out(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    lines = [GOOD_LINES[0], {**GOOD_LINES[1], "quantity": "-3", "DELETE": "on"}]
    r = web.as_user(cast.owner).post(f"/opportunities/{opp.pk}/quotes/new/", _quote_post(lines, GOOD_ESTIMATE))
    assert r.status_code == 302
    assert Quote.objects.get().lines.count() == 1


def test_submitted_quote_cannot_be_edited(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    quote = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    client = web.as_user(cast.owner)
    r = client.post(f"/opportunities/quotes/{quote.pk}/transitions/submit/", follow=True)
    quote.refresh_from_db()
    assert quote.state == "submitted" and 'id="edit-quote"' not in r.content.decode()
    r = client.get(f"/opportunities/quotes/{quote.pk}/edit/", follow=True)
    assert r.redirect_chain[-1][0] == f"/opportunities/quotes/{quote.pk}/"
    assert any("can no longer change" in m for m in _messages(r))
    r = client.post(f"/opportunities/quotes/{quote.pk}/edit/", _quote_post(GOOD_LINES, GOOD_ESTIMATE), follow=True)
    assert any("can no longer change" in m for m in _messages(r))
    quote.refresh_from_db()
    assert quote.revenue == Decimal("1000000.00") and quote.lines.count() == 1


def test_quote_transition_refusal_is_a_message(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    quote = services.quote_create(opportunity=opp, user=cast.owner, data={"payment_terms": "x"})
    client = web.as_user(cast.owner)
    r = client.post(f"/opportunities/quotes/{quote.pk}/transitions/submit/", follow=True)
    assert any("at least one priced line" in m for m in _messages(r))
    quote.refresh_from_db()
    assert quote.state == "draft"
    r = client.post(f"/opportunities/quotes/{quote.pk}/transitions/no-such-step/", follow=True)
    assert any("No such step" in m for m in _messages(r))


def test_reader_roles_see_but_cannot_edit(web, cast, finance):
    opp = OpportunityFactory(owner=cast.owner)
    quote = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    client = web.as_user(finance)
    page = client.get(f"/opportunities/{opp.pk}/").content.decode()
    assert 'id="edit-opportunity"' not in page and 'id="new-quote"' not in page
    assert client.get(f"/opportunities/{opp.pk}/edit/").status_code == 403
    assert client.get(f"/opportunities/{opp.pk}/quotes/new/").status_code == 403
    assert client.get(f"/opportunities/quotes/{quote.pk}/edit/").status_code == 403
    r = client.post(f"/opportunities/quotes/{quote.pk}/transitions/submit/", follow=True)
    assert _messages(r)
    quote.refresh_from_db()
    assert quote.state == "draft"


def test_pipeline_shows_the_first_cards_and_counts_the_rest(web, make_user):
    owner = make_user("pipeline-owner", roles=["sales"])
    for _ in range(PIPELINE_CARDS + 2):
        OpportunityFactory(owner=owner, expected_value=Decimal("1000.00"), probability=50)
    page = web.as_user(owner).get("/opportunities/").content.decode()
    assert page.count('class="card card-body p-2 border opportunity-card"') == PIPELINE_CARDS
    assert "and 2 more" in page and f"{PIPELINE_CARDS + 2} opportunities" in page
    assert "27,000 CNY" in page and "13,500 CNY" in page


def test_pipeline_filters_by_owner_customer_and_close_month(web, cast, director, other_sales):
    import datetime
    import json

    mine = OpportunityFactory(owner=cast.owner, name="Mine in March", expected_close_date=datetime.date(2027, 3, 5))
    theirs = OpportunityFactory(
        owner=other_sales, name="Theirs in April", expected_close_date=datetime.date(2027, 4, 9), currency="GBP"
    )
    client = web.as_user(director)
    page = client.get("/opportunities/").content.decode()
    assert "Mine in March" in page and "Theirs in April" in page
    chart = json.loads(re.search(r'id="forecast-chart-data" type="application/json">(.*?)</script>', page).group(1))
    axes = {d["label"]: d["yAxisID"] for d in chart["data"]["datasets"]}
    assert len(set(axes.values())) == 2  # CNY and GBP never share an axis
    assert {chart["options"]["scales"][a]["title"]["text"] for a in axes.values()} == {"CNY", "GBP"}

    page = client.get(f"/opportunities/?owner={cast.owner.pk}").content.decode()
    assert (
        "Mine in March" in page and "Theirs in April" not in page and "GBP" not in page.split('id="forecast-table"')[1]
    )
    page = client.get(f"/opportunities/?customer={theirs.customer_id}").content.decode()
    assert "Theirs in April" in page and "Mine in March" not in page
    page = client.get("/opportunities/?close_month=2027-03").content.decode()
    assert "Mine in March" in page and "Theirs in April" not in page

    # a bad filter narrows nothing and says why; never a 500
    for query in (
        "close_month=2027-13",
        "close_month=%00",
        "owner=abc",
        f"owner={director.pk}",
        "customer=99999999999999",
    ):
        r = client.get(f"/opportunities/?{query}")
        assert r.status_code == 200, query
        assert 'id="filter-errors"' in r.content.decode() and "Mine in March" in r.content.decode(), query

    # a salesperson is offered only their own customers and themselves
    page = web.as_user(cast.owner).get("/opportunities/").content.decode()
    form = page.split('id="pipeline-filters"')[1].split("</form>")[0]
    assert str(mine.customer) in form and str(theirs.customer) not in form and other_sales.username not in form
    assert mine.pk
