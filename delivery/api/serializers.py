from django.contrib.auth import get_user_model
from rest_framework import serializers

from delivery.models import Project
from leads.api.serializers import CurrencyCodeField


class ProjectSerializer(serializers.ModelSerializer):
    pm = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True),
                                            required=False, allow_null=True)
    currency = CurrencyCodeField(required=False)
    pm_change_limit = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)

    class Meta:
        model = Project
        fields = ["id", "name", "pm", "currency", "technical_solution", "delivery_approach", "key_risks",
                  "final_scope", "delivery_plan", "pm_change_limit", "lessons_learned", "final_acceptance_date",
                  "final_acceptance_by", "final_acceptance_ref", "opportunity", "contract", "state",
                  "cancel_reason", "created_at", "updated_at"]
        read_only_fields = ["opportunity", "contract", "state", "cancel_reason", "created_at", "updated_at"]
