"""A worker killed mid-job (issue 11 §3): a real Celery worker process is SIGKILLed in the middle of a
monthly accounting run (finance's task, ``acks_late``, through the outbox). Its message was never
acknowledged, so the broker hands it to the next worker once its visibility timeout has passed; that
worker runs the job again from the start and the accounts equal a clean run's. When the job has been
started its last allowed time, the next delivery gives it up: the run shows ``failed``, and a new run
succeeds.

The run is held at a known point without any hook in the product: the test's own connection holds the
period's row lock, which the run takes (``SELECT … FOR UPDATE``) after it has started, so the worker
blocks there until it is killed."""

import contextlib
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections

from finance import services as finance
from finance.models import AccountingPeriod, AccountingRun, MonthlyAccount
from ltc_portal.core import outbox
from ltc_portal.core.models import OutboxJob, TransitionLog
from tests.celery_utils import WORKER_APPLICATION_NAME, end_worker_sessions, wait_for, worker_processes
from tests.finance import test_accounting
from tests.finance.test_accounting import FIGURES, PERIOD, run

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
cast = test_accounting.cast  # the fixtures of the accounting's worked example
worked_example = test_accounting.worked_example
#: seconds an unacknowledged message stays with the worker that took it (production: an hour)
VISIBILITY_TIMEOUT = 2


def figures(project) -> dict:
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    return {f: getattr(account, f) for f in FIGURES}


def job_of(run_row: AccountingRun) -> OutboxJob:
    return OutboxJob.objects.get(task="finance.tasks.run_monthly_accounting", kwargs__run_id=run_row.pk)


@contextlib.contextmanager
def period_locked(period: AccountingPeriod):
    """Hold the period's row lock from another session, as a long transaction would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"SELECT id FROM {AccountingPeriod._meta.db_table} WHERE id = %s FOR UPDATE", [period.pk])
        yield other
    finally:
        with contextlib.suppress(Exception), other.cursor() as cursor:
            cursor.execute("ROLLBACK")
        other.close()


def a_worker_waits_on_the_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s AND wait_event_type = 'Lock'",
            [WORKER_APPLICATION_NAME],
        )
        return cursor.fetchone()[0] > 0


def runs_started(run_row: AccountingRun) -> int:
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(AccountingRun), object_id=run_row.pk, transition="start"
    ).count()


def kill_mid_run(start, run_row: AccountingRun) -> None:
    """Worker A takes the run's job and blocks inside the run on the period's lock; it is SIGKILLed
    there. Its database session (blocked, it does not see its client gone) is ended, as PostgreSQL's
    keepalives would end it; the broker still holds the unacknowledged message."""
    with period_locked(run_row.period):
        first = start("first")
        assert wait_for(a_worker_waits_on_the_lock, timeout=20), first.log()[-3000:]
        run_row.refresh_from_db()
        job = job_of(run_row)
        assert (run_row.state, job.state, job.attempts) == ("running", "running", 1)
        assert outbox._is_locked(job.pk)  # the worker holds the job's advisory lock
        first.kill()
        killed_at = time.monotonic()
        assert first.process.returncode == -9
        assert end_worker_sessions() == 1
    assert wait_for(lambda: not outbox._is_locked(job.pk), timeout=10)  # it died with the session
    run_row.refresh_from_db()
    assert (run_row.state, job_of(run_row).state) == ("running", "running")  # nothing finished it
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))


def test_a_run_whose_worker_is_killed_is_redelivered_and_ends_as_a_clean_run(worked_example, cast, tmp_path):
    clean = run()  # a clean run, in this process: the figures to match
    assert clean.state == "succeeded"
    expected = figures(worked_example)
    with worker_processes(tmp_path, CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT) as start:
        killed = finance.accounting_run_request(period=PERIOD, user=cast.finance)
        kill_mid_run(start, killed)
        second = start("second")  # restores the message past its visibility timeout, and runs it
        finished = wait_for(lambda: AccountingRun.objects.get(pk=killed.pk).state in ("succeeded", "failed"), 30)
        assert finished, second.log()[-3000:]
    killed.refresh_from_db()
    job = job_of(killed)
    assert (killed.state, killed.error, killed.projects) == ("succeeded", "", 1)
    assert (job.state, job.attempts) == ("done", 2)  # delivered twice, run to the end once
    assert runs_started(killed) == 2
    account = MonthlyAccount.objects.get(project=worked_example, period__period=PERIOD)
    assert account.run_id == killed.pk  # the redelivered run wrote the accounts
    assert figures(worked_example) == expected
    assert MonthlyAccount.objects.count() == 1


def test_when_the_attempts_are_spent_the_run_shows_failed_and_a_rerun_succeeds(worked_example, cast, tmp_path):
    clean = run()
    assert clean.state == "succeeded"
    expected = figures(worked_example)
    with worker_processes(tmp_path, CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT, OUTBOX_MAX_ATTEMPTS=1) as start:
        killed = finance.accounting_run_request(period=PERIOD, user=cast.finance)
        kill_mid_run(start, killed)
        second = start("second")
        gave_up = wait_for(lambda: AccountingRun.objects.get(pk=killed.pk).state == "failed", 30)
        assert gave_up, second.log()[-3000:]
        killed.refresh_from_db()
        job = job_of(killed)
        assert (job.state, job.attempts) == ("failed", 2)
        assert "never finished" in killed.error and "never finished" in job.last_error
        assert runs_started(killed) == 1  # given up without running it again
        assert MonthlyAccount.objects.get(project=worked_example).run_id == clean.pk  # the accounts stay

        rerun = finance.accounting_run_request(period=PERIOD, user=cast.finance)  # what the page's button does
        done = wait_for(lambda: AccountingRun.objects.get(pk=rerun.pk).state in ("succeeded", "failed"), 30)
        assert done, second.log()[-3000:]
    rerun.refresh_from_db()
    assert (rerun.state, rerun.error, job_of(rerun).attempts) == ("succeeded", "", 1)
    assert MonthlyAccount.objects.get(project=worked_example).run_id == rerun.pk
    assert figures(worked_example) == expected
