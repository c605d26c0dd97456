from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import Budget, BudgetLine
from .selectors import budget_list


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("category", "amount", "note")


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Budget versions are read here by finance; DR1 approves them through its gate review."""

    list_display = ("project", "version", "state", "total", "currency", "created_at")
    list_filter = ("state",)
    list_select_related = ("project",)
    inlines = [BudgetLineInline]

    def get_queryset(self, request):
        return budget_list(request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("finance.view_budget", obj)
