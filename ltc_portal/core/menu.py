"""The one navigation definition of the portal: each entry and the roles that see it.

``roles=None`` means every signed-in user; superusers see every entry.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .roles import Role, user_roles


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = ""
    roles: tuple[str, ...] | None = None


MENU: tuple[MenuItem, ...] = (
    MenuItem(_("Dashboard"), "home", "speedometer2"),
    MenuItem(_("Leads"), "leads:lead-list", "person-lines-fill", (Role.SALES, Role.SALES_DIRECTOR, Role.EXECUTIVE)),
    MenuItem(_("Customers"), "leads:customer-list", "building"),
    MenuItem(
        _("Pipeline"),
        "opportunities:opportunity-list",
        "graph-up-arrow",
        (Role.SALES, Role.SALES_DIRECTOR, Role.EXECUTIVE, Role.FINANCE, Role.PMO, Role.SOLUTION, Role.DELIVERY),
    ),
    MenuItem(
        _("Contracts"),
        "contracts:contract-list",
        "file-earmark-text",
        (Role.SALES, Role.SALES_DIRECTOR, Role.FINANCE, Role.EXECUTIVE, Role.PMO, Role.DELIVERY),
    ),
    MenuItem(
        _("Projects"),
        "delivery:project-list",
        "kanban",
        (Role.SALES, Role.DELIVERY, Role.PMO, Role.FINANCE, Role.EXECUTIVE, Role.SOLUTION, Role.SALES_DIRECTOR),
    ),
    MenuItem(_("Finance"), "finance:workspace", "cash-coin", (Role.FINANCE,)),
    MenuItem(_("Performance"), "performance:workspace", "award", (Role.HR,)),
    MenuItem(
        _("My performance"),
        "performance:mine",
        "person-badge",
        (Role.SALES, Role.SALES_DIRECTOR, Role.SOLUTION, Role.DELIVERY, Role.PMO, Role.FINANCE, Role.EXECUTIVE),
    ),
    MenuItem(_("Performance overview"), "performance:overview", "bar-chart", (Role.EXECUTIVE,)),
    MenuItem(_("Scores to give"), "performance:scores", "star-half"),
    MenuItem(
        _("My decisions"),
        "controls:my-decisions",
        "check2-square",
        (Role.SALES_DIRECTOR, Role.FINANCE, Role.PMO, Role.SOLUTION, Role.EXECUTIVE, Role.DELIVERY),
    ),
)


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = user_roles(user)
    items = []
    for item in MENU:
        if item.roles is not None and not user.is_superuser and not (roles & set(item.roles)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name})
    return items
