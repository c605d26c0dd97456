from rest_framework import mixins

from integrations import selectors, services
from integrations.models import Webhook, WebhookDelivery
from ltc_portal.core.api.viewsets import RestrictedViewSet

from .filters import WebhookDeliveryFilter, WebhookFilter
from .serializers import WebhookDeliverySerializer, WebhookSerializer


class WebhookViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RestrictedViewSet,
):
    """Outbound webhooks (administrators, finance, executives): each event named in `events` is POSTed
    to `url` as JSON, signed with HMAC-SHA256 of the body in `X-LTC-Signature: sha256=<hex>`, and
    retried with exponential backoff until it gets a 2xx. `secret` is write-only."""

    queryset = Webhook.objects.none()
    selector = staticmethod(selectors.webhook_list)
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter

    def perform_create(self, serializer):
        serializer.instance = services.webhook_create(user=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(
            webhook=serializer.instance, user=self.request.user, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.webhook_delete(webhook=instance, user=self.request.user)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """The delivery log: one row per event and webhook, with every attempt (`attempt_log`)."""

    queryset = WebhookDelivery.objects.none()
    selector = staticmethod(selectors.delivery_list)
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
