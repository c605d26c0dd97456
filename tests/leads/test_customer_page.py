"""The customer's 360° page: contacts added and changed by who may, and the customer's opportunities,
contracts, projects and invoices from the downstream apps — only what the reader may read, at a constant
number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Contact
from tests.finance.factories import invoice_every_payment
from tests.leads.factories import ContactFactory, CustomerFactory
from tests.opportunities.factories import Cast, OpportunityFactory, project_in_plan_with_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user, sales):
    return Cast(make_user, owner=sales)


def test_the_owner_adds_and_changes_a_contact(web, cast):
    customer = CustomerFactory(owner=cast.owner)
    client = web.as_user(cast.owner)
    page = client.get(f"/leads/customers/{customer.pk}/").content.decode()
    assert f'href="/leads/customers/{customer.pk}/contacts/new/"' in page

    r = client.post(f"/leads/customers/{customer.pk}/contacts/new/", {"name": "Wang Li", "email": "not-an-address"})
    assert r.status_code == 200 and "Enter a valid email address." in r.content.decode()
    assert not Contact.objects.filter(name="Wang Li").exists()

    r = client.post(
        f"/leads/customers/{customer.pk}/contacts/new/",
        {"name": "Wang Li", "title": "CIO", "email": "Wang.Li@Example.com", "phone": "+86 10 1234"},
        follow=True,
    )
    contact = Contact.objects.get(name="Wang Li")
    assert contact.customer == customer and contact.email == "wang.li@example.com" and contact.created_by == cast.owner
    assert "Contact saved." in r.content.decode() and "wang.li@example.com" in r.content.decode()

    r = client.post(f"/leads/contacts/{contact.pk}/edit/", {"name": "Wang Li", "title": "CTO", "email": contact.email})
    contact.refresh_from_db()
    assert r.status_code == 302 and contact.title == "CTO"

    # a second contact with the same e-mail at this customer is refused with the constraint's words
    r = client.post(f"/leads/customers/{customer.pk}/contacts/new/", {"name": "Other", "email": "wang.li@example.com"})
    assert "already has a contact with this e-mail" in r.content.decode()


def test_who_may_not_change_contacts_gets_403_and_no_links(web, cast, other_sales):
    opp = OpportunityFactory(owner=cast.owner)
    contact = ContactFactory(customer=opp.customer)
    # finance reads the customer but does not edit its contacts: no links, and 403 when typed
    page = web.as_user(cast.finance).get(f"/leads/customers/{opp.customer_id}/").content.decode()
    assert contact.name in page and "/contacts/new/" not in page and f"/leads/contacts/{contact.pk}/edit/" not in page
    assert web.get(f"/leads/customers/{opp.customer_id}/contacts/new/").status_code == 403
    assert web.post(f"/leads/contacts/{contact.pk}/edit/", {"name": "X"}).status_code == 403
    # another salesperson does not even see the customer
    assert web.as_user(other_sales).get(f"/leads/customers/{opp.customer_id}/contacts/new/").status_code == 404
    contact.refresh_from_db()
    assert contact.name != "X"


def test_the_page_lists_opportunities_contracts_projects_and_invoices(web, cast, other_sales):
    project = project_in_plan_with_contract(cast)
    invoices = invoice_every_payment(project, cast)
    assert invoices
    customer = project.opportunity.customer
    customer.owner = cast.owner  # the salesperson's own customer
    customer.save()
    page = web.as_user(cast.owner).get(f"/leads/customers/{customer.pk}/").content.decode()
    for panel in ("customer-opportunities", "customer-contracts", "customer-projects", "customer-invoices"):
        assert f'id="{panel}"' in page
    assert project.opportunity.name in page and project.contract.number in page and invoices[0].number in page
    assert "Outstanding" in page and "1,000,000.00" in page  # the contract's current value, grouped

    # a deal of another salesperson with the same customer stays out of the owner's view
    another = OpportunityFactory(owner=other_sales, customer=customer, name="Someone else's deal")
    page = web.as_user(cast.owner).get(f"/leads/customers/{customer.pk}/").content.decode()
    assert "Someone else&#x27;s deal" not in page and "Someone else's deal" not in page
    page = web.as_user(cast.director).get(f"/leads/customers/{customer.pk}/").content.decode()
    assert "Someone else" in page and another.pk


def test_hr_sees_the_customer_without_its_deals(web, cast, make_user):
    project = project_in_plan_with_contract(cast)
    hr = make_user("hr-reader", roles=["hr"])
    page = web.as_user(hr).get(f"/leads/customers/{project.opportunity.customer_id}/").content.decode()
    assert project.opportunity.customer.name in page
    for panel in ("customer-opportunities", "customer-contracts", "customer-projects", "customer-invoices"):
        assert f'id="{panel}"' not in page


def test_the_customer_page_costs_constant_queries(web, cast):
    project = project_in_plan_with_contract(cast)
    invoice_every_payment(project, cast)
    customer = project.opportunity.customer
    client = web.as_user(cast.director)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/leads/customers/{customer.pk}/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(5):
        OpportunityFactory(owner=cast.owner, customer=customer, name=f"More {i}")
        ContactFactory(customer=customer)
    assert count() == few


def test_a_long_list_says_how_many_there_are_in_all(web, cast):
    customer = OpportunityFactory(owner=cast.owner, name="Deal 0").customer
    for i in range(1, 23):
        OpportunityFactory(owner=cast.owner, customer=customer, name=f"Deal {i}")
    page = web.as_user(cast.director).get(f"/leads/customers/{customer.pk}/").content.decode()
    panel = page[page.index('id="customer-opportunities"') :]
    assert "The latest 20 of 23 are shown." in panel
    assert ">Deal 22</a>" in panel and ">Deal 3</a>" in panel
    assert ">Deal 2</a>" not in panel  # newest first: the three oldest are left out
