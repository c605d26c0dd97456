"""Demo data: each app contributes a seeder in its ``demo.py`` (``@seeder(order=…)``);
``manage.py seed_demo`` runs them in order. Every seeder must be idempotent."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import Role

_SEEDERS: list[tuple[int, str, Callable]] = []

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - demo data only, printed by seed_demo

DEMO_USERS = [
    # username, full name, roles
    ("sales", "Li Na 李娜", [Role.SALES]),
    ("sales2", "Tom Baker", [Role.SALES]),
    ("director", "Wang Qiang 王强", [Role.SALES_DIRECTOR]),
    ("solution", "Chen Jie 陈杰", [Role.SOLUTION]),
    ("pm", "Zhao Min 赵敏", [Role.DELIVERY]),
    ("pmo", "Sun Lei 孙磊", [Role.PMO]),
    ("finance", "Zhou Hui 周慧", [Role.FINANCE]),
    ("executive", "Helen Ma", [Role.EXECUTIVE]),
    ("hr", "Xu Yan 徐燕", [Role.HR]),
]


def seeder(order: int):
    def register(func):
        _SEEDERS.append((order, f"{func.__module__}.{func.__name__}", func))
        return func

    return register


def seeders():
    return sorted(_SEEDERS, key=lambda s: s[0])


def ensure_demo_users() -> dict:
    """One user per role (plus a second sales user) and an admin; returns them by username."""
    User = get_user_model()
    users = {}
    for username, full_name, roles in DEMO_USERS:
        first, _sep, last = full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            # Finance, PMO and the directors decide gates in the Django admin.
            user.is_staff = any(r in (Role.FINANCE, Role.PMO, Role.SALES_DIRECTOR, Role.EXECUTIVE) for r in roles)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=roles))
        users[username] = user
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    users["admin"] = admin
    return users
