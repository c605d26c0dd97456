from decimal import Decimal

import factory

from leads.models import Contact, Customer, Lead
from tests.factories import UserFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    owner = factory.SubFactory(UserFactory, roles=["sales"])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class LeadFactory(factory.django.DjangoModelFactory):
    """A new lead. Use ``ready=True`` for one with need, budget and timeline recorded."""

    class Meta:
        model = Lead

    class Params:
        ready = factory.Trait(need="Network refresh", budget_amount=Decimal("250000.00"), timeline="3_to_6_months")

    owner = factory.SubFactory(UserFactory, roles=["sales"])
    company_name = factory.Sequence(lambda n: f"Prospect {n} Co")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"lead{n}@prospect.example")
    phone = factory.Sequence(lambda n: f"+86 139 {n:08d}")
    source = "website"
