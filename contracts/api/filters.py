"""Filters of the contracts API."""

import django_filters

from contracts.models import Contract, PaymentMilestone


class ContractFilter(django_filters.FilterSet):
    class Meta:
        model = Contract
        fields = ["state", "opportunity"]


class PaymentMilestoneFilter(django_filters.FilterSet):
    class Meta:
        model = PaymentMilestone
        fields = ["contract", "state", "trigger"]
