import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads import services
from leads.models import Customer, Lead
from ltc_portal.core.models import TransitionLog
from tests.leads.factories import CustomerFactory, LeadFactory

LEADS = "/api/v1/leads/"


def transitions_url(lead, name=None):
    return f"{LEADS}{lead.pk}/transitions/" + (f"{name}/" if name else "")


class TestLeadCrud:
    def test_create_defaults_owner_and_returns_score_and_no_duplicates(self, api, sales):
        r = api.as_user(sales).post(
            LEADS,
            {
                "company_name": "Initech",
                "email": "Peter@Initech.com",
                "budget_amount": "120000.50",
                "budget_currency": "usd",
            },
        )
        assert r.status_code == 201, r.json()
        body = r.json()
        assert body["owner"] == sales.pk and body["state"] == "new" and body["email"] == "peter@initech.com"
        assert body["budget_amount"] == "120000.50" and body["budget_currency"] == "USD"
        assert body["score"] == 14 + 3 and body["duplicates"] == [] and body["opportunity"] is None

    def test_create_reports_readable_duplicates_and_only_that_another_owner_has_one(
        self, api, sales, other_sales, director
    ):
        theirs = LeadFactory(owner=other_sales, company_name="Initech Co., Ltd.", email="x@initech.com")
        r = api.as_user(sales).post(LEADS, {"company_name": "INITECH LTD", "email": "x@initech.com"})
        assert r.status_code == 201
        body = r.json()
        # nothing of the other owner's lead: no id, owner, contact or state — only that it exists
        assert body["duplicates"] == [] and body["duplicate_with_other_owner"] is True
        assert "Initech Co." not in r.content.decode() and theirs.contact_name not in r.content.decode()
        mine = body["id"]
        r = api.as_user(sales).post(LEADS, {"company_name": "Initech", "email": "y@initech.com"})
        dups = r.json()["duplicates"]
        assert [d["id"] for d in dups] == [mine] and r.json()["duplicate_with_other_owner"] is True
        assert set(dups[0]["matched_on"]) == {"company_name"}
        # a director reads every lead: all of them are listed, none is hidden
        r = api.as_user(director).post(LEADS, {"company_name": "Initech", "email": "x@initech.com"})
        assert {d["id"] for d in r.json()["duplicates"]} >= {theirs.pk, mine}
        assert r.json()["duplicate_with_other_owner"] is False
        # the lead itself, read back, carries no duplicates
        assert "duplicates" not in api.as_user(sales).get(f"{LEADS}{mine}/").json()

    def test_read_only_fields_are_ignored(self, api, sales):
        r = api.as_user(sales).post(LEADS, {"company_name": "X", "state": "converted", "score": 99})
        assert r.status_code == 201 and r.json()["state"] == "new" and r.json()["score"] < 99

    @pytest.mark.parametrize(
        "payload,field",
        [
            ({}, "company_name"),
            ({"company_name": "X", "budget_amount": "-5"}, "budget_amount"),
            ({"company_name": "X", "budget_amount": "abc"}, "budget_amount"),
            ({"company_name": "X", "budget_currency": "EURO"}, "budget_currency"),
            ({"company_name": "X", "email": "not-an-email"}, "email"),
            ({"company_name": "X", "timeline": "someday"}, "timeline"),
            ({"company_name": "X", "owner": 999999}, "owner"),
        ],
    )
    def test_bad_input_is_a_400_with_field_errors_and_creates_nothing(self, api, sales, payload, field):
        r = api.as_user(sales).post(LEADS, payload)
        assert r.status_code == 400 and field in r.json()
        assert not Lead.objects.exists()

    def test_malformed_json_is_a_json_400(self, api, sales):
        r = api.as_user(sales).post(LEADS, data="{not json", content_type="application/json")
        assert r.status_code == 400 and "detail" in r.json()

    def test_sales_cannot_assign_another_owner(self, api, sales, other_sales):
        r = api.as_user(sales).post(LEADS, {"company_name": "X", "owner": other_sales.pk})
        assert r.status_code == 400 and "owner" in r.json()

    def test_update_and_delete(self, api, sales):
        lead = LeadFactory(owner=sales)
        r = api.as_user(sales).patch(f"{LEADS}{lead.pk}/", {"need": "Cloud migration"})
        assert r.status_code == 200 and r.json()["need"] == "Cloud migration"
        assert api.delete(f"{LEADS}{lead.pk}/").status_code == 405

    def test_anonymous_is_refused(self, api, db):
        assert api.get(LEADS).status_code in (401, 403)


class TestVisibility:
    def test_sales_sees_only_own_leads_director_and_executive_see_all(
        self, api, sales, other_sales, director, executive, finance
    ):
        mine, theirs = LeadFactory(owner=sales), LeadFactory(owner=other_sales)
        ids = lambda u: {row["id"] for row in api.as_user(u).get(LEADS).json()["results"]}  # noqa: E731
        assert ids(sales) == {mine.pk}
        assert ids(director) == ids(executive) == {mine.pk, theirs.pk}
        assert ids(finance) == set()

    def test_other_sales_user_gets_404_through_every_door(self, api, sales, other_sales):
        lead = LeadFactory(owner=sales)
        client = api.as_user(other_sales)
        assert client.get(f"{LEADS}{lead.pk}/").status_code == 404
        assert client.patch(f"{LEADS}{lead.pk}/", {"notes": "hijack"}).status_code == 404
        assert client.get(transitions_url(lead)).status_code == 404
        assert client.post(transitions_url(lead, "contact")).status_code == 404
        assert client.get(f"{LEADS}{lead.pk}/history/").status_code == 404
        lead.refresh_from_db()
        assert lead.notes == "" and lead.state == "new"

    def test_executive_reads_but_cannot_change(self, api, sales, executive):
        lead = LeadFactory(owner=sales)
        client = api.as_user(executive)
        assert client.get(f"{LEADS}{lead.pk}/").status_code == 200
        assert client.patch(f"{LEADS}{lead.pk}/", {"notes": "x"}).status_code == 403
        r = client.post(transitions_url(lead, "contact"))
        assert r.status_code == 403 and "detail" in r.json()
        lead.refresh_from_db()
        assert lead.state == "new" and lead.notes == ""


class TestTransitionsEndpoint:
    def test_list_explains_blocked_steps(self, api, sales):
        lead = services.lead_transition(lead=LeadFactory(owner=sales), name="contact", user=sales)
        rows = {t["name"]: t for t in api.as_user(sales).get(transitions_url(lead)).json()}
        assert set(rows) == {"nurture", "qualify", "disqualify"}
        assert rows["nurture"] == {
            "name": "nurture",
            "target": "nurturing",
            "label": "Nurture",
            "allowed": True,
            "reasons": [],
            "needs_reason": False,
        }
        assert rows["qualify"]["allowed"] is False
        assert "need, budget, timeline" in rows["qualify"]["reasons"][0]
        assert rows["disqualify"]["needs_reason"] is True

    def test_run_returns_the_object_and_logs(self, api, sales):
        lead = LeadFactory(owner=sales)
        r = api.as_user(sales).post(transitions_url(lead, "contact"), {"reason": "Called the CIO"})
        assert r.status_code == 200 and r.json()["state"] == "contacted"
        log = TransitionLog.objects.for_subject(lead).get()
        assert (log.transition, log.by, log.reason) == ("contact", sales, "Called the CIO")
        history = api.get(f"{LEADS}{lead.pk}/history/").json()
        assert [(h["transition"], h["source"], h["target"], h["by"]) for h in history] == [
            ("contact", "new", "contacted", "alice")
        ]

    def test_409_with_reasons_when_a_condition_fails(self, api, sales):
        lead = services.lead_transition(lead=LeadFactory(owner=sales), name="contact", user=sales)
        r = api.as_user(sales).post(transitions_url(lead, "qualify"))
        assert r.status_code == 409
        assert r.json()["detail"] and "need" in r.json()["reasons"][0]
        lead.refresh_from_db()
        assert lead.state == "contacted"

    def test_409_when_not_possible_from_the_current_state(self, api, sales):
        lead = LeadFactory(owner=sales)
        r = api.as_user(sales).post(transitions_url(lead, "convert"))
        assert r.status_code == 409 and r.json()["reasons"]

    def test_404_for_unknown_transition(self, api, sales):
        r = api.as_user(sales).post(transitions_url(LeadFactory(owner=sales), "explode"))
        assert r.status_code == 404 and "detail" in r.json()

    def test_disqualify_without_reason_is_400(self, api, sales):
        lead = LeadFactory(owner=sales)
        r = api.as_user(sales).post(transitions_url(lead, "disqualify"), {})
        assert r.status_code == 400 and "reason" in r.json()
        lead.refresh_from_db()
        assert lead.state == "new"

    def test_state_field_is_read_only(self, api, sales):
        lead = LeadFactory(owner=sales)
        r = api.as_user(sales).patch(f"{LEADS}{lead.pk}/", {"state": "qualified"})
        assert r.status_code == 200
        lead.refresh_from_db()
        assert lead.state == "new"

    def test_convert_through_the_api_exposes_customer_and_opportunity(self, api, sales):
        lead = LeadFactory(owner=sales, ready=True)
        client = api.as_user(sales)
        for step in ("contact", "qualify", "convert"):
            r = client.post(transitions_url(lead, step))
            assert r.status_code == 200, r.json()
        body = r.json()
        assert body["state"] == "converted" and body["customer"] and body["opportunity"]
        opp = client.get(f"/api/v1/opportunities/{body['opportunity']}/").json()
        assert opp["state"] == "validating" and opp["customer"] == body["customer"] and opp["lead"] == lead.pk


class TestFilters:
    def test_filter_by_state_source_owner_search_and_sort_by_score(self, api, director, sales, other_sales):
        a = LeadFactory(owner=sales, source="referral", company_name="Alpha", need="x", notes="y")
        b = LeadFactory(owner=other_sales, source="event", company_name="Beta")
        services.lead_transition(lead=b, name="contact", user=other_sales)
        client = api.as_user(director)
        ids = lambda q: [r["id"] for r in client.get(LEADS + q).json()["results"]]  # noqa: E731
        assert ids("?state=contacted") == [b.pk]
        assert ids("?source=referral") == [a.pk]
        assert ids(f"?owner={other_sales.pk}") == [b.pk]
        assert ids("?q=alph") == [a.pk]
        assert ids("?ordering=-score") == [a.pk, b.pk]
        assert ids("?ordering=score") == [b.pk, a.pk]

    def test_invalid_filter_value_is_400(self, api, director):
        r = api.as_user(director).get(LEADS + "?state=flying")
        assert r.status_code == 400 and "state" in r.json()


class TestCustomers:
    def test_sales_sees_own_and_linked_customers_other_roles_read_all(self, api, sales, other_sales, finance):
        mine = CustomerFactory(owner=sales)
        theirs = CustomerFactory(owner=other_sales)
        linked = CustomerFactory(owner=other_sales)
        LeadFactory(owner=sales).__class__.objects.filter(owner=sales).update(customer=linked)
        ids = lambda u: {c["id"] for c in api.as_user(u).get("/api/v1/customers/").json()["results"]}  # noqa: E731
        assert ids(sales) == {mine.pk, linked.pk}
        assert ids(finance) == {mine.pk, theirs.pk, linked.pk}
        assert api.as_user(sales).get(f"/api/v1/customers/{theirs.pk}/").status_code == 404

    def test_duplicate_customer_is_a_400_naming_the_problem(self, api, sales):
        CustomerFactory(name="Globex Corporation")
        r = api.as_user(sales).post("/api/v1/customers/", {"name": "GLOBEX corp."})
        assert r.status_code == 400
        assert "already exists" in str(r.json())
        assert Customer.objects.count() == 1

    def test_finance_reads_but_cannot_edit_customers(self, api, sales, finance):
        c = CustomerFactory(owner=sales)
        client = api.as_user(finance)
        assert client.get(f"/api/v1/customers/{c.pk}/").status_code == 200
        assert client.patch(f"/api/v1/customers/{c.pk}/", {"industry": "x"}).status_code == 403
        assert client.post("/api/v1/customers/", {"name": "New"}).status_code == 403

    def test_contacts_follow_the_customer(self, api, sales, other_sales):
        c = CustomerFactory(owner=sales)
        r = api.as_user(sales).post("/api/v1/contacts/", {"customer": c.pk, "name": "Ann", "email": "ANN@x.com"})
        assert r.status_code == 201 and r.json()["email"] == "ann@x.com"
        r = api.as_user(other_sales).post("/api/v1/contacts/", {"customer": c.pk, "name": "Eve"})
        assert r.status_code == 403
        assert api.as_user(other_sales).get("/api/v1/contacts/").json()["count"] == 0


def count_queries(client, url, user):
    client.force_authenticate(type(user).objects.get(pk=user.pk))  # a fresh user: no cached roles
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [LEADS, "/api/v1/customers/", "/api/v1/contacts/", "/api/v1/opportunities/"])
def test_list_endpoint_query_count_is_constant(api, director, sales, url):
    def grow(n):
        for _ in range(n):
            lead = LeadFactory(owner=sales, ready=True)
            for step in ("contact", "qualify", "convert"):
                lead = services.lead_transition(lead=lead, name=step, user=sales)

    client = api.as_user(director)
    grow(2)
    few = count_queries(client, url, director)
    grow(8)
    assert count_queries(client, url, director) == few


def test_schema_and_docs_are_served(client, sales):
    client.force_login(sales)  # behind a login in production (API_DOCS_REQUIRE_LOGIN)
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200 and b"/api/v1/leads/{id}/transitions/{name}/" in schema.content
    docs = client.get(reverse("swagger-ui"))
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_unknown_api_path_is_json_404(client, db):
    r = client.get("/api/v1/nothing-here/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
