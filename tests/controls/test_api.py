"""Gate reviews through the REST API: request, approve, reject, the gates of a subject, refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ltc_portal.controls.models import GateReview
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati

REVIEWS = "/api/v1/gate-reviews/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def opp(cast):
    return OpportunityFactory(owner=cast.owner)


def request_ati(api, cast, opp, **extra):
    return api.as_user(cast.owner).post(
        REVIEWS,
        {"gate": "ATI", "subject_type": "opportunity", "subject_id": opp.pk, "comment": "Go", **extra},
        format="json",
    )


def test_request_and_approve(api, cast, opp):
    r = request_ati(api, cast, opp, evidence=["https://wiki.example/deal/1"])
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["gate"], body["state"], body["requested_by"], body["required_roles"], body["decisions"]) == (
        "ATI",
        "pending",
        cast.owner.username,
        ["sales_director"],
        [],
    )
    r = api.as_user(cast.director).post(f"{REVIEWS}{body['id']}/approve/", {"comment": "OK"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert (
        r.json()["decisions"][0]["role"] == "sales_director"
        and r.json()["decisions"][0]["decided_by"] == cast.director.username
    )
    assert api.get(f"/api/v1/opportunities/{opp.pk}/").json()["state"] == "analysis"


def test_checklist_failure_is_409_naming_every_check(api, cast):
    opp = OpportunityFactory(owner=cast.owner, need_summary="", expected_close_date=None)
    r = request_ati(api, cast, opp)
    assert r.status_code == 409
    assert len(r.json()["reasons"]) == 2 and not GateReview.objects.exists()


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"gate": "ATI", "subject_type": "planet", "subject_id": 1}, "subject_type"),
        ({"gate": "ATI", "subject_type": "opportunity", "subject_id": 999999}, "subject_id"),
        ({"gate": "ATI", "subject_type": "opportunity"}, "subject_id"),
        ({"gate": "ATI", "subject_type": "opportunity", "subject_id": 1, "evidence": ["not a url"]}, "evidence"),
    ],
)
def test_bad_requests_are_400(api, cast, opp, payload, field):
    r = api.as_user(cast.owner).post(REVIEWS, payload, format="json")
    assert r.status_code == 400 and field in r.json()


def test_unknown_gate_is_400_and_wrong_subject_is_400(api, cast, opp):
    r = api.as_user(cast.owner).post(
        REVIEWS, {"gate": "XYZ", "subject_type": "opportunity", "subject_id": opp.pk}, format="json"
    )
    assert r.status_code == 400 and "gate" in r.json()


def test_non_owner_request_is_403(api, cast, opp):
    r = api.as_user(cast.director).post(
        REVIEWS, {"gate": "ATI", "subject_type": "opportunity", "subject_id": opp.pk}, format="json"
    )
    assert r.status_code == 403


def test_decision_refusals(api, cast, opp, make_user):
    review_id = request_ati(api, cast, opp).json()["id"]
    assert api.as_user(cast.owner).post(f"{REVIEWS}{review_id}/approve/").status_code == 403  # own request
    assert api.as_user(cast.finance).post(f"{REVIEWS}{review_id}/approve/").status_code == 403  # wrong role
    r = api.as_user(cast.director).post(f"{REVIEWS}{review_id}/reject/", {"comment": ""}, format="json")
    assert r.status_code == 400 and "comment" in r.json()
    r = api.as_user(cast.director).post(f"{REVIEWS}{review_id}/approve/", {"role": "wizard"}, format="json")
    assert r.status_code == 400 and "role" in r.json()
    assert api.as_user(cast.director).post(f"{REVIEWS}{review_id}/reject/", {"comment": "No"}).status_code == 200
    r = api.as_user(make_user("d2", roles=["sales_director"])).post(f"{REVIEWS}{review_id}/approve/")
    assert r.status_code == 409 and "reasons" in r.json()
    assert api.as_user(cast.director).post(f"{REVIEWS}999999/approve/").status_code == 404


def test_gates_endpoint(api, cast, opp):
    rows = {g["gate"]: g for g in api.as_user(cast.owner).get(f"/api/v1/opportunities/{opp.pk}/gates/").json()}
    assert set(rows) == {"ATI", "ATB", "ATC"}
    assert rows["ATI"]["status"] == "not_requested" and rows["ATI"]["review"] is None and rows["ATI"]["can_request"]
    assert all(c["passed"] for c in rows["ATI"]["checklist"])
    assert not rows["ATB"]["can_request"] and rows["ATB"]["request_blockers"]
    assert {c["check"] for c in rows["ATB"]["checklist"]} == {
        "delivery.dra_dtrb_approved",
        "opportunity.quote_submitted",
    }
    opp = pass_ati(opp, cast)
    project_gates = api.as_user(cast.pm).get(f"/api/v1/projects/{opp.project.pk}/gates/").json()
    assert [g["gate"] for g in project_gates] == ["DTRB", "DRA", "DTRC", "DRB", "DR1", "DR3", "DR4"]
    ati = {g["gate"]: g for g in api.get(f"/api/v1/opportunities/{opp.pk}/gates/").json()}["ATI"]
    assert ati["status"] == "approved" and ati["decisions"][0]["decided_by"] == cast.director.username


def test_waiting_for_me_and_visibility(api, cast, opp, make_user):
    request_ati(api, cast, opp)
    rows = api.as_user(cast.director).get(REVIEWS + "?waiting_for_me=true").json()["results"]
    assert [r["gate"] for r in rows] == ["ATI"]
    assert api.as_user(cast.finance).get(REVIEWS + "?waiting_for_me=true").json()["results"] == []
    stranger = make_user("stranger", roles=["sales"])
    assert api.as_user(stranger).get(REVIEWS).json()["count"] == 0


def test_review_list_query_count_is_constant(api, cast):
    def count():
        api.force_authenticate(type(cast.director).objects.get(pk=cast.director.pk))
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(REVIEWS).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        pass_ati(OpportunityFactory(owner=cast.owner), cast)
    few = count()
    for _ in range(6):
        pass_ati(OpportunityFactory(owner=cast.owner), cast)
    assert count() == few
