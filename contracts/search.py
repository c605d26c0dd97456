"""Contracts in the global search (``ltc_portal.core.search``), by number, as far as the user reads them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ltc_portal.core import search

from .selectors import contract_visible


def contracts(user, q, limit):
    rows = (
        contract_visible(user)
        .filter(number__icontains=q)
        .order_by("number", "pk")
        .values_list("pk", "number", "opportunity__name")[:limit]
    )
    return [
        search.Hit("contract", pk, number, reverse("contracts:contract-detail", args=[pk]), deal)
        for pk, number, deal in rows
    ]


def register():
    search.register(type="contract", label=_("Contracts"), search=contracts, order=50)
