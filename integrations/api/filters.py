"""Filters of the webhooks API: deliveries by webhook, event and state."""

import django_filters

from integrations.models import Webhook, WebhookDelivery


class WebhookFilter(django_filters.FilterSet):
    class Meta:
        model = Webhook
        fields = ["active"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    class Meta:
        model = WebhookDelivery
        fields = ["webhook", "event", "state"]
