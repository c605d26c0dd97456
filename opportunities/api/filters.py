"""Filters of the opportunities API."""

import django_filters

from opportunities.models import Opportunity, Quote


class OpportunityFilter(django_filters.FilterSet):
    class Meta:
        model = Opportunity
        fields = ["state", "owner", "customer", "solution_owner", "currency"]


class QuoteFilter(django_filters.FilterSet):
    class Meta:
        model = Quote
        fields = ["opportunity", "state"]
