from decimal import Decimal

from rest_framework import serializers

from delivery.models import Project
from delivery.selectors import project_visible
from finance.models import AccountingPeriod, AccountingRun, Budget, BudgetLine, CostEntry, ExchangeRate, MonthlyAccount
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


# Cost actuals, rates, periods and accounts (API.md "Finance (DTC)") ---------------------------------


class ExchangeRateSerializer(serializers.ModelSerializer):
    currency = CurrencyCodeField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=8, min_value=Decimal("0.00000001"))

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []  # one rate per currency and day: POST again corrects it (finance.services)


class CostEntrySerializer(serializers.ModelSerializer):
    project = VisibleRelatedField(selector=project_visible, queryset=Project.objects.all())
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = CurrencyCodeField()
    reverses = VisibleRelatedField(
        selector=lambda user: CostEntry.objects.filter(project__in=project_visible(user)),
        queryset=CostEntry.objects.all(),
        required=False,
        allow_null=True,
    )
    source_system = serializers.CharField(max_length=40, required=False, default="portal")
    source_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    amount_base = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, allow_null=True)
    entered_by = serializers.CharField(source="entered_by.username", read_only=True)

    class Meta:
        model = CostEntry
        fields = [
            "id",
            "project",
            "date",
            "period",
            "category",
            "amount",
            "currency",
            "amount_base",
            "description",
            "source_system",
            "source_ref",
            "reverses",
            "entered_by",
            "state",
            "created_at",
        ]
        read_only_fields = ["period", "state", "created_at"]
        validators = []  # the unique source reference is checked by the service (400 on the field)


class CostEntryBulkSerializer(serializers.Serializer):
    entries = serializers.ListField(child=serializers.DictField(), allow_empty=False, max_length=5000)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()


class AccountingPeriodSerializer(serializers.ModelSerializer):
    period = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2])$", max_length=7)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, default=None)

    class Meta:
        model = AccountingPeriod
        fields = ["id", "period", "state", "closed_by", "closed_at"]
        read_only_fields = ["state", "closed_at"]
        validators = []


class AccountingRunSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period.period", read_only=True)

    class Meta:
        model = AccountingRun
        fields = ["id", "period", "state", "projects", "created_at", "started_at", "finished_at", "error"]
        read_only_fields = fields


class MonthlyAccountSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period.period", read_only=True)

    class Meta:
        model = MonthlyAccount
        fields = [
            "id",
            "project",
            "period",
            "currency",
            "cost_period",
            "cost_cumulative",
            "cost_by_category",
            "budget",
            "planned_value",
            "earned_value",
            "cpi",
            "spi",
            "revenue_period",
            "revenue_cumulative",
            "gross_margin",
            "margin_percent",
            "budget_execution_percent",
            "cost_variance_percent",
            "invoiced",
            "collected",
            "receivable",
            "complete",
            "notes",
            "computed_at",
        ]
        read_only_fields = fields
