"""The navbar's bell: the signed-in person's unread notifications, counted (one query, through the
selector) only when a page shows it."""

from . import selectors


class LazyUnread:
    def __init__(self, user):
        self.user = user
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = selectors.unread_count(self.user)
        return self._count

    def __bool__(self):
        return self.count() > 0

    def __str__(self):
        n = self.count()
        return "99+" if n > 99 else str(n)


def unread(request):
    return {"unread_notifications": LazyUnread(getattr(request, "user", None))}
