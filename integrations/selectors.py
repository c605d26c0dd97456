"""Reads of webhooks: those who manage them see them all; nobody else sees any."""

from django.db.models import QuerySet

from .models import Webhook, WebhookDelivery
from .permissions import may_manage_webhooks


def webhook_list(user) -> QuerySet:
    if not may_manage_webhooks(user):
        return Webhook.objects.none()
    return Webhook.objects.order_by("pk")


def delivery_list(user) -> QuerySet:
    if not may_manage_webhooks(user):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("webhook").order_by("-created_at", "-id")
