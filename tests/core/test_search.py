"""Global search (issue 10 §3): one box, only what the user may read, grouped by type; odd input is
answered in words (never a 500); a constant number of queries whatever the data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ltc_portal.core import search
from tests.leads.factories import ContactFactory, CustomerFactory, LeadFactory
from tests.opportunities.factories import Cast, OpportunityFactory, project_in_plan_with_contract

pytestmark = pytest.mark.django_db

API = "/api/v1/search/"


def types_and_titles(response):
    return {(h["type"], h["title"]) for h in response.json()}


def test_the_registry_has_every_type_in_order():
    assert [p.type for p in search.providers()] == [
        "lead",
        "customer",
        "contact",
        "opportunity",
        "contract",
        "project",
        "invoice",
    ]


def test_sales_never_sees_another_salespersons_lead(api, sales, other_sales):
    LeadFactory(owner=sales, company_name="Acme Robotics 一号")
    LeadFactory(owner=other_sales, company_name="Acme Robotics 二号", email="secret@acme.example")
    found = api.as_user(sales).get(API, {"q": "acme"})
    assert found.status_code == 200
    assert types_and_titles(found) == {("lead", "Acme Robotics 一号")}
    # not by e-mail either, and not on the page
    assert api.as_user(sales).get(API, {"q": "secret@acme"}).json() == []


def test_the_page_shows_only_the_users_leads(web, sales, other_sales):
    LeadFactory(owner=sales, company_name="Mine Acme")
    LeadFactory(owner=other_sales, company_name="Theirs Acme")
    page = web.as_user(sales).get("/search/", {"q": "acme"})
    assert page.status_code == 200
    assert "Mine Acme" in page.content.decode() and "Theirs Acme" not in page.content.decode()


def test_director_sees_every_lead_and_results_are_grouped_by_type(api, web, director, sales, other_sales):
    customer = CustomerFactory(name="Globex 华东", tax_id="91310000GLOBEX")
    ContactFactory(customer=customer, name="Hank Globex", email="hank@globex.example", phone="+86 21 5555 0101")
    LeadFactory(owner=sales, company_name="Globex lead A")
    LeadFactory(owner=other_sales, company_name="Globex lead B")
    OpportunityFactory(customer=customer, owner=sales, name="Globex campus network")
    hits = api.as_user(director).get(API, {"q": "globex"}).json()
    assert [h["type"] for h in hits] == ["lead", "lead", "customer", "contact", "opportunity"]
    assert all(set(h) == {"type", "id", "title", "url"} for h in hits)
    # by tax ID, e-mail and phone
    assert types_and_titles(api.get(API, {"q": "91310000glob"})) == {("customer", "Globex 华东")}
    assert ("contact", "Hank Globex") in types_and_titles(api.get(API, {"q": "hank@globex"}))
    assert ("contact", "Hank Globex") in types_and_titles(api.get(API, {"q": "5555 0101"}))
    page = web.as_user(director).get("/search/", {"q": "globex"}).content.decode()
    assert page.index('id="search-lead"') < page.index('id="search-customer"') < page.index('id="search-opportunity"')


def test_contracts_and_projects_follow_their_opportunity(make_user, api, other_sales):
    cast = Cast(make_user, prefix="s")
    project = project_in_plan_with_contract(cast, number="SRCH-2026-042")
    assert types_and_titles(api.as_user(cast.owner).get(API, {"q": "srch-2026"})) == {("contract", "SRCH-2026-042")}
    assert ("project", project.name) in types_and_titles(api.as_user(cast.pm).get(API, {"q": project.name}))
    assert api.as_user(other_sales).get(API, {"q": "srch-2026"}).json() == []
    assert api.as_user(other_sales).get(API, {"q": project.name}).json() == []


def test_invoices_are_found_by_number_by_whoever_reads_their_contract(make_user, api, other_sales):
    from tests.finance.factories import invoice_every_payment

    cast = Cast(make_user, prefix="i")
    project = project_in_plan_with_contract(cast, number="INVS-2026-007")
    [invoice] = invoice_every_payment(project, cast)
    for reader in (cast.finance, cast.owner):
        hits = [h for h in api.as_user(reader).get(API, {"q": invoice.number.lower()}).json() if h["type"] == "invoice"]
        assert [(h["id"], h["title"]) for h in hits] == [(invoice.pk, invoice.number)], reader
        assert hits[0]["url"] == f"/contracts/{project.contract.pk}/"  # its contract, which they may open
    assert [h for h in api.as_user(other_sales).get(API, {"q": invoice.number}).json()] == []


def test_a_lead_is_found_by_phone(api, sales):
    LeadFactory(owner=sales, company_name="Phone Lead Ltd", phone="+86 139 0000 4242")
    assert types_and_titles(api.as_user(sales).get(API, {"q": "0000 4242"})) == {("lead", "Phone Lead Ltd")}


def test_chinese_text_is_found(api, sales):
    LeadFactory(owner=sales, company_name="成都天府政务服务中心", contact_name="李娜")
    assert types_and_titles(api.as_user(sales).get(API, {"q": "天府政务"})) == {("lead", "成都天府政务服务中心")}
    assert types_and_titles(api.get(API, {"q": "李娜"})) == {("lead", "成都天府政务服务中心")}


@pytest.mark.parametrize("q", ["", "   ", "\x00", "%", "_", "%%", "a%b", "x_y", "\x00acme\x00"])
def test_odd_input_is_answered_without_error(api, web, sales, q):
    LeadFactory(owner=sales, company_name="Acme 100% real")
    LeadFactory(owner=sales, company_name="Plain company")
    response = api.as_user(sales).get(API, {"q": q})
    assert response.status_code == 200
    titles = {h["title"] for h in response.json()}
    if q.strip("\x00 ") in ("", "_", "%%", "a%b", "x_y"):
        assert titles == set()  # %, _ are literal characters, not wildcards
    elif q == "%":
        assert titles == {"Acme 100% real"}
    else:
        assert titles == {"Acme 100% real"}
    assert web.as_user(sales).get("/search/", {"q": q}).status_code == 200


def test_a_query_of_ten_thousand_characters_is_refused_in_words(api, web, sales):
    response = api.as_user(sales).get(API, {"q": "a" * 10_000})
    assert response.status_code == 400
    assert response.json()["detail"] == "Search for at most 100 characters."
    page = web.as_user(sales).get("/search/", {"q": "a" * 10_000})
    assert page.status_code == 400 and "Search for at most 100 characters." in page.content.decode()


def test_anonymous_callers_are_refused(client):
    assert client.get(API, {"q": "x"}).status_code in (401, 403)
    assert client.get("/search/", {"q": "x"}).status_code == 302


def test_the_navbar_has_the_search_box(web, sales):
    assert 'id="global-search"' in web.as_user(sales).get("/").content.decode()


def count_queries(client, q):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(API, {"q": q}).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_constant(api, director, sales):
    client = api.as_user(director)
    LeadFactory(owner=sales, company_name="Initech 1")
    count_queries(client, "initech")  # the caller's roles are read once and kept on the user
    few = count_queries(client, "initech")
    for i in range(15):
        customer = CustomerFactory(name=f"Initech customer {i}")
        ContactFactory(customer=customer, name=f"Initech person {i}")
        LeadFactory(owner=sales, company_name=f"Initech {i + 2}")
        OpportunityFactory(customer=customer, owner=sales, name=f"Initech deal {i}")
    assert count_queries(client, "initech") == few
    assert len(client.get(API, {"q": "initech"}).json()) == 4 * search.PER_TYPE


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's (pg_trgm)")
def test_every_searched_column_has_its_trigram_index_and_postgres_uses_it():
    expected = {
        "leads_lead": ("lead_search_trgm", ["company_name", "contact_name", "email", "phone", "need"]),
        "leads_customer": ("customer_search_trgm", ["name", "tax_id"]),
        "leads_contact": ("contact_search_trgm", ["name", "email", "phone"]),
        "opportunities_opportunity": ("opportunity_search_trgm", ["name"]),
        "contracts_contract": ("contract_search_trgm", ["number"]),
        "delivery_project": ("project_search_trgm", ["name"]),
        "finance_invoice": ("invoice_search_trgm", ["number"]),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%%gin_trgm_ops%%'")
        found = {(table, name): definition for table, name, definition in cursor.fetchall()}
        for table, (name, columns) in expected.items():
            definition = found.get((table, name))
            assert definition is not None and "USING gin" in definition, (table, name)
            # on UPPER(column), the expression Django's icontains compares
            assert all(
                re.search(rf"upper\(\(?{column}\)?(::text)?\) gin_trgm_ops", definition) for column in columns
            ), definition
        # with sequential scans priced out (a test table is tiny), the search's own query reads the index
        cursor.execute("SET LOCAL enable_seqscan = off")
    from finance.models import Invoice
    from leads.models import Lead

    # (unordered: on a tiny table the planner would rather walk an index in the list's order)
    assert "invoice_search_trgm" in Invoice.objects.order_by().filter(number__icontains="INV-42").explain()
    assert "lead_search_trgm" in Lead.objects.order_by().filter(phone__icontains="0000 4242").explain()
