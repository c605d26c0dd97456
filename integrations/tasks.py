"""Celery entry point of the webhooks: one attempt of one delivery (queued through the outbox)."""

from celery import shared_task

from .services import delivery_attempt


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(delivery_id: int) -> str:
    """Post one pending delivery once; a delivered or failed one is left as it is."""
    return delivery_attempt(delivery_id=delivery_id).state
