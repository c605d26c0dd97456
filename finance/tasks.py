"""Celery entry points of finance: thin, idempotent, taking ids and calling the accounting."""

from celery import shared_task
from django.utils import timezone

from ltc_portal.core.fsm import run_effect
from ltc_portal.core.outbox import on_give_up

from .accounting import execute_run, previous_period
from .imports import run_import
from .models import AccountingRun, CostImport, RunState
from .reminders import send_overdue_reminders
from .services.runs import accounting_run_request


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_monthly_accounting(run_id: int) -> str:
    """Run one queued accounting run; delivered again if the worker is lost mid-run (the run's rows
    are rewritten in one transaction, so a second delivery gives the same accounts)."""
    return execute_run(run_id).state


@shared_task(acks_late=True)
def run_previous_month_accounting() -> str:
    """Beat, on the 1st at 02:00: the accounting of the month that just ended (unless it is closed)."""
    period = previous_period(timezone.localdate().strftime("%Y-%m"))
    run = accounting_run_request(period=period, user=None)
    return f"{period}: run #{run.pk} queued"


@shared_task(acks_late=True)
def send_invoice_reminders() -> int:
    """Beat, daily: overdue reminders at each level, once per invoice and level."""
    return len(send_overdue_reminders(timezone.localdate()))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_cost_import(cost_import_id: int) -> str:
    """Check and record one uploaded file of cost entries; a finished import is left as it is, one
    interrupted while checking is checked again from the start (it records all or nothing)."""
    cost_import = CostImport.objects.select_related("created_by").get(pk=cost_import_id)
    if cost_import.done:
        return cost_import.status
    return run_import(cost_import).status


@on_give_up(run_monthly_accounting)
def accounting_run_given_up(*, run_id: int, error: str) -> None:
    """The outbox gave the job up: the run shows failed with the error (request a new run to re-run)."""
    run = AccountingRun.objects.get(pk=run_id)
    if run.state in (RunState.QUEUED, RunState.RUNNING):
        run_effect(run, "fail", user=None, reason=error[:500], error=error)


@on_give_up(run_cost_import)
def cost_import_given_up(*, cost_import_id: int, error: str) -> None:
    """The outbox gave the job up: the import shows failed with the error (upload it again to re-run)."""
    CostImport.objects.filter(pk=cost_import_id).exclude(
        status__in=[CostImport.Status.IMPORTED, CostImport.Status.REJECTED, CostImport.Status.FAILED]
    ).update(status=CostImport.Status.FAILED, error=error, finished_at=timezone.now())
