from django.apps import apps
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
        "unread_notifications": LazyUnread(user),
    }


class LazyUnread:
    """The signed-in person's unread notifications, counted (one query) only when a page shows it."""

    def __init__(self, user):
        self.user = user
        self._count = None

    def count(self) -> int:
        if self._count is None:
            if self.user is None or not self.user.is_authenticated or not apps.is_installed("notifications"):
                self._count = 0
            else:
                model = apps.get_model("notifications", "Notification")
                self._count = model.objects.filter(recipient=self.user, read_at__isnull=True).count()
        return self._count

    def __bool__(self):
        return self.count() > 0

    def __str__(self):
        n = self.count()
        return "99+" if n > 99 else str(n)
