"""The training catalogue HR keeps (dimension → courses): the service and API (HR writes, 403 for the
rest, 400 in words), retired courses hidden from everyone but HR, and "My performance" suggesting
the courses of each gap's dimension."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance import services as performance
from performance.models import Appraisal, Kpi, TrainingCourse
from tests.performance.test_incentives import published  # noqa: F401  (the fixture)


def test_hr_keeps_the_catalogue_and_others_read_the_active_courses(api, make_user):
    hr, x = make_user("tr-hr", roles=["hr"]), make_user("tr-x", roles=["delivery"])
    body = {"dimension": "schedule", "title": "Planning", "title_zh": "计划管理", "link": "https://example.com/p"}
    assert api.as_user(x).post("/api/v1/training-courses/", body, format="json").status_code == 403
    r = api.as_user(hr).post("/api/v1/training-courses/", {**body, "link": "not a link"}, format="json")
    assert r.status_code == 400 and "link" in r.json()
    r = api.as_user(hr).post("/api/v1/training-courses/", {**body, "dimension": "luck"}, format="json")
    assert r.status_code == 400
    course = api.as_user(hr).post("/api/v1/training-courses/", body, format="json").json()
    assert course["active"] is True
    assert [c["id"] for c in api.as_user(x).get("/api/v1/training-courses/").json()["results"]] == [course["id"]]
    r = api.as_user(x).patch(f"/api/v1/training-courses/{course['id']}/", {"active": False}, format="json")
    assert r.status_code in (403, 404)
    r = api.as_user(hr).patch(f"/api/v1/training-courses/{course['id']}/", {"active": False}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False
    assert api.as_user(x).get("/api/v1/training-courses/").json()["results"] == []
    assert len(api.as_user(hr).get("/api/v1/training-courses/").json()["results"]) == 1
    assert api.as_user(hr).delete(f"/api/v1/training-courses/{course['id']}/").status_code == 405
    with pytest.raises(PermissionDenied, match="Only HR keeps the training catalogue."):
        performance.training_course_create(user=x, data=body)
    with pytest.raises(ValidationError):
        performance.training_course_create(user=hr, data={**body, "title": ""})


def test_the_course_list_costs_the_same_queries_whatever_the_rows(api, make_user):
    hr = make_user("trq-hr", roles=["hr"])
    performance.training_course_create(user=hr, data={"dimension": "risk", "title": "Risk 0"})
    with CaptureQueriesContext(connection) as few:
        api.as_user(hr).get("/api/v1/training-courses/")
    for i in range(1, 6):
        performance.training_course_create(user=hr, data={"dimension": "cost", "title": f"Cost {i}"})
    with CaptureQueriesContext(connection) as more:
        assert len(api.as_user(hr).get("/api/v1/training-courses/").json()["results"]) == 6
    assert len(more) == len(few)


def test_my_performance_suggests_the_courses_of_each_gap(web, published):  # noqa: F811
    hr, y = published["hr"], published["y"]
    mine = Appraisal.objects.get(cycle=published["cycle"], employee=y)
    assert mine.gaps  # the worst indicators not among the strengths
    gap = Kpi.objects.get(code=mine.gaps[0])
    other = next(d for d in ("quality", "schedule", "cost", "risk", "teamwork") if d != gap.dimension)
    course = performance.training_course_create(
        user=hr, data={"dimension": gap.dimension, "title": "Course for the gap", "title_zh": "差距课程"}
    )
    performance.training_course_create(user=hr, data={"dimension": other, "title": "Not this one"})
    performance.training_course_create(
        user=hr, data={"dimension": gap.dimension, "title": "Retired course", "active": False}
    )
    page = web.as_user(y).get(reverse("performance:mine")).content.decode()
    assert f'id="training-{mine.pk}"' in page and "Course for the gap" in page
    assert "Not this one" not in page and "Retired course" not in page
    assert TrainingCourse.objects.filter(pk=course.pk, active=True).exists()
