from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import Contract, PaymentMilestone
from .selectors import contract_visible


class PaymentMilestoneInline(admin.TabularInline):
    model = PaymentMilestone
    extra = 0
    can_delete = False
    fields = readonly_fields = ("name", "amount", "percent", "trigger", "planned_date", "state")


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ("number", "opportunity", "value", "currency", "signed_date", "state")
    list_filter = ("state", "currency")
    search_fields = ("number", "opportunity__name")
    list_select_related = ("opportunity",)
    inlines = [PaymentMilestoneInline]

    def get_queryset(self, request):
        return contract_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("contracts.view_contract", obj)
