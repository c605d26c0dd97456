import re

from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    message = serializers.CharField(read_only=True, help_text="Rendered in the request's language.")
    subject_type = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "subject_type", "subject_id", "created_at", "read_at"]
        read_only_fields = fields

    def get_subject_type(self, obj) -> str | None:
        """The subject's kind in the API's words, as gate-reviews name theirs (``gate_review``,
        ``project_issue``, ``variance_alert``, ``invoice``, ``appraisal``, ``appeal``)."""
        if not obj.subject_type_id:
            return None
        model = obj.subject_type.model_class()
        return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower() if model else obj.subject_type.model


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True)
