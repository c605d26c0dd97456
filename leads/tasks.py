from celery import shared_task
from django.utils import timezone

from ltc_portal.core.outbox import on_give_up

from .imports import run_import
from .models import LeadImport


@shared_task(acks_late=True)
def run_lead_import(lead_import_id: int) -> str:
    """Process one uploaded lead file; returns its final status. Running it again on a finished
    import does nothing."""
    lead_import = LeadImport.objects.select_related("created_by").get(pk=lead_import_id)
    if lead_import.done:
        return lead_import.status
    return run_import(lead_import).status


@on_give_up(run_lead_import)
def lead_import_given_up(*, lead_import_id: int, error: str) -> None:
    """The outbox gave the job up: the import shows failed with the error (upload it again to re-run)."""
    LeadImport.objects.filter(
        pk=lead_import_id, status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING]
    ).update(status=LeadImport.Status.FAILED, error=error, finished_at=timezone.now())
