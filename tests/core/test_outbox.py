"""The outbox (issue 11 §3): a job survives a broker that is down, is sent again by the sweep, runs once,
and is given up after OUTBOX_MAX_ATTEMPTS with its own record showing failed."""

import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone

from leads.models import Lead, LeadImport
from ltc_portal.core import outbox
from ltc_portal.core.models import OutboxJob
from tests.celery_utils import broker_down, real_worker, wait_for
from tests.leads.test_import import csv_bytes

pytestmark = pytest.mark.django_db
State = OutboxJob.State


def import_job(imp: LeadImport) -> OutboxJob:
    return OutboxJob.objects.get(task="leads.tasks.run_lead_import", kwargs__lead_import_id=imp.pk)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_dead_broker_costs_the_request_nothing_and_the_job_runs_once_when_it_returns(web, make_user):
    user = make_user("outage-sales", roles=["sales"])
    client = web.as_user(user)
    upload = SimpleUploadedFile("leads.csv", csv_bytes("Outage One Ltd,,,,website,,,", "Outage Two Ltd,,,,event,,,"))
    with broker_down():
        started = time.monotonic()
        response = client.post("/leads/import/", {"file": upload})
        elapsed = time.monotonic() - started
    assert response.status_code == 302, response.content[:500]
    # a refused connection answers in ms, a silent host in 1 s (broker timeouts); the rest is the page
    assert elapsed < 2.0, f"the import page took {elapsed:.2f} s with the broker down"
    imp = LeadImport.objects.get()
    job = import_job(imp)
    assert (imp.status, job.state, job.publishes, job.attempts) == ("queued", "queued", 1, 0)
    assert "Error" in job.last_error  # what the broker answered, for the admin
    assert not Lead.objects.exists()

    with real_worker():
        assert outbox.redispatch() == 1  # the sweep (beat, or a worker's start) sends it
        job.refresh_from_db()
        outbox.publish(job)  # and a duplicate message, as a second sweep racing the first would send
        outbox.publish(job)
        assert wait_for(lambda: LeadImport.objects.get(pk=imp.pk).done, timeout=60)
        assert wait_for(lambda: OutboxJob.objects.get(pk=job.pk).state == State.DONE, timeout=30)
        time.sleep(1.0)  # the duplicates are taken and skipped
    imp.refresh_from_db()
    job.refresh_from_db()
    assert (imp.status, imp.imported_count) == ("imported", 2)
    assert Lead.objects.count() == 2
    assert (job.state, job.attempts, job.last_error) == ("done", 1, "")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_202_at_once_with_the_broker_down(api, make_user):
    user = make_user("outage-api", roles=["sales"])
    upload = SimpleUploadedFile("leads.csv", csv_bytes("Api Outage Ltd,,,,website,,,"))
    with broker_down():
        started = time.monotonic()
        response = api.as_user(user).post("/api/v1/leads/import/", {"file": upload}, format="multipart")
        elapsed = time.monotonic() - started
    assert response.status_code == 202
    assert elapsed < 2.0
    assert response.json()["status"] == "queued"
    assert import_job(LeadImport.objects.get()).state == State.QUEUED


def test_a_rolled_back_request_queues_nothing(sales, django_capture_on_commit_callbacks):
    from django.db import transaction

    from leads import services

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.lead_import_start(user=sales, filename="a.csv", content=csv_bytes("Never Ltd,,,,website,,,"))
        raise RuntimeError("the request failed")
    assert not callbacks and not OutboxJob.objects.exists() and not LeadImport.objects.exists()


def test_a_job_is_claimed_once(sales, django_capture_on_commit_callbacks):
    from leads import services

    with django_capture_on_commit_callbacks(execute=True):
        imp = services.lead_import_start(user=sales, filename="a.csv", content=csv_bytes("Once Ltd,,,,website,,,"))
    job = import_job(imp)
    assert (job.state, job.attempts) == ("done", 1)
    assert outbox.run_job(job.pk) == "skipped"  # a second delivery of the message
    job.refresh_from_db()
    assert job.attempts == 1 and Lead.objects.filter(company_name="Once Ltd").count() == 1


def test_a_job_another_worker_holds_is_left_alone():
    job = OutboxJob.objects.create(task="leads.tasks.run_lead_import", kwargs={"lead_import_id": 1})
    other = connections.create_connection("default")  # another worker's session
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [outbox.LOCK_NAMESPACE, job.pk])
        assert outbox.run_job(job.pk) == "busy"
        assert outbox._is_locked(job.pk)
        with other.cursor() as cursor:  # that worker finishes (or dies: its connection's locks go)
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [outbox.LOCK_NAMESPACE, job.pk])
    finally:
        other.close()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("queued", 0)
    assert not outbox._is_locked(job.pk)


def test_a_job_that_fails_is_retried_with_backoff_then_given_up(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_SECONDS = 10
    job = OutboxJob.objects.create(task="no.such.task", kwargs={})
    before = timezone.now()
    assert outbox.run_job(job.pk) == "retry"
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("queued", 1) and "NotRegistered" in job.last_error
    assert job.run_after >= before + datetime.timedelta(seconds=10)
    assert outbox.redispatch() == 0  # not due yet
    assert outbox.run_job(job.pk) == "retry"
    job.refresh_from_db()
    assert job.run_after >= before + datetime.timedelta(seconds=20)  # doubled
    assert outbox.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("failed", 3)
    assert outbox.run_job(job.pk) == "skipped"


def test_a_job_whose_workers_keep_dying_is_given_up_and_its_import_shows_failed(sales, settings):
    """Started OUTBOX_MAX_ATTEMPTS times and never finished (workers killed mid-job, the row left
    running, its lock gone with the worker's connection): the sweep sends it again, and the next start
    gives it up; the import says failed, and can be uploaded again."""
    settings.OUTBOX_MAX_ATTEMPTS = 2
    imp = LeadImport.objects.create(filename="x.csv", content=csv_bytes("Lost Ltd,,,,website,,,"), created_by=sales)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    job = OutboxJob.objects.create(
        task="leads.tasks.run_lead_import",
        kwargs={"lead_import_id": imp.pk},
        state=State.RUNNING,
        attempts=2,
        started_at=long_ago,
        published_at=long_ago,
    )
    assert outbox.redispatch() == 1  # an orphan: running, but no worker holds it (eager here: runs now)
    job.refresh_from_db()
    imp.refresh_from_db()
    assert (job.state, job.attempts) == ("failed", 3)
    assert imp.status == "failed" and "never finished" in imp.error
    assert not Lead.objects.exists()


def test_a_failed_import_is_run_again_from_the_api(api, sales, django_capture_on_commit_callbacks):
    imp = LeadImport.objects.create(
        filename="x.csv", content=csv_bytes("Rerun Ltd,,,,website,,,"), created_by=sales, status="failed", error="lost"
    )
    client = api.as_user(sales)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/lead-imports/{imp.pk}/rerun/")
    assert r.status_code == 202, r.json()
    new = LeadImport.objects.get(pk=r.json()["id"])
    assert (new.status, new.imported_count, new.retried_from_id) == ("imported", 1, imp.pk)
    r = client.post(f"/api/v1/lead-imports/{new.pk}/rerun/")  # only a failed one
    assert r.status_code == 400 and "Only a failed import can be run again." in str(r.json())


def test_an_orphan_is_run_again_and_finishes(sales):
    imp = LeadImport.objects.create(filename="x.csv", content=csv_bytes("Again Ltd,,,,website,,,"), created_by=sales)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    job = OutboxJob.objects.create(
        task="leads.tasks.run_lead_import",
        kwargs={"lead_import_id": imp.pk},
        state=State.RUNNING,
        attempts=1,
        started_at=long_ago,
    )
    assert outbox.redispatch() == 1
    job.refresh_from_db()
    imp.refresh_from_db()
    assert (job.state, job.attempts, imp.status) == ("done", 2, "imported")


def test_a_message_the_broker_lost_is_sent_again_and_recent_ones_are_not():
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    lost = OutboxJob.objects.create(task="no.such.task", state=State.SENT, published_at=long_ago)
    OutboxJob.objects.create(task="no.such.task", state=State.SENT, published_at=timezone.now())
    OutboxJob.objects.create(task="no.such.task", state=State.DONE, finished_at=long_ago)
    assert outbox.redispatch() == 1
    lost.refresh_from_db()
    assert lost.attempts == 1  # it ran (and failed: no such task) — it was not left waiting


def test_old_finished_rows_are_purged(settings):
    old = timezone.now() - datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    OutboxJob.objects.create(task="t", state=State.DONE, finished_at=old)
    kept = OutboxJob.objects.create(task="t", state=State.FAILED, finished_at=old)
    assert outbox.purge_finished() == 1
    assert list(OutboxJob.objects.all()) == [kept]


def test_a_worker_that_starts_sends_the_waiting_jobs(sales):
    from ltc_portal.celery import send_waiting_jobs

    imp = LeadImport.objects.create(filename="x.csv", content=csv_bytes("Start Ltd,,,,website,,,"), created_by=sales)
    job = OutboxJob.objects.create(task="leads.tasks.run_lead_import", kwargs={"lead_import_id": imp.pk})
    send_waiting_jobs()  # the worker_ready signal's receiver (eager here: the job runs now)
    job.refresh_from_db()
    imp.refresh_from_db()
    assert (job.state, imp.status) == ("done", "imported")
