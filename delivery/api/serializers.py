"""Serializers of the delivery API: they validate the shape only; the services decide. A record's
``project`` is chosen among the projects the user reads and fixed once the record exists."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from contracts.models import PaymentMilestone
from delivery.models import (
    ChangeRequest,
    Defect,
    Delegation,
    IssueSource,
    Meeting,
    MeetingAction,
    MeetingKind,
    Milestone,
    Project,
    ProjectIssue,
    QualityCheck,
    QualityResult,
    Risk,
    RiskResponse,
    Severity,
    TeamMember,
)
from delivery.selectors import project_records, project_visible
from leads.api.serializers import CurrencyCodeField
from ltc_portal.core.api.lists import IdRelatedField, ListModelSerializer
from ltc_portal.core.api.serializers import BoundedListSerializer, TransitionInputSerializer
from ltc_portal.core.api.viewsets import CreateOnlyFieldsMixin, VisibleRelatedField

USERS = get_user_model().objects.filter(is_active=True)


class ProjectSerializer(ListModelSerializer):
    pm = IdRelatedField(queryset=USERS, required=False, allow_null=True)
    currency = CurrencyCodeField(required=False)
    pm_change_limit = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "pm",
            "currency",
            "technical_solution",
            "delivery_approach",
            "key_risks",
            "final_scope",
            "delivery_plan",
            "pm_change_limit",
            "lessons_learned",
            "final_acceptance_date",
            "final_acceptance_by",
            "final_acceptance_ref",
            "opportunity",
            "contract",
            "state",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["opportunity", "contract", "state", "cancel_reason", "created_at", "updated_at"]


class ProjectRecordSerializer(CreateOnlyFieldsMixin, serializers.ModelSerializer):
    """A project's record: the project is one the user reads, and fixed once the record exists (another
    project on update is a 400)."""

    project = VisibleRelatedField(selector=project_visible, queryset=Project.objects.all())
    create_only_fields = ("project",)


class TeamMemberSerializer(ProjectRecordSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=USERS)
    allocation_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)

    class Meta:
        model = TeamMember
        fields = ["id", "project", "user", "role", "allocation_percent", "start_date", "end_date"]
        validators = []


class DelegationSerializer(ProjectRecordSerializer):
    grantee = serializers.PrimaryKeyRelatedField(queryset=USERS)
    limit_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "project",
            "grantee",
            "scope",
            "limit_amount",
            "valid_from",
            "valid_to",
            "revoked_at",
            "revoked_by",
            "replaces",
            "active",
            "created_at",
        ]
        read_only_fields = ["revoked_at", "revoked_by", "replaces", "created_at"]

    def get_active(self, obj) -> bool:
        return obj.active_on()


class NarrowSerializer(serializers.Serializer):
    limit_amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False, default=None)
    valid_to = serializers.DateField(required=False, default=None)


class MilestoneSerializer(ProjectRecordSerializer):
    payment_milestone = serializers.PrimaryKeyRelatedField(
        queryset=PaymentMilestone.objects.all(),
        required=False,
        allow_null=True,
        help_text="The contract's on-acceptance payment this milestone's acceptance makes due.",
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "name",
            "deliverables",
            "planned_start",
            "planned_end",
            "actual_end",
            "weight",
            "payment_milestone",
            "state",
            "waive_reason",
        ]
        read_only_fields = ["state", "waive_reason"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if hasattr(instance, "linked_payment"):
            data["payment_milestone"] = instance.linked_payment
        else:  # a record just written: one query
            data["payment_milestone"] = (
                PaymentMilestone.objects.filter(milestone=instance.pk).values_list("pk", flat=True).first()
            )
        return data


class AcceptInputSerializer(TransitionInputSerializer):
    signed_by = serializers.CharField(max_length=200)
    date = serializers.DateField()
    document_ref = serializers.CharField(max_length=100)
    remarks = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    satisfaction = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=5)


class ChangeRequestSerializer(ProjectRecordSerializer):
    cost_impact = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    contract_value_impact = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "project",
            "title",
            "reason",
            "scope_impact",
            "schedule_impact_days",
            "cost_impact",
            "contract_value_impact",
            "state",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["state", "created_by", "created_at"]


class RiskSerializer(ProjectRecordSerializer):
    probability = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    response = serializers.ChoiceField(choices=RiskResponse.choices)

    class Meta:
        model = Risk
        fields = [
            "id",
            "project",
            "category",
            "description",
            "probability",
            "impact",
            "exposure",
            "owner",
            "response",
            "plan",
            "trigger",
            "state",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["exposure", "state", "created_at", "updated_at"]


class RaiseIssueSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    due_date = serializers.DateField()


class RiskOccurSerializer(TransitionInputSerializer):
    """Body of ``occur``: an optional reason and an optional issue to raise (source internal, linked to
    the risk)."""

    raise_issue = RaiseIssueSerializer(required=False, allow_null=True)


class ProjectIssueSerializer(ProjectRecordSerializer):
    source = serializers.ChoiceField(choices=IssueSource.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)
    risk = VisibleRelatedField(
        selector=lambda user: project_records(user, Risk), queryset=Risk.objects.all(), required=False, allow_null=True
    )
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProjectIssue
        fields = [
            "id",
            "project",
            "title",
            "description",
            "source",
            "severity",
            "owner",
            "due_date",
            "resolution",
            "risk",
            "state",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "created_at", "updated_at"]


class IssueResolveSerializer(TransitionInputSerializer):
    """Body of ``resolve``: the resolution, unless the issue already records one."""

    resolution = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class DefectSerializer(serializers.ModelSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)

    class Meta:
        model = Defect
        list_serializer_class = BoundedListSerializer
        fields = ["id", "description", "severity", "rework", "closed_at"]
        read_only_fields = ["closed_at"]


class QualityCheckSerializer(ProjectRecordSerializer):
    milestone = VisibleRelatedField(
        selector=lambda user: project_records(user, Milestone),
        queryset=Milestone.objects.all(),
        required=False,
        allow_null=True,
    )
    result = serializers.ChoiceField(choices=QualityResult.choices)
    inspector = serializers.PrimaryKeyRelatedField(queryset=USERS)
    defects = DefectSerializer(many=True, required=False)

    class Meta:
        model = QualityCheck
        fields = [
            "id",
            "project",
            "milestone",
            "subject",
            "date",
            "result",
            "inspector",
            "notes",
            "defects",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MeetingActionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=USERS)

    class Meta:
        model = MeetingAction
        list_serializer_class = BoundedListSerializer
        fields = ["id", "description", "owner", "due_date", "done"]
        read_only_fields = ["done"]


class MeetingSerializer(ProjectRecordSerializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    actions = MeetingActionSerializer(many=True, required=False)

    class Meta:
        model = Meeting
        fields = ["id", "project", "date", "kind", "attendees", "decisions", "actions", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
