from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import EstimateLine, Opportunity, Quote, QuoteLine
from .selectors import opportunity_visible, quote_visible


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("description", "category", "quantity", "unit_price", "discount_percent", "unit_cost")


class EstimateLineInline(admin.TabularInline):
    model = EstimateLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("category", "amount", "note")


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ("name", "customer", "owner", "expected_value", "currency", "probability", "state", "created_at")
    list_filter = ("state", "currency")
    search_fields = ("name", "customer__name")
    list_select_related = ("customer", "owner")

    def get_queryset(self, request):
        return opportunity_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("opportunities.view_opportunity", obj)


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    """Finance reads the quotes, their estimate and margin here; they are written on the quote page."""

    list_display = ("opportunity", "version", "state", "revenue", "cost", "currency", "frozen")
    list_filter = ("state", "frozen")
    list_select_related = ("opportunity",)
    inlines = [QuoteLineInline, EstimateLineInline]

    def get_queryset(self, request):
        return quote_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("opportunities.view_quote", obj)
