"""Celery entry points of contracts: thin, idempotent, calling services."""

from celery import shared_task
from django.utils import timezone

from .services import payments_due_on_date


@shared_task(acks_late=True)
def make_dated_payments_due() -> int:
    """Beat, daily: payment milestones whose planned date has come become due (invoiceable)."""
    return len(payments_due_on_date(day=timezone.localdate()))
