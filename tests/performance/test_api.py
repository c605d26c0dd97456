"""The performance API: who writes the library and the cycles, the 400s and 403s in words, who reads
which appraisal, calibration with its reason, and constant query counts on the lists."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from performance.models import Appraisal, Kpi
from tests.opportunities.factories import Cast
from tests.performance.test_scoring import implementing, milestone

TODAY = timezone.localdate()
START, END = TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=1)


@pytest.fixture
def hr(make_user):
    return make_user("api-hr", roles=["hr"])


def template_body(**kw):
    kpi = {k.code: k.pk for k in Kpi.objects.all()}
    return {
        "name": "Engineer",
        "project_role": "engineer",
        "method": "weighted",
        "items": [
            {"kpi": kpi["milestone_completion_rate"], "weight": "60"},
            {"kpi": kpi["decision_quality"], "weight": "40"},
        ],
        **kw,
    }


def test_hr_keeps_the_library_and_templates(api, hr, make_user):
    pm = make_user("api-pm", roles=["delivery"])
    body = {
        "code": "client_focus",
        "name": "Client focus",
        "dimension": "teamwork",
        "source": "manager",
        "direction": "higher_better",
        "unit": "points",
        "floor": "0",
        "target": "100",
    }
    assert api.as_user(pm).post("/api/v1/kpis/", body, format="json").status_code == 403
    r = api.as_user(hr).post("/api/v1/kpis/", {**body, "source": "computed"}, format="json")
    assert r.status_code == 400 and "source" in r.json()
    r = api.as_user(hr).post("/api/v1/kpis/", {**body, "target": "-5"}, format="json")
    assert r.status_code == 400 and "above its floor" in r.json()["target"][0]
    assert api.as_user(hr).post("/api/v1/kpis/", body, format="json").status_code == 201
    seeded = Kpi.objects.get(code="delay_rate")
    r = api.as_user(hr).patch(f"/api/v1/kpis/{seeded.pk}/", {"code": "late"}, format="json")
    assert r.status_code == 400 and "fixed" in r.json()["code"][0]
    r = api.as_user(hr).patch(f"/api/v1/kpis/{seeded.pk}/", {"floor": "40"}, format="json")
    assert r.status_code == 200 and r.json()["floor"] == "40.00"
    bad = template_body()
    bad["items"][0]["weight"] = "50"
    r = api.as_user(hr).post("/api/v1/kpi-templates/", bad, format="json")
    assert r.status_code == 400 and "add up to 90.00, not 100" in r.json()["items"][0]
    assert api.as_user(pm).post("/api/v1/kpi-templates/", template_body(), format="json").status_code == 403
    r = api.as_user(hr).post("/api/v1/kpi-templates/", template_body(), format="json")
    assert r.status_code == 201 and [i["weight"] for i in r.json()["items"]] == ["60.00", "40.00"]


def test_a_cycle_through_the_api_and_who_reads_the_appraisals(api, hr, make_user, django_capture_on_commit_callbacks):
    x = make_user("api-x", roles=["delivery"])
    cast = Cast(make_user, prefix="ap")
    project = implementing(cast, "C-AP", x, 100, START)
    milestone(project, cast, "M1", START + datetime.timedelta(days=3), START + datetime.timedelta(days=2))
    assert api.as_user(hr).post("/api/v1/kpi-templates/", template_body(), format="json").status_code == 201
    body = {"name": "Past 40 days", "kind": "monthly", "start": START.isoformat(), "end": END.isoformat()}
    assert api.as_user(cast.pm).post("/api/v1/appraisal-cycles/", body, format="json").status_code == 403
    r = api.as_user(hr).post(
        "/api/v1/appraisal-cycles/", {**body, "grade_thresholds": {"S": 50, "A": 80}}, format="json"
    )
    assert r.status_code == 400 and "fall from S to C" in r.json()["grade_thresholds"][0]
    r = api.as_user(hr).post("/api/v1/appraisal-cycles/", {**body, "grade_caps": {"Z": 5}}, format="json")
    assert r.status_code == 400 and "grade_caps" in r.json()
    cycle = api.as_user(hr).post("/api/v1/appraisal-cycles/", body, format="json").json()
    url = f"/api/v1/appraisal-cycles/{cycle['id']}/"
    assert api.as_user(hr).post(f"{url}transitions/open/", {}, format="json").json()["state"] == "open"
    mine = Appraisal.objects.get(cycle_id=cycle["id"], employee=x)
    decision = Kpi.objects.get(code="decision_quality")
    score = {"appraisal": mine.pk, "kpi": decision.pk, "score": "80"}
    assert api.as_user(hr).post("/api/v1/manager-scores/", score, format="json").status_code == 403
    r = api.as_user(cast.pm).post("/api/v1/manager-scores/", {**score, "kpi": Kpi.objects.get(code="delay_rate").pk})
    assert r.status_code == 400 and "not scored by the manager" in str(r.json())
    assert api.as_user(cast.pm).post("/api/v1/manager-scores/", score, format="json").status_code == 201
    assert api.as_user(x).get(f"/api/v1/appraisals/{mine.pk}/").status_code == 404  # not published yet
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_user(hr).post(f"{url}transitions/score/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "scoring"
    assert api.as_user(hr).get(url).json()["state"] == "calibrating"
    scored = api.as_user(cast.pm).get(f"/api/v1/appraisals/{mine.pk}/").json()  # the PM reads their member's
    assert (scored["score"], scored["grade"]) == ("92.00", "S")  # 60 × 100 + 40 × 80
    r = api.as_user(hr).patch(f"/api/v1/appraisals/{mine.pk}/", {"final_grade": "A"}, format="json")
    assert r.status_code == 400 and "calibration_reason" in r.json()
    r = api.as_user(cast.pm).patch(f"/api/v1/appraisals/{mine.pk}/", {"final_grade": "A", "calibration_reason": "x"})
    assert r.status_code == 403
    r = api.as_user(hr).patch(
        f"/api/v1/appraisals/{mine.pk}/", {"final_grade": "A", "calibration_reason": "One quiet month"}, format="json"
    )
    assert (r.status_code, r.json()["final_grade"]) == (200, "A")
    r = api.as_user(cast.pm).patch(f"/api/v1/appraisals/{mine.pk}/", {"advice": "Lead the next cut-over"})
    assert r.status_code == 200 and r.json()["advice"] == "Lead the next cut-over"
    assert api.as_user(hr).post(f"{url}transitions/publish/", {}, format="json").json()["state"] == "published"
    seen = api.as_user(x).get(f"/api/v1/appraisals/{mine.pk}/").json()
    assert (seen["final_grade"], seen["advice"], seen["state"]) == ("A", "Lead the next cut-over", "published")
    r = api.as_user(cast.pm).post(f"/api/v1/appraisals/{mine.pk}/transitions/acknowledge/", {}, format="json")
    assert r.status_code == 403
    r = api.as_user(x).post(f"/api/v1/appraisals/{mine.pk}/transitions/acknowledge/", {}, format="json")
    assert r.json()["state"] == "acknowledged"
    for outsider in (make_user("api-other", roles=["delivery"]), cast.executive, cast.owner):
        assert api.as_user(outsider).get(f"/api/v1/appraisals/{mine.pk}/").status_code == 404
        assert api.as_user(outsider).get("/api/v1/appraisals/").json()["results"] == []


def test_the_lists_cost_the_same_queries_whatever_the_rows(api, hr, make_user):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.as_user(hr).get(url).status_code == 200
        return len(ctx)

    urls = ["/api/v1/kpis/", "/api/v1/kpi-templates/", "/api/v1/appraisal-cycles/", "/api/v1/appraisals/"]

    def cycle_with_people(n):
        x = make_user(f"ql-{n}", roles=["delivery"])
        implementing(Cast(make_user, prefix=f"ql{n}"), f"C-QL{n}", x, 100, START)
        body = {"name": f"C{n}", "kind": "monthly", "start": START.isoformat(), "end": END.isoformat()}
        cycle = api.as_user(hr).post("/api/v1/appraisal-cycles/", body, format="json").json()
        api.as_user(hr).post(f"/api/v1/appraisal-cycles/{cycle['id']}/transitions/open/", {}, format="json")

    api.as_user(hr).post("/api/v1/kpi-templates/", template_body(), format="json")
    cycle_with_people(0)
    few = [count(u) for u in urls]
    api.as_user(hr).post("/api/v1/kpi-templates/", template_body(project_role="pm", name="PM"), format="json")
    for n in (1, 2):
        cycle_with_people(n)
    assert Appraisal.objects.count() >= 8
    assert [count(u) for u in urls] == few
