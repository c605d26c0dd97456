"""The one door for webhooks: subscriptions (admin, finance or executive), the deliveries an event
makes, and one attempt of a delivery (the Celery job; the next attempt is queued with backoff)."""

import time
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.outbox import enqueue
from ltc_portal.core.services import assign_fields

from .http import SIGNATURE_HEADER, UnsafeAddress, backoff, body_of, check_url, post, sign
from .models import DeliveryState, Event, Webhook, WebhookAttempt, WebhookDelivery
from .permissions import may_manage_webhooks

DELIVER_TASK = "integrations.tasks.deliver_webhook"
WEBHOOK_FIELDS = ("url", "events", "secret", "active")


def _require_manager(user) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(_("Only finance, executives and administrators manage webhooks."))


def _clean(webhook: Webhook) -> None:
    errors = {}
    events = webhook.events
    if not isinstance(events, list) or not events:
        errors["events"] = [_("Name at least one event.")]
    else:
        unknown = sorted({str(e) for e in events} - set(Event.values))
        if unknown:
            errors["events"] = [
                _("Unknown events: %(names)s. Choose from %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(Event.values)}
            ]
        webhook.events = sorted(set(events))
    if not webhook.secret or len(webhook.secret) < 16:
        errors["secret"] = [_("Give a secret of at least 16 characters.")]
    try:
        webhook.full_clean(exclude=["events", "secret"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "url" not in errors:
        try:
            check_url(webhook.url)
        except UnsafeAddress as exc:
            errors["url"] = [str(exc)]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_create(*, user, data: dict) -> Webhook:
    _require_manager(user)
    webhook = Webhook(created_by=user, updated_by=user)
    assign_fields(webhook, data, WEBHOOK_FIELDS)
    _clean(webhook)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, webhook: Webhook, user, data: dict) -> Webhook:
    _require_manager(user)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    assign_fields(webhook, data, WEBHOOK_FIELDS)
    webhook.updated_by = user
    _clean(webhook)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, user) -> None:
    _require_manager(user)
    webhook.delete()


def event_raise(*, event: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per active webhook subscribed to ``event``, each queued (through the outbox) once
    the step that raised it commits. Called by the handlers, in the step's transaction."""
    hooks = [w for w in Webhook.objects.filter(active=True).order_by("pk") if event in w.events]
    if not hooks:
        return []
    occurred = timezone.now().isoformat()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=w,
                event=event,
                payload={"id": str(uuid.uuid4()), "event": event, "occurred_at": occurred, "data": data},
            )
            for w in hooks
        ]
    )
    for delivery in deliveries:
        enqueue(DELIVER_TASK, delivery_id=delivery.pk)
    return deliveries


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery:
    """Post a pending delivery once and log the attempt: a 2xx delivers it; anything else (another
    status, no answer, a refused address) queues the next attempt after the backoff, until
    WEBHOOK_MAX_ATTEMPTS, after which the delivery is failed."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.state != DeliveryState.PENDING:
        return delivery
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "LTC-portal-webhooks/1",
        "X-LTC-Event": delivery.event,
        "X-LTC-Delivery": delivery.payload.get("id", str(delivery.pk)),
        SIGNATURE_HEADER: sign(delivery.webhook.secret, body),
    }
    started = time.monotonic()
    status, error = None, ""
    try:
        status = post(delivery.webhook.url, body, headers)
    except (OSError, UnsafeAddress, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.state != DeliveryState.PENDING:
            return delivery
        delivery.attempts += 1
        delivery.status_code = status
        if status is not None and not error and 200 <= status < 300:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryState.DELIVERED,
                timezone.now(),
                None,
            )
        elif status is not None and not error:
            error = _("The endpoint answered %(status)s.") % {"status": status}
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, status_code=status, error=error, duration_ms=duration
        )
        if delivery.state == DeliveryState.PENDING:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
                enqueue(DELIVER_TASK, run_after=delivery.next_attempt_at, delivery_id=delivery.pk)
        delivery.save()
    return delivery
