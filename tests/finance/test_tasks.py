"""The monthly accounting job on a real Celery worker through Redis, and its beat schedule."""

from decimal import Decimal

import pytest
from django.conf import settings

from finance import services as finance
from finance.models import AccountingRun, MonthlyAccount
from tests.celery_utils import real_worker, wait_for
from tests.finance.test_accounting import PERIOD, day, entry, project_in_build
from tests.opportunities.factories import Cast


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_monthly_accounting_runs_on_a_real_worker_through_redis(make_user):
    cast = Cast(make_user, prefix="w")
    project = project_in_build(cast)
    entry(project, cast.finance, day(2), "labour", "1234.56")
    with real_worker():
        run = finance.accounting_run_request(period=PERIOD, user=cast.finance)
        assert run.state == "queued"
        done = wait_for(lambda: AccountingRun.objects.get(pk=run.pk).state in ("succeeded", "failed"), timeout=60)
        assert done, f"the worker did not finish the run: {AccountingRun.objects.get(pk=run.pk).state}"
    run.refresh_from_db()
    assert (run.state, run.projects, run.error) == ("succeeded", 1, "")
    account = MonthlyAccount.objects.get(project=project, period__period=PERIOD)
    assert (account.cost_cumulative, account.cost_period, account.run_id) == (
        Decimal("1234.56"),
        Decimal("1234.56"),
        run.pk,
    )


def test_beat_runs_the_previous_month_on_the_first_at_two():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-accounting"]
    assert entry["task"] == "finance.tasks.run_previous_month_accounting"
    schedule = entry["schedule"]
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {2}, {1})
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
