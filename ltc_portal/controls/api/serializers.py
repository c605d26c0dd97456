from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ltc_portal.controls.models import GateDecision, GateReview, SubjectType


class GateDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username")
    decided_by_name = serializers.CharField(source="decided_by.get_full_name")

    class Meta:
        model = GateDecision
        fields = ["role", "decision", "decided_by", "decided_by_name", "comment", "decided_at"]


class GateReviewSerializer(serializers.ModelSerializer):
    gate = serializers.CharField(source="gate.code")
    gate_name = serializers.CharField(source="gate.display_name")
    subject_type = serializers.SerializerMethodField()
    subject_id = serializers.IntegerField(source="object_id")
    requested_by = serializers.CharField(source="requested_by.username")
    decisions = GateDecisionSerializer(many=True)

    class Meta:
        model = GateReview
        fields = [
            "id",
            "gate",
            "gate_name",
            "subject_type",
            "subject_id",
            "comment",
            "evidence",
            "state",
            "requested_by",
            "required_roles",
            "decisions",
            "context",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_subject_type(self, obj) -> str:
        return obj.gate.subject_type


class GateReviewRequestSerializer(serializers.Serializer):
    gate = serializers.CharField(max_length=10)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    subject_id = serializers.IntegerField(min_value=1)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    evidence = serializers.ListField(
        child=serializers.URLField(max_length=500), required=False, default=list, max_length=20
    )


class GateDecideSerializer(serializers.Serializer):
    # Any role the review names (its required_roles): the groups and the roles held through the
    # subject, such as DR2's change_authority. The engine refuses a role the review does not name (400).
    role = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        max_length=40,
        help_text=_("The role you decide as: one of the review's required_roles."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class GateRejectSerializer(GateDecideSerializer):
    comment = serializers.CharField(
        max_length=4000, error_messages={"required": _("Say why you reject."), "blank": _("Say why you reject.")}
    )


class ChecklistItemSerializer(serializers.Serializer):
    check = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField()


class GateStatusSerializer(serializers.Serializer):
    gate = serializers.CharField(source="gate.code")
    name = serializers.CharField(source="gate.display_name")
    status = serializers.CharField()
    review = serializers.IntegerField(source="review.pk", allow_null=True, default=None)
    decisions = serializers.SerializerMethodField()
    checklist = ChecklistItemSerializer(many=True)
    required_roles = serializers.ListField(child=serializers.CharField())
    can_request = serializers.BooleanField()
    request_blockers = serializers.ListField(child=serializers.CharField())
    decidable_roles = serializers.ListField(child=serializers.CharField())

    def get_decisions(self, obj) -> list[dict]:
        return GateDecisionSerializer(obj.review.decisions.all(), many=True).data if obj.review else []
