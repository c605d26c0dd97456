"""Leads, customers and contacts in the global search (``ltc_portal.core.search``): what the
user may read (this app's visibility selectors), by name, e-mail, phone or tax ID."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ltc_portal.core import search

from .selectors import contact_visible, customer_visible, lead_visible


def leads(user, q, limit):
    rows = (
        lead_visible(user)
        .filter(
            Q(company_name__icontains=q) | Q(contact_name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
        )
        .order_by("-score", "-created_at")
        .values_list("pk", "company_name", "contact_name", "email")[:limit]
    )
    return [
        search.Hit("lead", pk, name, reverse("leads:lead-detail", args=[pk]), " · ".join(filter(None, (person, email))))
        for pk, name, person, email in rows
    ]


def customers(user, q, limit):
    rows = (
        customer_visible(user)
        .filter(Q(name__icontains=q) | Q(tax_id__icontains=q))
        .order_by("name", "pk")
        .values_list("pk", "name", "tax_id")[:limit]
    )
    return [
        search.Hit("customer", pk, name, reverse("leads:customer-detail", args=[pk]), tax) for pk, name, tax in rows
    ]


def contacts(user, q, limit):
    rows = (
        contact_visible(user)
        .filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
        .order_by("name", "pk")
        .values_list("pk", "name", "email", "customer_id", "customer__name")[:limit]
    )
    return [
        search.Hit(
            "contact",
            pk,
            name,
            reverse("leads:customer-detail", args=[customer_id]),
            " · ".join(filter(None, (customer, email))),
        )
        for pk, name, email, customer_id, customer in rows
    ]


def register():
    search.register(type="lead", label=_("Leads"), search=leads, order=10)
    search.register(type="customer", label=_("Customers"), search=customers, order=20)
    search.register(type="contact", label=_("Contacts"), search=contacts, order=30)
