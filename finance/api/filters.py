"""Filters of the finance API."""

import django_filters

from finance.models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    CostEntry,
    ExchangeRate,
    Invoice,
    MonthlyAccount,
    Receipt,
)


class BudgetFilter(django_filters.FilterSet):
    class Meta:
        model = Budget
        fields = ["project", "state"]


class ExchangeRateFilter(django_filters.FilterSet):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "date"]


class CostEntryFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = CostEntry
        fields = ["project", "state", "category", "currency", "period", "source_system"]


class AccountingPeriodFilter(django_filters.FilterSet):
    class Meta:
        model = AccountingPeriod
        fields = ["state", "period"]


class AccountingRunFilter(django_filters.FilterSet):
    period = django_filters.CharFilter(field_name="period__period")

    class Meta:
        model = AccountingRun
        fields = ["state", "period"]


class MonthlyAccountFilter(django_filters.FilterSet):
    period = django_filters.CharFilter(field_name="period__period")

    class Meta:
        model = MonthlyAccount
        fields = ["project", "period", "complete"]


class InvoiceFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="contract__opportunity__customer")

    class Meta:
        model = Invoice
        fields = ["contract", "payment_milestone", "state", "customer"]


class ReceiptFilter(django_filters.FilterSet):
    class Meta:
        model = Receipt
        fields = ["customer", "currency", "date"]
