"""Filters of the delivery API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from delivery.models import OPEN_ISSUE_STATES, ProjectIssue


class ProjectIssueFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = ProjectIssue
        fields = ["project", "state", "severity", "source", "owner", "risk"]

    def filter_overdue(self, queryset, name, value):
        late = Q(state__in=OPEN_ISSUE_STATES, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
