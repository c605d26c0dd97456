from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ltc_portal.core.limits import max_lines, too_many_lines_text


class TransitionInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    target = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    needs_reason = serializers.BooleanField()


class TransitionInputSerializer(serializers.Serializer):
    """Body of a transition call: an optional reason; apps subclass it for step data."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReasonRequiredSerializer(TransitionInputSerializer):
    reason = serializers.CharField(
        required=True,
        allow_blank=False,
        max_length=4000,
        error_messages={"required": _("A reason is required."), "blank": _("A reason is required.")},
    )


class TransitionErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class TransitionLogSerializer(serializers.Serializer):
    transition = serializers.CharField()
    source = serializers.CharField()
    target = serializers.CharField()
    by = serializers.CharField(source="by.username", default=None)
    at = serializers.DateTimeField()
    reason = serializers.CharField(source="reason_text")  # a reason the portal wrote, in the reader's language
    gate_review_id = serializers.IntegerField(allow_null=True)


class BoundedListSerializer(serializers.ListSerializer):
    """Nested lines (``Meta.list_serializer_class``): more than ``MAX_LINES_PER_RECORD`` is refused
    before each line is validated, in the services' words."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > max_lines():
            raise serializers.ValidationError([too_many_lines_text(len(data))])
        return super().to_internal_value(data)
