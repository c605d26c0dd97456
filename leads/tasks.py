from celery import shared_task

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
