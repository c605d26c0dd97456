"""Filters of the notifications API: ``unread=true`` (or ``false``) and the kind."""

import django_filters

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_unread", label="unread"
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=(value == "true"))
