from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.admin import ReadOnlyAdmin, VisibleToUserAdmin

from . import selectors, services
from .models import Contact, Customer, Lead, LeadImport


class RulesAdminMixin:
    """Object rights from the rules permissions (leads/rules.py): the same as pages and API."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(f"{self.opts.app_label}.view_{self.opts.model_name}", obj)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}", obj)

    def has_add_permission(self, request, obj=None):
        return False  # created through the pages and API, whose services check duplicates and owners

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(RulesAdminMixin, VisibleToUserAdmin):
    visible = staticmethod(selectors.lead_visible)
    list_display = ("company_name", "contact_name", "state", "score", "source", "owner", "created_at")
    list_filter = ("state", "source")
    search_fields = ("company_name", "contact_name", "email", "phone")
    list_select_related = ("owner",)
    readonly_fields = [f.name for f in Lead._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False  # edits go through the lead page, which keeps the lifecycle and score right


@admin.register(Customer)
class CustomerAdmin(RulesAdminMixin, VisibleToUserAdmin):
    visible = staticmethod(selectors.customer_visible)
    list_display = ("name", "tax_id", "industry", "owner", "created_at")
    search_fields = ("name", "tax_id")
    list_select_related = ("owner",)
    readonly_fields = ("owner", "created_at", "created_by", "updated_at", "updated_by")
    fields = ("name", "tax_id", "industry") + readonly_fields

    def save_model(self, request, obj, form, change):
        services.customer_update(
            customer=obj, user=request.user, data={f: form.cleaned_data[f] for f in form.changed_data}
        )


@admin.register(Contact)
class ContactAdmin(RulesAdminMixin, VisibleToUserAdmin):
    visible = staticmethod(selectors.contact_visible)
    list_display = ("name", "customer", "email", "phone", "title")
    search_fields = ("name", "email", "customer__name")
    list_select_related = ("customer",)
    readonly_fields = ("customer",)
    fields = ("customer", "name", "email", "phone", "title")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadImport)
class LeadImportAdmin(ReadOnlyAdmin):
    list_display = ("filename", "status", "total_rows", "imported_count", "invalid_rows", "created_by", "created_at")
    list_filter = ("status",)
    exclude = ("content",)

    def get_queryset(self, request):
        return selectors.lead_import_visible(request.user, super().get_queryset(request)).defer("content")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("leads.view_leadimport")


admin.site.empty_value_display = _("(none)")
