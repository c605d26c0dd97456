"""Reads of notifications: a person sees only their own."""

from django.db.models import QuerySet

from .models import Notification, NotificationSettings


def notification_list(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related("subject_type").order_by("-created_at", "-id")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_enabled(user) -> bool:
    return not NotificationSettings.objects.filter(user=user, email=False).exists()
