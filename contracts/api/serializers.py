from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import Contract, ContractAmendment, PaymentMilestone, Trigger
from ltc_portal.core.api.serializers import BoundedListSerializer, TransitionInputSerializer
from ltc_portal.core.api.viewsets import CreateOnlyFieldsMixin, VisibleRelatedField
from opportunities.models import Opportunity
from opportunities.selectors import opportunity_visible


class PaymentMilestoneSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    trigger = serializers.ChoiceField(choices=Trigger.choices)

    class Meta:
        model = PaymentMilestone
        list_serializer_class = BoundedListSerializer
        fields = ["id", "contract", "name", "amount", "percent", "trigger", "milestone", "planned_date", "state"]
        read_only_fields = ["id", "contract", "state"]

    def validate(self, attrs):
        if attrs.get("amount") is None and attrs.get("percent") is None:
            raise serializers.ValidationError(_("Give an amount or a percent."))
        if attrs.get("trigger") == Trigger.ON_DATE and not attrs.get("planned_date"):
            raise serializers.ValidationError({"planned_date": [_("A date trigger needs its planned date.")]})
        return attrs


class ContractAmendmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractAmendment
        fields = ["value_change", "reason", "change_request_id", "recorded_by", "recorded_at"]


class ContractSerializer(CreateOnlyFieldsMixin, serializers.ModelSerializer):
    opportunity = VisibleRelatedField(selector=opportunity_visible, queryset=Opportunity.objects.all())
    create_only_fields = ("opportunity",)
    payment_milestones = PaymentMilestoneSerializer(many=True, required=False)
    amendments = ContractAmendmentSerializer(many=True, read_only=True)
    current_value = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "opportunity",
            "number",
            "signed_date",
            "payment_term_days",
            "value",
            "current_value",
            "amendments",
            "currency",
            "quote",
            "payment_milestones",
            "state",
            "handover_date",
            "handover_attendees",
            "key_terms",
            "risks",
            "open_questions",
            "termination_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "value",
            "currency",
            "quote",
            "state",
            "handover_date",
            "handover_attendees",
            "key_terms",
            "risks",
            "open_questions",
            "termination_reason",
            "created_at",
            "updated_at",
        ]
        validators = []


class HandOverSerializer(TransitionInputSerializer):
    date = serializers.DateField()
    attendees = serializers.CharField(max_length=4000)
    key_terms = serializers.CharField(max_length=8000)
    risks = serializers.CharField(max_length=8000)
    open_questions = serializers.CharField(max_length=8000)
