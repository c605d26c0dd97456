"""The performance pages: HR's workspace (cycles and steps, calibration against the caps, appeals) and
each person's "My performance" (published results, acknowledge, appeal), refusals as messages."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import Appraisal
from tests.performance.test_incentives import END, START, published  # noqa: F401  (the fixture)


def test_hr_calibrates_against_the_caps_and_decides_appeals_on_the_workspace(web, published):  # noqa: F811
    hr, cycle, x, y = published["hr"], published["cycle"], published["x"], published["y"]
    client = web.as_user(hr)
    page = client.get(reverse("performance:workspace"), {"cycle": cycle.pk}).content.decode()
    assert f'data-cycle="{cycle.pk}"' in page and 'id="distribution"' in page and 'id="calibration"' in page
    mine = Appraisal.objects.get(cycle=cycle, employee=y)
    performance_appeal = reverse("performance:appraisal-step", args=[mine.pk, "appeal"])
    r = web.as_user(y).post(performance_appeal, {"reason": ""}, follow=True)
    assert "A reason is required." in r.content.decode()
    web.as_user(y).post(performance_appeal, {"reason": "Scored 0 by mistake"})
    client = web.as_user(hr)  # the same test client, signed in as HR again
    page = client.get(reverse("performance:workspace"), {"cycle": cycle.pk}).content.decode()
    appeal = Appraisal.objects.get(pk=mine.pk).appeal_record
    assert f'data-appeal="{appeal.pk}"' in page
    r = client.post(
        reverse("performance:appeal-decide", args=[appeal.pk]), {"decision": "", "new_grade": ""}, follow=True
    )
    assert "Say what was decided" in r.content.decode()
    client.post(reverse("performance:appeal-decide", args=[appeal.pk]), {"decision": "Corrected", "new_grade": "S"})
    assert Appraisal.objects.get(pk=mine.pk).final_grade == "S"
    for outsider in (x, published["cast"].pm):
        assert web.as_user(outsider).get(reverse("performance:workspace")).status_code == 403


def test_calibration_on_the_page_needs_a_reason(web, make_user, django_capture_on_commit_callbacks):
    from performance import services as performance
    from tests.opportunities.factories import Cast
    from tests.performance.test_scoring import engineer_template, implementing

    hr = make_user("cal-hr", roles=["hr"])
    x = make_user("cal-x", roles=["delivery"])
    implementing(Cast(make_user, prefix="cal"), "C-CAL", x, 100, START)
    engineer_template(hr)
    cycle = performance.cycle_create(user=hr, data={"name": "Cal", "kind": "monthly", "start": START, "end": END})
    performance.cycle_transition(cycle=cycle, name="open", user=hr)
    client = web.as_user(hr)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("performance:cycle-step", args=[cycle.pk, "score"]))
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    other = "A" if mine.grade != "A" else "B"
    url = reverse("performance:calibrate", args=[mine.pk])
    r = client.post(url, {"final_grade": other, "calibration_reason": ""}, follow=True)
    assert (
        "Say why the grade changes" in r.content.decode()
        and Appraisal.objects.get(pk=mine.pk).final_grade == mine.grade
    )
    client.post(url, {"final_grade": other, "calibration_reason": "Covered two projects"})
    assert Appraisal.objects.get(pk=mine.pk).final_grade == other
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("performance:workspace"), {"cycle": cycle.pk})
    for n in range(3):
        implementing(
            Cast(make_user, prefix=f"cal{n}"), f"C-CAL{n}", make_user(f"cal-x{n}", roles=["delivery"]), 50, START
        )
    second = performance.cycle_create(user=hr, data={"name": "Cal2", "kind": "monthly", "start": START, "end": END})
    performance.cycle_transition(cycle=second, name="open", user=hr)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("performance:workspace"), {"cycle": cycle.pk})
    assert len(more) == len(few)


def test_my_performance_shows_only_my_published_results(web, published):  # noqa: F811
    x, y = published["x"], published["y"]
    page = web.as_user(x).get(reverse("performance:mine")).content.decode()
    mine = Appraisal.objects.get(cycle=published["cycle"], employee=x)
    theirs = Appraisal.objects.get(cycle=published["cycle"], employee=y)
    assert f'id="appraisal-{mine.pk}"' in page and f'id="appraisal-{theirs.pk}"' not in page
    assert f'id="appraisal-chart-{mine.pk}"' in page and 'data-transition="acknowledge"' in page
    web.as_user(x).post(reverse("performance:appraisal-step", args=[mine.pk, "acknowledge"]))
    assert Appraisal.objects.get(pk=mine.pk).state == "acknowledged"
    pm_page = web.as_user(published["cast"].pm).get(reverse("performance:mine")).content.decode()
    assert f'data-appraisal="{mine.pk}"' in pm_page and f'data-appraisal="{theirs.pk}"' in pm_page  # the PM's team
    r = web.as_user(y).post(reverse("performance:appraisal-step", args=[mine.pk, "acknowledge"]))
    assert r.status_code == 404  # not theirs to read, let alone acknowledge
