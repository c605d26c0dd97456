from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import OutboxJob, TransitionLog

admin.site.site_header = _("LTC portal administration")
admin.site.site_title = _("LTC portal")
admin.site.index_title = _("Administration")


class PortalAdmin(admin.ModelAdmin):
    """The portal's admins: an app shows on the admin index for staff who may view one of its models.
    Roles are groups without Django model permissions (the rules and each admin's ``has_view_permission``
    decide), so Django's default (model permissions) would show finance an empty index."""

    def has_module_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and (self.has_view_permission(request) or user.is_superuser))


class ReadOnlyAdmin(PortalAdmin):
    """For records that are kept forever: visible, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VisibleToUserAdmin(PortalAdmin):
    """Admin whose list holds only what the user may see (the same selector as pages and API),
    and whose object rights come from the rules permissions."""

    #: ``callable(user) -> QuerySet`` returning the records the user may see
    visible = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return type(self).visible(request.user, qs) if type(self).visible else qs


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "content_type", "object_id", "transition", "source", "target", "by", "reason")
    list_filter = ("content_type", "transition")
    search_fields = ("reason", "by__username")
    date_hierarchy = "at"
    list_select_related = ("content_type", "by")

    def has_view_permission(self, request, obj=None):
        # the log of every record type (appraisal decisions included): superusers only; everyone else
        # reads a record's history on its own page and in the API, which check the record's visibility
        return request.user.is_active and request.user.is_superuser


@admin.register(OutboxJob)
class OutboxJobAdmin(ReadOnlyAdmin):
    """The outbox: what was queued, whether the broker took it, how often it ran and its last error."""

    list_display = ("id", "task", "state", "attempts", "publishes", "created_at", "finished_at")
    list_filter = ("state", "task")
    search_fields = ("task", "last_error")
    date_hierarchy = "created_at"
