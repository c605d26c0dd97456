from django.contrib.auth import get_user_model
from rest_framework import serializers

from leads.api.serializers import CurrencyCodeField
from leads.models import Customer
from ltc_portal.core.api.lists import IdRelatedField, ListModelSerializer, ReverseIdField
from ltc_portal.core.api.serializers import BoundedListSerializer
from ltc_portal.core.api.viewsets import CreateOnlyFieldsMixin, VisibleRelatedField
from opportunities.models import CostCategory, EstimateLine, LineCategory, Opportunity, Quote, QuoteLine
from opportunities.selectors import opportunity_visible

USERS = get_user_model().objects.filter(is_active=True)


class OpportunitySerializer(ListModelSerializer):
    customer = IdRelatedField(queryset=Customer.objects.all())
    owner = IdRelatedField(queryset=USERS, required=False)
    solution_owner = IdRelatedField(queryset=USERS, required=False, allow_null=True)
    currency = CurrencyCodeField(required=False)
    expected_value = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)
    customer_budget = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    project = ReverseIdField()
    weighted_value = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "customer",
            "owner",
            "solution_owner",
            "need_summary",
            "customer_budget",
            "expected_value",
            "currency",
            "probability",
            "weighted_value",
            "expected_close_date",
            "competitors",
            "state",
            "loss_reason",
            "lead",
            "project",
            "bid_quote",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "loss_reason", "lead", "bid_quote", "created_at", "updated_at"]


class ForecastRowSerializer(serializers.Serializer):
    month = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    count = serializers.IntegerField()
    expected_value = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted_value = serializers.DecimalField(max_digits=20, decimal_places=2)


class QuoteLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=LineCategory.choices, default=LineCategory.OTHER)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, default=0)
    unit_cost = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, default=0)
    currency = CurrencyCodeField(required=False, write_only=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = QuoteLine
        list_serializer_class = BoundedListSerializer
        fields = [
            "description",
            "category",
            "quantity",
            "unit_price",
            "discount_percent",
            "unit_cost",
            "currency",
            "amount",
        ]


class EstimateLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    currency = CurrencyCodeField(required=False, write_only=True)

    class Meta:
        model = EstimateLine
        list_serializer_class = BoundedListSerializer
        fields = ["category", "amount", "note", "currency"]


class QuoteSerializer(CreateOnlyFieldsMixin, serializers.ModelSerializer):
    opportunity = VisibleRelatedField(selector=opportunity_visible, queryset=Opportunity.objects.all())
    create_only_fields = ("opportunity",)
    currency = CurrencyCodeField(required=False)
    lines = QuoteLineSerializer(many=True, required=False)
    estimate_lines = EstimateLineSerializer(many=True, required=False)
    gross_margin = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    margin_percent = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "opportunity",
            "version",
            "currency",
            "payment_terms",
            "valid_until",
            "notes",
            "lines",
            "estimate_lines",
            "state",
            "frozen",
            "revenue",
            "cost",
            "gross_margin",
            "margin_percent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "state", "frozen", "revenue", "cost", "created_at", "updated_at"]
