from rest_framework import serializers

from delivery.models import Project
from delivery.selectors import project_visible
from finance.models import Budget, BudgetLine
from leads.api.serializers import CurrencyCodeField
from ltc_portal.core.api.viewsets import CreateOnlyFieldsMixin, VisibleRelatedField
from opportunities.models import CostCategory


class BudgetLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)

    class Meta:
        model = BudgetLine
        fields = ["category", "amount", "note"]


class BudgetSerializer(CreateOnlyFieldsMixin, serializers.ModelSerializer):
    project = VisibleRelatedField(selector=project_visible, queryset=Project.objects.all())
    create_only_fields = ("project",)
    currency = CurrencyCodeField(required=False)
    lines = BudgetLineSerializer(many=True, required=False)

    class Meta:
        model = Budget
        fields = ["id", "project", "version", "currency", "lines", "total", "note", "state", "created_at", "updated_at"]
        read_only_fields = ["version", "total", "state", "created_at", "updated_at"]
