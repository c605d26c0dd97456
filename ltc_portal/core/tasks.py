"""Celery entry points of the outbox: running one queued job, and beat's sweep of what is waiting."""

from ltc_portal.celery import app

from . import outbox


@app.task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_outbox_job(job_id: int) -> str:
    """Run one outbox row's job once (see ``outbox.run_job``); a second delivery does nothing."""
    return outbox.run_job(job_id)


@app.task(acks_late=True, ignore_result=True)
def redispatch_outbox() -> int:
    """Beat, every minute: publish again the jobs still waiting; drop old finished rows."""
    outbox.purge_finished()
    return outbox.redispatch()
