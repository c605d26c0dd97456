"""The "Scores to give" page: peer reviews to give (colleagues of a project's team in an open cycle,
never oneself, the reviewee never sees who) and a PM's manager scores and advice, with htmx forms and
refusals in the services' words; constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance import services as performance
from performance.models import Appraisal, Kpi, ManagerScore, PeerReview
from tests.opportunities.factories import Cast
from tests.performance.test_incentives import END, START
from tests.performance.test_scoring import engineer_template, implementing

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def opened(make_user):
    """An open cycle: X and Y engineers on one project (PM P); Z on another project."""
    from delivery import services as delivery

    hr = make_user("sg-hr", roles=["hr"])
    x, y = make_user("sg-x", roles=["delivery"]), make_user("sg-y", roles=["delivery"])
    z = make_user("sg-z", roles=["delivery"])
    cast = Cast(make_user, prefix="sg")
    project = implementing(cast, "C-SG", x, 100, START)
    delivery.team_member_add(project=project, user=cast.pm, data={"user": y, "role": "engineer", "start_date": START})
    implementing(Cast(make_user, prefix="sg2"), "C-SG2", z, 100, START)
    engineer_template(hr)
    cycle = performance.cycle_create(user=hr, data={"name": "SG", "kind": "monthly", "start": START, "end": END})
    cycle = performance.cycle_transition(cycle=cycle, name="open", user=hr)
    kpi = {k.code: k for k in Kpi.objects.all()}
    return {"hr": hr, "x": x, "y": y, "z": z, "pm": cast.pm, "cycle": cycle, "kpi": kpi}


def test_peer_reviews_to_give_are_my_teammates_never_myself_and_save_with_htmx(web, opened):
    x, y, z, cycle, kpi = opened["x"], opened["y"], opened["z"], opened["cycle"], opened["kpi"]
    client = web.as_user(x)
    page = client.get(reverse("performance:scores")).content.decode()
    assert f'data-peer="{y.pk}"' in page and f'data-peer="{x.pk}"' not in page and f'data-peer="{z.pk}"' not in page
    assert 'id="manager-scores"' not in page  # X manages nobody
    url = reverse("performance:peer-review-give", args=[cycle.pk, y.pk])
    r = client.post(url, {f"kpi-{kpi['cohesion'].pk}": "85", "comment": "Helpful"}, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and "Peer review saved." in body and 'value="85.00"' in body and "<html" not in body
    review = PeerReview.objects.get(cycle=cycle, reviewee=y, reviewer=x)
    assert [s.score for s in review.scores.all()] == [85]
    # refusals in the service's words: oneself, an outsider, no score, a bad number
    r = client.post(reverse("performance:peer-review-give", args=[cycle.pk, x.pk]), {}, **HX)
    assert "Nobody reviews themselves." in r.content.decode()
    r = client.post(
        reverse("performance:peer-review-give", args=[cycle.pk, z.pk]), {f"kpi-{kpi['cohesion'].pk}": "5"}, **HX
    )
    assert "Only a colleague on the same project team in the cycle reviews this person." in r.content.decode()
    r = client.post(url, {}, **HX)
    assert "Give at least one score." in r.content.decode()
    r = client.post(url, {f"kpi-{kpi['cohesion'].pk}": "many"}, **HX)
    assert "a score is a number from 0 to 100" in r.content.decode()
    r = client.post(url, {f"kpi-{kpi['cohesion'].pk}": "101"}, follow=True)  # without htmx: a message
    assert "a score is from 0 to 100" in r.content.decode()
    assert client.post(reverse("performance:peer-review-give", args=[cycle.pk, 999999]), {}).status_code == 404
    # Y, reviewed, never sees who reviewed them
    page = web.as_user(y).get(reverse("performance:scores")).content.decode()
    assert "Helpful" not in page


def test_a_pm_gives_manager_scores_and_advice_to_the_people_on_their_projects_only(web, opened):
    x, pm, cycle, kpi = opened["x"], opened["pm"], opened["cycle"], opened["kpi"]
    mine = Appraisal.objects.get(cycle=cycle, employee=x)
    theirs = Appraisal.objects.get(cycle=cycle, employee=opened["z"])
    client = web.as_user(pm)
    page = client.get(reverse("performance:scores")).content.decode()
    assert f'id="manager-{mine.pk}"' in page and f'id="manager-{theirs.pk}"' not in page
    url = reverse("performance:manager-score-give", args=[mine.pk])
    r = client.post(url, {f"kpi-{kpi['decision_quality'].pk}": "70", "advice": "Write the tests first"}, **HX)
    assert "Scores saved." in r.content.decode()
    assert ManagerScore.objects.get(appraisal=mine, created_by=pm).score == 70
    assert Appraisal.objects.get(pk=mine.pk).advice == "Write the tests first"
    r = client.post(url, {f"kpi-{kpi['cohesion'].pk}": "70"}, **HX)  # a peer indicator is not on the form
    assert "Give at least one score." in r.content.decode()
    # X is no PM: the PM's form refuses them (the appraisal of Y is not theirs to read: 404)
    other = Appraisal.objects.get(cycle=cycle, employee=opened["y"])
    assert web.as_user(x).post(reverse("performance:manager-score-give", args=[other.pk]), {}).status_code == 404
    # a PM of another project does not score X either
    assert web.as_user(opened["hr"]).get(reverse("performance:scores")).status_code == 200
    r = web.as_user(opened["hr"]).post(url, {f"kpi-{kpi['decision_quality'].pk}": "10"}, **HX)
    assert "Only the PM of a project the person was on in the cycle scores them." in r.content.decode()


def test_the_scores_page_reads_a_constant_number_of_queries(web, opened, make_user):
    from delivery import services as delivery
    from delivery.models import Project

    client = web.as_user(opened["pm"])
    client.get(reverse("performance:scores"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("performance:scores"))
    project = Project.objects.get(pm=opened["pm"])
    for i in range(4):
        delivery.team_member_add(
            project=project,
            user=opened["pm"],
            data={"user": make_user(f"sg-more{i}", roles=["delivery"]), "role": "engineer", "start_date": START},
        )
    with CaptureQueriesContext(connection) as more:
        page = client.get(reverse("performance:scores")).content.decode()
    assert page.count("data-peer=") == 6 and len(more) == len(few)
