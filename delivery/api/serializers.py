from django.contrib.auth import get_user_model
from rest_framework import serializers

from delivery.models import ChangeRequest, Delegation, Milestone, Project, TeamMember
from leads.api.serializers import CurrencyCodeField
from ltc_portal.core.api.serializers import TransitionInputSerializer


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


class ProjectRecordSerializer(serializers.ModelSerializer):
    """A project's record: the project is fixed once created."""

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["project"].read_only = True
        return fields


class TeamMemberSerializer(ProjectRecordSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    allocation_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)

    class Meta:
        model = TeamMember
        fields = ["id", "project", "user", "role", "allocation_percent", "start_date", "end_date"]
        validators = []


class DelegationSerializer(ProjectRecordSerializer):
    grantee = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    limit_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = ["id", "project", "grantee", "scope", "limit_amount", "valid_from", "valid_to", "revoked_at",
                  "revoked_by", "replaces", "active", "created_at"]
        read_only_fields = ["revoked_at", "revoked_by", "replaces", "created_at"]

    def get_active(self, obj) -> bool:
        return obj.active_on()


class NarrowSerializer(serializers.Serializer):
    limit_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False,
                                            default=None)
    valid_to = serializers.DateField(required=False, default=None)


class MilestoneSerializer(ProjectRecordSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "deliverables", "planned_start", "planned_end", "actual_end", "state",
                  "waive_reason"]
        read_only_fields = ["state", "waive_reason"]


class AcceptInputSerializer(TransitionInputSerializer):
    signed_by = serializers.CharField(max_length=200)
    date = serializers.DateField()
    document_ref = serializers.CharField(max_length=100)
    remarks = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ChangeRequestSerializer(ProjectRecordSerializer):
    cost_impact = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    contract_value_impact = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)

    class Meta:
        model = ChangeRequest
        fields = ["id", "project", "title", "reason", "scope_impact", "schedule_impact_days", "cost_impact",
                  "contract_value_impact", "state", "created_by", "created_at"]
        read_only_fields = ["state", "created_by", "created_at"]
