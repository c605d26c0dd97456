import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from leads import services
from leads.models import Customer, Lead
from tests.leads.factories import CustomerFactory, LeadFactory


def test_login_required(client, db):
    r = client.get("/leads/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_navigation_shows_each_role_its_pages(web, sales, finance):
    page = web.as_user(sales).get("/").content.decode()
    assert 'href="/leads/"' in page and 'href="/leads/customers/"' in page
    page = web.as_user(finance).get("/").content.decode()
    assert 'href="/leads/"' not in page and 'href="/leads/customers/"' in page
    assert web.get("/leads/").status_code == 403


def test_list_filters_and_shows_only_own_leads(web, sales, other_sales):
    LeadFactory(owner=sales, company_name="Mine Alpha")
    LeadFactory(owner=sales, company_name="Mine Beta")
    LeadFactory(owner=other_sales, company_name="Someone Else's")
    page = web.as_user(sales).get("/leads/?q=alpha").content.decode()
    assert "Mine Alpha" in page and "Mine Beta" not in page and "Someone Else" not in page


def test_create_warns_about_duplicates_before_saving(web, sales, other_sales):
    LeadFactory(owner=other_sales, company_name="Umbrella Co., Ltd.", email="boss@umbrella.com")
    client = web.as_user(sales)
    form = {"company_name": "Umbrella Ltd", "email": "", "source": "website", "budget_currency": "CNY"}
    r = client.post("/leads/new/", form)
    assert r.status_code == 200
    assert "Possible duplicates" in r.content.decode() and Lead.objects.count() == 1
    r = client.post("/leads/new/", {**form, "confirm_duplicates": "on"})
    assert r.status_code == 302 and Lead.objects.count() == 2


def test_htmx_duplicate_check_tells_nothing_of_another_owners_lead(web, sales, other_sales):
    LeadFactory(owner=other_sales, company_name="Hidden Corp", contact_name="Secret Person", phone="13900001111")
    r = web.as_user(sales).post("/leads/new/", {"phone": "139 0000 1111"}, HTTP_HX_REQUEST="true")
    page = r.content.decode()
    assert r.status_code == 200 and "duplicate-warning" in page
    assert "A matching open lead exists with another owner." in page
    assert "Hidden Corp" not in page and "Secret Person" not in page and other_sales.username not in page


def test_htmx_duplicate_check_renders_candidates(web, sales):
    LeadFactory(owner=sales, phone="13812345678")
    r = web.as_user(sales).post("/leads/new/", {"phone": "+86 138 1234 5678"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "duplicate-warning" in r.content.decode()
    assert Lead.objects.count() == 1


def test_create_form_shows_field_errors_and_saves_nothing(web, sales):
    r = web.as_user(sales).post(
        "/leads/new/", {"company_name": "", "budget_amount": "-3", "budget_currency": "CNY", "source": "website"}
    )
    assert r.status_code == 200
    assert r.context["form"].errors.keys() >= {"company_name", "budget_amount"}
    assert not Lead.objects.exists()


def test_detail_shows_blocked_step_with_reason_and_history(web, sales):
    lead = services.lead_transition(lead=LeadFactory(owner=sales), name="contact", user=sales)
    page = web.as_user(sales).get(f"/leads/{lead.pk}/").content.decode()
    assert re.search(r'data-transition="qualify".*?Record the need, budget, timeline before qualifying', page, re.S)
    # the owner's step waits for its reasons: a disabled button, the reasons in plain text
    step = page[page.index('data-transition="qualify"') :]
    step = step[: step.index("</li>")]
    assert 'data-kind="blocked"' in step and re.search(r"<button[^>]*disabled", step) and "text-danger" not in step
    assert "Contacted" in page and 'id="history"' in page


def test_refused_transition_shows_message_and_changes_nothing(web, sales):
    lead = services.lead_transition(lead=LeadFactory(owner=sales), name="contact", user=sales)
    r = web.as_user(sales).post(f"/leads/{lead.pk}/transitions/qualify/", follow=True)
    assert "before qualifying" in r.content.decode()
    lead.refresh_from_db()
    assert lead.state == "contacted"


def test_convert_from_the_page_lands_on_the_opportunity(web, sales):
    lead = LeadFactory(owner=sales, ready=True)
    client = web.as_user(sales)
    client.post(f"/leads/{lead.pk}/transitions/contact/")
    client.post(f"/leads/{lead.pk}/transitions/qualify/")
    r = client.post(f"/leads/{lead.pk}/transitions/convert/")
    lead.refresh_from_db()
    assert lead.state == "converted"
    assert r.status_code == 302 and r["Location"] == f"/opportunities/{lead.opportunity.pk}/"
    assert client.get(r["Location"]).status_code == 200


def test_other_sales_user_cannot_see_or_change_the_lead_page(web, sales, other_sales):
    lead = LeadFactory(owner=sales)
    client = web.as_user(other_sales)
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    assert client.get(f"/leads/{lead.pk}/edit/").status_code == 404
    assert client.post(f"/leads/{lead.pk}/edit/", {"company_name": "Hijacked"}).status_code == 404
    assert client.post(f"/leads/{lead.pk}/transitions/contact/").status_code == 404
    lead.refresh_from_db()
    assert lead.state == "new" and lead.company_name != "Hijacked"


def test_other_sales_user_cannot_see_the_lead_in_the_admin(client, sales, make_user):
    lead = LeadFactory(owner=sales)
    other = make_user("staffsales", roles=["sales"], is_staff=True)
    client.force_login(other)
    assert client.get(f"/admin/leads/lead/{lead.pk}/change/").status_code in (302, 403, 404)
    listing = client.get("/admin/leads/lead/")
    assert listing.status_code == 403 or lead.company_name not in listing.content.decode()


def test_edit_records_qualification_data(web, sales):
    lead = LeadFactory(owner=sales)
    r = web.as_user(sales).post(
        f"/leads/{lead.pk}/edit/",
        {
            "company_name": lead.company_name,
            "source": "website",
            "need": "Data center",
            "budget_amount": "500000",
            "budget_currency": "CNY",
            "timeline": "within_3_months",
        },
    )
    assert r.status_code == 302
    lead.refresh_from_db()
    assert (lead.need, lead.budget_amount, lead.timeline) == ("Data center", Decimal("500000"), "within_3_months")


def test_export_is_an_excel_file_of_the_filtered_list(web, sales):
    LeadFactory(owner=sales, company_name="Export Me", source="referral")
    LeadFactory(owner=sales, company_name="Not Me", source="event")
    r = web.as_user(sales).get("/leads/export.xlsx?source=referral")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    companies = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert companies == ["Export Me"]


def test_customer_pages(web, sales, finance):
    c = CustomerFactory(owner=sales, name="客户甲有限公司")
    assert "客户甲有限公司" in web.as_user(finance).get(f"/leads/customers/{c.pk}/").content.decode()
    assert web.as_user(finance).post(f"/leads/customers/{c.pk}/edit/", {"name": "x"}).status_code == 403
    r = web.as_user(sales).post("/leads/customers/new/", {"name": "客户甲 有限公司"})
    assert r.status_code == 200 and "already exists" in r.content.decode()
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("url", ["/leads/", "/leads/customers/", "/opportunities/", "/"])
def test_list_page_query_count_is_constant(client, director, sales, url):
    def grow(n):
        for _ in range(n):
            lead = LeadFactory(owner=sales, ready=True)
            for step in ("contact", "qualify", "convert"):
                lead = services.lead_transition(lead=lead, name=step, user=sales)

    def count():
        client.force_login(director)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    few = count()
    grow(8)
    assert count() == few
