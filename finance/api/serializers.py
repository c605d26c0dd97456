from rest_framework import serializers

from delivery.models import Project
from finance.models import Budget, BudgetLine
from leads.api.serializers import CurrencyCodeField
from opportunities.models import CostCategory


class BudgetLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)

    class Meta:
        model = BudgetLine
        fields = ["category", "amount", "note"]


class BudgetSerializer(serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    currency = CurrencyCodeField(required=False)
    lines = BudgetLineSerializer(many=True, required=False)

    class Meta:
        model = Budget
        fields = ["id", "project", "version", "currency", "lines", "total", "note", "state", "created_at",
                  "updated_at"]
        read_only_fields = ["version", "total", "state", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["project"].read_only = True
        return fields
