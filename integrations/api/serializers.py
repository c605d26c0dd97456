from rest_framework import serializers

from integrations.models import Event, Webhook, WebhookAttempt, WebhookDelivery


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), allow_empty=False, help_text="Event names."
    )
    secret = serializers.CharField(write_only=True, min_length=16, max_length=200, help_text="Signs each body.")

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "secret", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "status_code", "error", "duration_ms", "at"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "state",
            "status_code",
            "attempts",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields
