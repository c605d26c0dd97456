"""Asking for the monthly accounting: the API, the admin action, the management command and beat all
call ``accounting_run_request``; the run itself is the Celery task (queued after commit)."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import TransitionRefused, log_created
from ltc_portal.core.outbox import enqueue

from ..models import AccountingRun, PeriodState
from .costs import period_get_or_open

#: the task that runs a queued run (finance/tasks.py), looked up by name: tasks call services, not back
RUN_TASK = "finance.tasks.run_monthly_accounting"


@transaction.atomic
def accounting_run_record(*, period: str, user: User | None) -> AccountingRun:
    """A new run of ``period``, not queued (the management command runs it at once). Finance, or the
    portal itself when ``user`` is None; refused (409) for a closed period."""
    if user is not None and not user.has_perm("finance.run_accounting"):
        raise PermissionDenied(_("Only finance runs the monthly accounting."))
    period_row = period_get_or_open(period=period, user=user)
    if period_row.state == PeriodState.CLOSED:
        raise TransitionRefused(
            _("Period %(period)s is closed: its accounts are not recomputed.") % {"period": period},
            [_("Reopen it first (with a reason).")],
        )
    run = AccountingRun.objects.create(period=period_row, requested_by=user)
    log_created(run, user=user)
    return run


@transaction.atomic
def accounting_run_request(*, period: str, user: User | None) -> AccountingRun:
    """Queue the accounting of ``period``: the run is recorded now and its task queued once that is
    committed."""
    run = accounting_run_record(period=period, user=user)
    enqueue(RUN_TASK, run_id=run.pk)
    return run
