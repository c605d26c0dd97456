import pytest

from leads import services
from leads.models import Lead, LeadImport
from leads.tasks import run_lead_import
from tests.celery_utils import real_worker, wait_for
from tests.leads.test_import import csv_bytes


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_lead_import_runs_on_a_real_worker_through_redis(make_user):
    user = make_user("worker-sales", roles=["sales"])
    with real_worker():
        imp = services.lead_import_start(
            user=user, filename="w.csv", content=csv_bytes("Worker One Ltd,,,,website,,,", "Worker Two Ltd,,,,event,,,")
        )
        finished = wait_for(lambda: LeadImport.objects.get(pk=imp.pk).done, timeout=60)
        assert finished, f"the worker did not finish the import: {LeadImport.objects.get(pk=imp.pk).status}"
    imp.refresh_from_db()
    assert (imp.status, imp.imported_count) == ("imported", 2)
    assert set(Lead.objects.values_list("company_name", flat=True)) == {"Worker One Ltd", "Worker Two Ltd"}


def test_task_is_idempotent_on_a_finished_import(sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        imp = services.lead_import_start(user=sales, filename="a.csv", content=csv_bytes("Once Ltd,,,,website,,,"))
    assert run_lead_import(imp.pk) == "imported"
    assert Lead.objects.filter(company_name="Once Ltd").count() == 1
