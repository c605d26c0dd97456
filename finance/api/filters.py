"""Filters of the finance API."""

import django_filters

from finance.models import Budget


class BudgetFilter(django_filters.FilterSet):
    class Meta:
        model = Budget
        fields = ["project", "state"]
