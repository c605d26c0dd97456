"""Webhooks in the admin (superusers): subscriptions saved through the same service as the API, the
delivery log read only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.admin import ReadOnlyAdmin

from . import services
from .models import Event, Webhook, WebhookAttempt, WebhookDelivery


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(label=_("secret"), widget=forms.PasswordInput(render_value=True), min_length=16)

    class Meta:
        model = Webhook
        fields = ["url", "events", "secret", "active"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("url", "events", "active", "updated_at")
    list_filter = ("active",)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.WEBHOOK_FIELDS}
        try:
            if change:
                saved = services.webhook_update(webhook=obj, user=request.user, data=data)
            else:
                saved = services.webhook_create(user=request.user, data=data)
        except ValidationError as exc:  # shown as a message: the form already passed its own checks
            self.message_user(request, "; ".join(exc.messages), level="error")
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.webhook_delete(webhook=obj, user=request.user)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "status_code", "error", "duration_ms", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "webhook", "event", "state", "attempts", "status_code", "delivered_at")
    list_filter = ("state", "event")
    list_select_related = ("webhook",)
    inlines = [AttemptInline]
