"""The portal's roles (Django groups, DOMAIN.md §1) and the predicates built on them.

Roles are groups created by a data migration. A person can hold several. Superusers are not given
roles implicitly: they see everything (``sees_everything``), but decide nothing they do not hold.
"""

import rules
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales (account responsible, AR)")
    SALES_DIRECTOR = "sales_director", _("Sales director")
    SOLUTION = "solution", _("Solution (SR)")
    DELIVERY = "delivery", _("Delivery / project manager (FR, PM)")
    PMO = "pmo", _("Delivery director / PMO")
    FINANCE = "finance", _("Finance")
    EXECUTIVE = "executive", _("Executive")
    HR = "hr", _("Human resources")


def user_roles(user) -> frozenset[str]:
    """The role codes a user holds; cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_ltc_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._ltc_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def sees_everything(user) -> bool:
    """Readers of every business record: superusers, sales directors and executives."""
    return bool(
        user and user.is_authenticated and (user.is_superuser or has_role(user, Role.SALES_DIRECTOR, Role.EXECUTIVE))
    )


@rules.predicate
def is_superuser(user):
    return bool(user and user.is_superuser)


def role_predicate(role: str):
    @rules.predicate(name=f"has_role_{role}")
    def _pred(user):
        return has_role(user, role)

    return _pred


is_sales = role_predicate(Role.SALES)
is_sales_director = role_predicate(Role.SALES_DIRECTOR)
is_solution = role_predicate(Role.SOLUTION)
is_delivery = role_predicate(Role.DELIVERY)
is_pmo = role_predicate(Role.PMO)
is_finance = role_predicate(Role.FINANCE)
is_executive = role_predicate(Role.EXECUTIVE)
is_hr = role_predicate(Role.HR)


def user_display(user) -> str:
    """A person as others read them: the full name, else the username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def people(*roles: str):
    """Active users holding one of ``roles`` (every active user when none), by name: what a people
    picker offers. Label the choices with ``user_display``."""
    qs = get_user_model().objects.filter(is_active=True)
    if roles:
        qs = qs.filter(groups__name__in=list(roles)).distinct()
    return qs.order_by("first_name", "last_name", "username")
