"""The outbox: the one way a Celery job is queued (``enqueue``).

``enqueue(task, **kwargs)`` writes an ``OutboxJob`` row in the caller's transaction and publishes it
once that commits, with short broker timeouts: a broker that is down costs the request at most a
second and never an error; the row stays ``queued``. Beat (``ltc_portal.core.tasks.redispatch_outbox``,
every minute) and a worker's start (``worker_ready``) publish again the rows still queued, those sent
long ago and never started (a message lost by the broker) and those whose worker died mid-job.

The worker runs a row through ``run_job``: it takes a PostgreSQL advisory lock on the row (held for the
whole job, released by the database if the worker dies) and claims it with ``UPDATE … WHERE state IN
(queued, sent, running)``; a second message for the same row finds it locked or done and does nothing,
so a job runs once however often it was published. A job that raises is tried again with backoff;
after ``OUTBOX_MAX_ATTEMPTS`` the row is ``failed`` and the handler the job's app registered with
``on_give_up`` marks the job's own record (the import, the run) failed, to be re-run from there.
"""

import contextlib
import datetime
import importlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ltc_portal.celery import app as celery_app

from .models import OutboxJob

logger = logging.getLogger("ltc_portal.outbox")

#: the Celery task that runs a row (``ltc_portal/core/tasks.py``)
RUN_TASK = "ltc_portal.core.tasks.run_outbox_job"
#: first number of the advisory lock's key pair (the second is the row's id)
LOCK_NAMESPACE = 0x4F42

State = OutboxJob.State
_GIVE_UP: dict[str, Callable[..., None]] = {}


def _name(task) -> str:
    return task if isinstance(task, str) else task.name


def _task(name: str):
    """The registered task of that name; the apps' task modules are loaded first when the web
    process has not imported them yet (a task is named after its module)."""
    try:
        return celery_app.tasks[name]
    except KeyError:
        with contextlib.suppress(ImportError):
            importlib.import_module(name.rpartition(".")[0])
        return celery_app.tasks[name]


def enqueue(task, /, *, run_after: datetime.datetime | None = None, **kwargs) -> OutboxJob:
    """Queue ``task`` (a task or its name) with these keyword arguments (JSON values): the row is
    written now, in the current transaction, and published once it commits (never if it rolls
    back). ``run_after`` delays the job."""
    job = OutboxJob.objects.create(task=_name(task), kwargs=kwargs, run_after=run_after)
    transaction.on_commit(lambda: publish(job), robust=True)
    return job


def on_give_up(task) -> Callable:
    """Register ``handler(error=..., **kwargs)``, called (in a transaction) when a job of ``task``
    has failed ``OUTBOX_MAX_ATTEMPTS`` times: it marks the job's own record failed."""

    def register(handler):
        _GIVE_UP[_name(task)] = handler
        return handler

    return register


def publish(job: OutboxJob, *, now: datetime.datetime | None = None) -> bool:
    """Send the row's message to the broker once (no retry, short timeouts). True when sent; a
    broker that is down is recorded on the row and logged, never raised."""
    options = {"retry": False, "ignore_result": True}
    if job.run_after and job.run_after > (now or timezone.now()):
        if celery_app.conf.task_always_eager:  # no broker to hold it: the sweep runs it when due
            return False
        options["eta"] = job.run_after
    try:
        from .tasks import run_outbox_job  # noqa: PLC0415  (the task module imports this one)

        run_outbox_job.apply_async(kwargs={"job_id": job.pk}, **options)
    except Exception as exc:  # noqa: BLE001 - the row is committed; beat or a worker's start sends it again
        logger.warning("Could not send job %s (%s) to the broker: %s", job.pk, job.task, exc)
        OutboxJob.objects.filter(pk=job.pk, state=State.QUEUED).update(
            publishes=F("publishes") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return False
    OutboxJob.objects.filter(pk=job.pk, state=State.QUEUED).update(
        state=State.SENT, publishes=F("publishes") + 1, published_at=timezone.now()
    )
    return True


def redispatch(*, now: datetime.datetime | None = None) -> int:
    """Publish again what is waiting: rows still queued (due), rows sent long ago and never started,
    and rows left running by a worker that died. Returns how many were sent."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    due = Q(run_after__isnull=True) | Q(run_after__lte=now)
    waiting = OutboxJob.objects.filter(
        (Q(state=State.QUEUED) & due) | (Q(state=State.SENT, published_at__lt=stale) & due)
    )
    orphans = [
        pk
        for pk in OutboxJob.objects.filter(state=State.RUNNING, started_at__lt=stale).values_list("pk", flat=True)
        if not _is_locked(pk)
    ]
    if orphans:
        OutboxJob.objects.filter(pk__in=orphans, state=State.RUNNING).update(state=State.QUEUED)
    sent = 0
    for job in (waiting | OutboxJob.objects.filter(pk__in=orphans, state=State.QUEUED)).order_by("pk")[
        : settings.OUTBOX_BATCH
    ]:
        if job.state == State.SENT:  # a message the broker lost: send it as if new
            OutboxJob.objects.filter(pk=job.pk, state=State.SENT).update(state=State.QUEUED)
        sent += publish(job, now=now)
    return sent


def purge_finished(*, now: datetime.datetime | None = None) -> int:
    """Delete done rows older than ``OUTBOX_KEEP_DAYS`` (failed rows stay for the record)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    return OutboxJob.objects.filter(state=State.DONE, finished_at__lt=cutoff).delete()[0]


def run_job(job_id: int) -> str:
    """Run one row's job once (the worker's side); returns what happened: ``done``, ``retry``,
    ``failed``, ``busy`` (another worker runs it) or ``skipped`` (finished already)."""
    with _locked(job_id) as got:
        if not got:
            return "busy"
        now = timezone.now()
        claimed = OutboxJob.objects.filter(pk=job_id, state__in=[State.QUEUED, State.SENT, State.RUNNING]).update(
            state=State.RUNNING, attempts=F("attempts") + 1, started_at=now
        )
        if not claimed:
            return "skipped"
        job = OutboxJob.objects.get(pk=job_id)
        if job.attempts > settings.OUTBOX_MAX_ATTEMPTS:  # started that often and never finished (workers lost)
            _give_up(job, job.last_error or "The job was started %s times and never finished." % (job.attempts - 1))
            return "failed"
        try:
            _task(job.task)(**job.kwargs)
        except Exception as exc:  # noqa: BLE001 - recorded on the row, tried again or given up
            logger.exception("Job %s (%s) failed (attempt %s)", job.pk, job.task, job.attempts)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if job.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                _give_up(job, error)
                return "failed"
            delay = settings.OUTBOX_RETRY_SECONDS * 2 ** (job.attempts - 1)
            job.run_after = timezone.now() + datetime.timedelta(seconds=delay)
            OutboxJob.objects.filter(pk=job.pk).update(state=State.QUEUED, last_error=error, run_after=job.run_after)
            publish(job)
            return "retry"
        OutboxJob.objects.filter(pk=job.pk).update(state=State.DONE, finished_at=timezone.now(), last_error="")
        return "done"


def _give_up(job: OutboxJob, error: str) -> None:
    with transaction.atomic():
        OutboxJob.objects.filter(pk=job.pk).update(state=State.FAILED, last_error=error, finished_at=timezone.now())
        with contextlib.suppress(KeyError):
            _task(job.task)  # loads the app's tasks module, where its handler is registered
        handler = _GIVE_UP.get(job.task)
        if handler is not None:
            try:
                with transaction.atomic():
                    handler(error=error, **job.kwargs)
            except Exception:  # noqa: BLE001 - the row says failed; the handler's error is for the log
                logger.exception("The give-up handler of %s failed for job %s", job.task, job.pk)
    logger.error("Job %s (%s) failed for good after %s attempts: %s", job.pk, job.task, job.attempts, error)


@contextlib.contextmanager
def _locked(job_id: int):
    """Hold the row's advisory lock (a session lock: it outlives the job's own transactions and dies
    with the worker's connection). Without PostgreSQL the UPDATE claim alone guards."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job_id])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job_id])


def _is_locked(job_id: int) -> bool:
    """Whether a worker holds the row's lock now (so a ``running`` row is not an orphan)."""
    with _locked(job_id) as got:
        return not got if connection.vendor == "postgresql" else True
