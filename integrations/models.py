"""Outbound webhooks: subscriptions by event, one delivery per event and subscription, and each
attempt of a delivery (the log)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ltc_portal.core.models import AuditedModel


class Event(models.TextChoices):
    GATE_DECIDED = "gate.decided", _("Gate decided")
    CONTRACT_SIGNED = "contract.signed", _("Contract signed")
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")
    RECEIPT_RECORDED = "receipt.recorded", _("Receipt recorded")
    PROJECT_CLOSED = "project.closed", _("Project closed")


class Webhook(AuditedModel):
    """An integrator's endpoint: the events it wants, and the secret its deliveries are signed with."""

    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["pk"]

    def __str__(self):
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery state", "Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one webhook: the JSON body (fixed when the event happened, so every attempt sends
    the same bytes), how it went and when."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook"))
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    payload = models.JSONField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} · {self.get_state_display()}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the answer's status (none when the endpoint could not be reached), the
    error and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="integrations_attempt_once")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number} · {self.status_code or self.error[:40]}"
