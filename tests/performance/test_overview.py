"""Executives see performance in aggregate only: a published cycle's final grades by role and by
project role, a group under three people showing only its size; nobody else but HR reads the page;
constant queries."""

import datetime
import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import Appraisal
from tests.performance.test_promotions import cycle

D = datetime.date


def graded(c, person, grade, project_role="engineer", score="85"):
    Appraisal.objects.create(
        cycle=c, employee=person, project_role=project_role, grade=grade, final_grade=grade, score=Decimal(score)
    )


def row(page, key):
    return re.search(rf'<tr data-group="{key}">(.*?)</tr>', page, re.S).group(1)


def test_executives_read_grades_by_group_and_small_groups_only_by_size(web, api, make_user):
    boss, hr = make_user("ov-exec", roles=["executive"]), make_user("ov-hr", roles=["hr"])
    engineers = [make_user(f"ov-e{i}", roles=["delivery"]) for i in range(3)]
    seller = make_user("ov-s", roles=["sales"])
    published = cycle("Feb", "monthly", D(2026, 2, 1), D(2026, 2, 28), "published")
    hidden = cycle("Mar", "monthly", D(2026, 3, 1), D(2026, 3, 31), "calibrating")
    for person, grade, score in zip(engineers, "SAB", ("95", "85", "75"), strict=True):
        graded(published, person, grade, score=score)
    graded(published, seller, "D", project_role="pm", score="40")
    graded(hidden, seller, "S", project_role="pm")
    client = web.as_user(boss)
    page = client.get(reverse("performance:overview")).content.decode()
    assert f'data-cycle="{published.pk}"' in page
    delivery = row(page, "delivery")
    assert re.findall(r'<td class="text-end">([^<]*)</td>', delivery) == ["3", "1", "1", "1", "0", "0", "85.0"]
    sales = row(page, "sales")
    assert 'data-hidden="1"' in sales and re.findall(r'<td class="text-end">([^<]*)</td>', sales) == ["1"]
    assert "40" not in sales and 'data-hidden="1"' in row(page, "pm")
    assert "ov-e0" not in page and "ov-s" not in page  # never a person
    # an unpublished cycle is not offered: the page falls back to the latest published one
    page = client.get(reverse("performance:overview"), {"cycle": hidden.pk}).content.decode()
    assert f'data-cycle="{published.pk}"' in page and f'value="{hidden.pk}"' not in page
    assert web.as_user(hr).get(reverse("performance:overview")).status_code == 200
    # never a person's appraisal: not in the API, not on My performance, not in the HR workspace
    assert api.as_user(boss).get("/api/v1/appraisals/").json()["results"] == []
    assert 'data-appraisal="' not in web.as_user(boss).get(reverse("performance:mine")).content.decode()
    assert web.as_user(boss).get(reverse("performance:workspace")).status_code == 403
    for outsider in (engineers[0], seller, make_user("ov-fin", roles=["finance"])):
        assert web.as_user(outsider).get(reverse("performance:overview")).status_code == 403
    client = web.as_user(boss)  # the same test client, signed in as the executive again
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("performance:overview"))
    for i in range(6):
        graded(published, make_user(f"ov-more{i}", roles=["solution"]), "C", project_role="solution")
    with CaptureQueriesContext(connection) as more:
        page = client.get(reverse("performance:overview")).content.decode()
    assert 'data-group="solution"' in page and len(more) == len(few)
