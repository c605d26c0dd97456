"""The KPI scoring job on a real Celery worker through Redis, and its beat schedule."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from performance import services as performance
from performance.models import Appraisal, AppraisalCycle
from tests.celery_utils import real_worker, wait_for
from tests.opportunities.factories import Cast
from tests.performance.test_scoring import engineer_template, implementing, milestone


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_cycle_is_scored_on_a_real_worker_through_redis(make_user):
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=30), today - datetime.timedelta(days=1)
    hr = make_user("w-hr", roles=["hr"])
    x = make_user("w-eng", roles=["delivery"])
    cast = Cast(make_user, prefix="wk")
    project = implementing(cast, "C-WK", x, 100, start)
    milestone(project, cast, "M1", start + datetime.timedelta(days=3), start + datetime.timedelta(days=2), 4)
    engineer_template(hr)
    cycle = performance.cycle_create(user=hr, data={"name": "W", "kind": "monthly", "start": start, "end": end})
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    with real_worker():
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
        done = wait_for(lambda: AppraisalCycle.objects.get(pk=cycle.pk).state != "scoring", timeout=60)
        assert done, "the worker did not score the cycle"
    cycle.refresh_from_db()
    assert (cycle.state, cycle.progress, cycle.error) == ("calibrating", 100, "")
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    # completion 100 (40), delay 0 % → 100 (20), satisfaction 80 → 50 (20), decision quality not measured
    assert (mine.state, str(mine.score), mine.grade) == ("scored", "87.50", "A")


def test_beat_scores_the_cycles_whose_window_ended():
    entry = settings.CELERY_BEAT_SCHEDULE["score-ended-cycles"]
    assert entry["task"] == "performance.tasks.score_ended_cycles"
    assert (entry["schedule"].minute, entry["schedule"].hour) == ({0}, {4})
