"""Delivery projects in the global search (``ltc_portal.core.search``), by name, as far as the user reads them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ltc_portal.core import search

from .selectors import project_visible


def projects(user, q, limit):
    rows = (
        project_visible(user)
        .filter(name__icontains=q)
        .order_by("-created_at", "-pk")
        .values_list("pk", "name", "state")[:limit]
    )
    return [search.Hit("project", pk, name, reverse("delivery:project-detail", args=[pk])) for pk, name, _state in rows]


def register():
    search.register(type="project", label=_("Projects"), search=projects, order=60)
