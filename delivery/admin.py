from django.contrib import admin

from ltc_portal.core.admin import ReadOnlyAdmin

from .models import Project
from .selectors import project_visible


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("name", "opportunity", "pm", "state", "currency", "created_at")
    list_filter = ("state",)
    search_fields = ("name",)
    list_select_related = ("opportunity", "pm")

    def get_queryset(self, request):
        return project_visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("delivery.view_project", obj)
