"""Notifications in the admin, read only for superusers (support: did this person get told?). Nobody
edits a notification; the recipient marks it read from the page or the API."""

from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import Notification, NotificationSettings


class SuperuserReadOnlyAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(Notification)
class NotificationAdmin(SuperuserReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "message", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "key")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(SuperuserReadOnlyAdmin):
    list_display = ("user", "email", "updated_at")
    list_select_related = ("user",)
