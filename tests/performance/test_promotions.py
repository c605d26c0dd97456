"""HR's promotion list: S or A in each of the latest PROMOTION_STREAK published (or closed) cycles of a
kind; nobody else reads it; constant queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import Appraisal, AppraisalCycle

D = datetime.date


def cycle(name, kind, start, end, state):
    c = AppraisalCycle.objects.create(name=name, kind=kind, start=start, end=end)
    AppraisalCycle.objects.filter(pk=c.pk).update(state=state)
    return c


def graded(c, person, grade):
    Appraisal.objects.create(cycle=c, employee=person, project_role="engineer", grade=grade, final_grade=grade)


def test_the_promotion_list_takes_the_latest_cycles_of_each_kind(web, make_user, settings):
    hr = make_user("pr-hr", roles=["hr"])
    p1, p2, p3, p4 = (make_user(f"pr-{i}", roles=["delivery"]) for i in range(1, 5))
    old = cycle("Jan", "monthly", D(2026, 1, 1), D(2026, 1, 31), "closed")
    new = cycle("Feb", "monthly", D(2026, 2, 1), D(2026, 2, 28), "published")
    cycle("Mar", "monthly", D(2026, 3, 1), D(2026, 3, 31), "calibrating")  # not published: not counted
    quarter = cycle("Q1", "quarterly", D(2026, 1, 1), D(2026, 3, 31), "published")
    graded(old, p1, "A")
    graded(new, p1, "S")
    graded(old, p2, "S")
    graded(new, p2, "B")  # the streak broke
    graded(new, p3, "S")  # only one cycle
    graded(quarter, p4, "S")  # only one quarterly cycle
    client = web.as_user(hr)
    page = client.get(reverse("performance:promotions")).content.decode()
    on_list = {p.pk for p in (p1, p2, p3, p4) if f'data-promotion="{p.pk}"' in page}
    assert on_list == {p1.pk}
    settings.PROMOTION_STREAK = 1
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("performance:promotions")).content.decode()
    on_list = {p.pk for p in (p1, p2, p3, p4) if f'data-promotion="{p.pk}"' in page}
    assert on_list == {p1.pk, p3.pk, p4.pk}
    few = len(ctx)
    for i in range(5):
        graded(new, make_user(f"pr-more{i}", roles=["delivery"]), "A")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("performance:promotions")).content.decode()
    assert page.count("data-promotion=") == 8 and len(ctx) == few
    for outsider in (p1, make_user("pr-exec", roles=["executive"]), make_user("pr-pm", roles=["delivery"])):
        assert web.as_user(outsider).get(reverse("performance:promotions")).status_code == 403
