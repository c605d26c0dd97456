from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import Opportunity
from .selectors import opportunity_visible


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ("name", "customer", "owner", "expected_value", "currency", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("name", "customer__name")
    list_select_related = ("customer", "owner")

    def get_queryset(self, request):
        return opportunity_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("opportunities.view_opportunity", obj)
