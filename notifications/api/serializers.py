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
        return obj.subject_type.model if obj.subject_type_id else None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True)
