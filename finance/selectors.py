from django.db.models import QuerySet

from delivery.selectors import project_visible

from .models import Budget


def budget_list(user) -> QuerySet:
    return (Budget.objects.filter(project__in=project_visible(user)).select_related("project")
            .prefetch_related("lines"))
