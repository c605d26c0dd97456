"""Opportunities in the global search (``ltc_portal.core.search``), by name, as far as the user reads them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ltc_portal.core import search

from .selectors import opportunity_visible


def opportunities(user, q, limit):
    rows = (
        opportunity_visible(user)
        .filter(name__icontains=q)
        .order_by("-created_at", "-pk")
        .values_list("pk", "name", "customer__name")[:limit]
    )
    return [
        search.Hit("opportunity", pk, name, reverse("opportunities:opportunity-detail", args=[pk]), customer)
        for pk, name, customer in rows
    ]


def register():
    search.register(type="opportunity", label=_("Opportunities"), search=opportunities, order=40)
