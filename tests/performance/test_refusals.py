"""Refusals added in review: pools wait for open appeals, HR never calibrates nor reads its own
unpublished appraisal, peer reviews only while the cycle is open, scoring picks up late templates."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from ltc_portal.core.fsm import TransitionRefused
from performance import selectors
from performance import services as performance
from performance.models import Appraisal
from tests.opportunities.factories import Cast
from tests.performance.test_incentives import END, START, published  # noqa: F401  (the fixture)
from tests.performance.test_scoring import engineer_template, implementing


def test_a_pool_waits_for_the_open_appeals(published):  # noqa: F811
    hr, cycle, y = published["hr"], published["cycle"], published["y"]
    mine = Appraisal.objects.get(cycle=cycle, employee=y)
    performance.appraisal_transition(appraisal=mine, name="appeal", user=y, reason="Scored 0 by mistake")
    performance.cycle_transition(cycle=cycle, name="close", user=hr)  # the appeal still waits
    pool = performance.bonus_pool_create(user=hr, data={"cycle": cycle, "amount": Decimal("100.00"), "currency": "CNY"})
    with pytest.raises(TransitionRefused, match="1 appeals of this cycle wait"):
        performance.bonus_pool_transition(pool=pool, name="allocate", user=hr)
    with pytest.raises(TransitionRefused):  # a closed cycle takes no new peer review either
        performance.peer_review_submit(cycle=cycle, reviewee=y, user=published["x"], scores=[])


def test_hr_never_calibrates_nor_reads_its_own_unpublished_appraisal(make_user, django_capture_on_commit_callbacks):
    # HR on a project team too (a team member holds a delivery-side role: TEAM_MEMBER_ROLES)
    hr = make_user("own-hr", roles=["hr", "delivery"])
    implementing(Cast(make_user, prefix="own"), "C-OWN", hr, 100, START)
    engineer_template(hr)
    cycle = performance.cycle_create(user=hr, data={"name": "Own", "kind": "monthly", "start": START, "end": END})
    performance.cycle_transition(cycle=cycle, name="open", user=hr)
    with django_capture_on_commit_callbacks(execute=True):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    own = Appraisal.objects.get(cycle=cycle, employee=hr)
    assert not selectors.appraisal_visible(hr).filter(pk=own.pk).exists()
    with pytest.raises(PermissionDenied, match="their own grade"):
        performance.appraisal_update(
            appraisal=own, user=hr, data={"final_grade": "S", "calibration_reason": "I deserve it"}
        )


def test_scoring_takes_the_templates_made_after_the_cycle_opened(make_user, django_capture_on_commit_callbacks):
    hr = make_user("late-hr", roles=["hr"])
    x = make_user("late-x", roles=["delivery"])
    implementing(Cast(make_user, prefix="late"), "C-LATE", x, 100, START)
    cycle = performance.cycle_create(user=hr, data={"name": "Late", "kind": "monthly", "start": START, "end": END})
    performance.cycle_transition(cycle=cycle, name="open", user=hr)
    assert Appraisal.objects.get(cycle=cycle, employee=x).template_id is None
    template = engineer_template(hr)
    with django_capture_on_commit_callbacks(execute=True):
        performance.cycle_transition(cycle=cycle, name="score", user=hr)
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    assert mine.template_id == template.pk and len(mine.results) == 4  # scored on it (nothing measured yet)
