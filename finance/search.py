"""Invoices in the global search (``ltc_portal.core.search``), by number, for whoever reads their
contract (the link opens the contract, which every such reader may open)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.selectors import contract_visible
from ltc_portal.core import search

from .models import Invoice


def invoices(user, q, limit):
    rows = (
        Invoice.objects.filter(contract__in=contract_visible(user), number__icontains=q)
        .order_by("-issue_date", "-pk")
        .values_list("pk", "number", "contract_id", "contract__number")[:limit]
    )
    return [
        search.Hit("invoice", pk, number, reverse("contracts:contract-detail", args=[contract_id]), contract)
        for pk, number, contract_id, contract in rows
    ]


def register():
    search.register(type="invoice", label=_("Invoices"), search=invoices, order=70)
