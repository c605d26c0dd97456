from django.conf import settings

from .menu import menu_for
from .roles import Role, user_roles


def portal(request):
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else frozenset()
    labels = dict(Role.choices)
    return {
        "menu": menu_for(user) if user is not None else [],
        "user_role_labels": [labels[r] for r in sorted(roles) if r in labels],
        "base_currency": settings.BASE_CURRENCY,
    }
