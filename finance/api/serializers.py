from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import PaymentMilestone
from contracts.selectors import contract_visible
from delivery.models import Project
from delivery.selectors import project_visible
from finance.models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    BudgetLine,
    CostEntry,
    ExchangeRate,
    FinalAccount,
    Invoice,
    MonthlyAccount,
    Receipt,
)
from leads.api.serializers import CurrencyCodeField
from leads.models import Customer
from leads.selectors import customer_visible
from ltc_portal.core.api.lists import ListModelSerializer
from ltc_portal.core.api.serializers import BoundedListSerializer, TransitionInputSerializer
from ltc_portal.core.api.viewsets import CreateOnlyFieldsMixin, VisibleRelatedField
from opportunities.models import CostCategory


class BudgetLineSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)

    class Meta:
        model = BudgetLine
        list_serializer_class = BoundedListSerializer
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


def bounded_date(value):
    """Dates of the books: between 1900 and 2999 (a far-future date is a typing error, not a period)."""
    if value is not None and not (1900 <= value.year <= 2999):
        raise serializers.ValidationError(_("Give a date between 1900 and 2999."))
    return value


#: the largest amount one record takes (14 integer digits): totals, taxes and base amounts stay within
#: their columns however they add up
MAX_AMOUNT = Decimal("99999999999999.99")


class ExchangeRateSerializer(serializers.ModelSerializer):
    currency = CurrencyCodeField()
    rate = serializers.DecimalField(
        max_digits=18, decimal_places=8, min_value=Decimal("0.00000001"), max_value=Decimal("1000000")
    )
    date = serializers.DateField(validators=[bounded_date])

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []  # one rate per currency and day: POST again corrects it (finance.services)


class CostEntrySerializer(serializers.ModelSerializer):
    project = VisibleRelatedField(selector=project_visible, queryset=Project.objects.all())
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT)
    currency = CurrencyCodeField()
    date = serializers.DateField(validators=[bounded_date])
    reverses = VisibleRelatedField(
        selector=lambda user: CostEntry.objects.filter(project__in=project_visible(user)),
        queryset=CostEntry.objects.all(),
        required=False,
        allow_null=True,
    )
    source_system = serializers.CharField(max_length=40, required=False, default="portal")
    source_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    amount_base = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, allow_null=True)
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


class FinalAccountSerializer(CreateOnlyFieldsMixin, serializers.ModelSerializer):
    """Final accounts (决算): finance gives the project (at handover) and the explanation; every figure
    is drawn up by the portal, in base currency, as of ``as_of``."""

    project = VisibleRelatedField(selector=project_visible, queryset=Project.objects.all())
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    create_only_fields = ("project",)

    class Meta:
        model = FinalAccount
        fields = [
            "id",
            "project",
            "as_of",
            "currency",
            "estimate_total",
            "budget_total",
            "budget_versions",
            "cost_by_category",
            "actual_cost",
            "revenue",
            "invoiced",
            "collected",
            "receivable",
            "gross_margin",
            "margin_percent",
            "variance_vs_estimate",
            "variance_vs_budget",
            "explanation",
            "complete",
            "notes",
            "state",
            "prepared_by",
            "prepared_at",
        ]
        read_only_fields = [f for f in fields if f not in ("project", "explanation")]


class InvoiceSerializer(ListModelSerializer):
    payment_milestone = VisibleRelatedField(
        selector=lambda user: PaymentMilestone.objects.filter(contract__in=contract_visible(user)),
        queryset=PaymentMilestone.objects.all(),
    )
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT, required=False
    )
    issue_date = serializers.DateField(required=False, allow_null=True, validators=[bounded_date])
    tax_rate_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), required=False
    )
    paid_amount = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    outstanding = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "contract",
            "payment_milestone",
            "amount",
            "tax_rate_percent",
            "currency",
            "tax_amount",
            "total",
            "paid_amount",
            "outstanding",
            "issue_date",
            "due_date",
            "number",
            "state",
            "void_reason",
            "write_off_reason",
            "created_at",
        ]
        read_only_fields = [
            "contract",
            "currency",
            "tax_amount",
            "total",
            "due_date",
            "number",
            "state",
            "void_reason",
            "write_off_reason",
            "created_at",
        ]


class InvoiceIssueSerializer(TransitionInputSerializer):
    issue_date = serializers.DateField(required=False, default=None, validators=[bounded_date])


class AllocationSerializer(serializers.Serializer):
    invoice = VisibleRelatedField(
        selector=lambda user: Invoice.objects.filter(contract__in=contract_visible(user)),
        queryset=Invoice.objects.all(),
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))


class ReceiptSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(selector=customer_visible, queryset=Customer.objects.all())
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT)
    currency = CurrencyCodeField()
    date = serializers.DateField(validators=[bounded_date])
    allocations = AllocationSerializer(many=True, required=False, max_length=500)
    unallocated = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "customer",
            "amount",
            "currency",
            "date",
            "payer",
            "reference",
            "allocations",
            "unallocated",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["allocations"] = [
            {"invoice": a.invoice_id, "amount": str(a.amount), "date": a.date.isoformat()}
            for a in instance.allocations.all()
        ]
        return data


class AllocateSerializer(serializers.Serializer):
    allocations = AllocationSerializer(many=True, allow_empty=False, max_length=500)
    date = serializers.DateField(
        required=False,
        default=None,
        validators=[bounded_date],
        help_text="The allocations' date (default today; never before the receipt or the invoice's issue date).",
    )


class ReceivableSerializer(serializers.Serializer):
    invoice = serializers.IntegerField()
    number = serializers.CharField()
    customer = serializers.IntegerField()
    customer_name = serializers.CharField()
    project = serializers.IntegerField(allow_null=True)
    due_date = serializers.DateField()
    days_overdue = serializers.IntegerField()
    bucket = serializers.ChoiceField(choices=["current", "1_30", "31_60", "61_90", "over_90"])
    outstanding = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    outstanding_base = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class ReceivablesSummarySerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    buckets = serializers.DictField(child=serializers.DecimalField(max_digits=20, decimal_places=2))
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    dso_days = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    missing_rates = serializers.ListField(child=serializers.CharField())


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)

    def validate_as_of(self, value):
        if not (1900 <= value.year <= 2999):
            raise serializers.ValidationError(_("Give a date between 1900 and 2999."))
        return value


class CashForecastRowSerializer(serializers.Serializer):
    month = serializers.CharField()
    expected_from_invoices = serializers.DecimalField(max_digits=20, decimal_places=2)
    expected_from_milestones = serializers.DecimalField(max_digits=20, decimal_places=2)
    expected_from_pipeline = serializers.DecimalField(max_digits=20, decimal_places=2)
    collected = serializers.DecimalField(max_digits=20, decimal_places=2)


class MonthsSerializer(serializers.Serializer):
    months = serializers.IntegerField(required=False, default=12, min_value=1, max_value=36)
