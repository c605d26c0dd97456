"""Delivery execution through the REST API: team, delegations, milestones with acceptance, change
requests with DR2, project steps; refusals and constant query counts on the list endpoints."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import services
from tests.delivery.test_execution import pass_dr1, staff_and_plan
from tests.opportunities.factories import Cast, project_in_plan_with_contract

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return pass_dr1(project_in_plan_with_contract(cast), cast)


def test_team_and_delegations(api, cast, project, make_user):
    eng = make_user("eng", roles=["delivery"])
    client = api.as_user(cast.pm)
    r = client.post(
        "/api/v1/team-members/",
        {
            "project": project.pk,
            "user": eng.pk,
            "role": "engineer",
            "allocation_percent": 150,
            "start_date": str(TODAY),
        },
        format="json",
    )
    assert r.status_code == 400 and "allocation_percent" in r.json()
    r = client.post(
        "/api/v1/team-members/",
        {"project": project.pk, "user": eng.pk, "role": "engineer", "allocation_percent": 60, "start_date": str(TODAY)},
        format="json",
    )
    assert r.status_code == 201
    assert (
        api.as_user(cast.owner)
        .post(
            "/api/v1/team-members/",
            {"project": project.pk, "user": cast.owner.pk, "role": "ar", "start_date": str(TODAY)},
            format="json",
        )
        .status_code
        == 403
    )
    client = api.as_user(cast.pm)
    r = client.post(
        "/api/v1/delegations/",
        {
            "project": project.pk,
            "grantee": eng.pk,
            "scope": "accept_milestone",
            "limit_amount": "0",
            "valid_from": str(TODAY),
            "valid_to": str(TODAY - datetime.timedelta(days=1)),
        },
        format="json",
    )
    assert r.status_code == 400
    r = client.post(
        "/api/v1/delegations/",
        {
            "project": project.pk,
            "grantee": eng.pk,
            "scope": "accept_milestone",
            "limit_amount": "0",
            "valid_from": str(TODAY),
            "valid_to": str(TODAY),
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["active"] is True
    d = r.json()["id"]
    assert client.patch(f"/api/v1/delegations/{d}/", {"limit_amount": "9"}, format="json").status_code == 405
    r = client.post(f"/api/v1/delegations/{d}/narrow/", {"limit_amount": "5"}, format="json")
    assert r.status_code == 400 and "limit_amount" in r.json()  # narrowing cannot raise the limit
    r = client.post(f"/api/v1/delegations/{d}/narrow/", {"valid_to": str(TODAY)}, format="json")
    assert r.status_code == 201 and r.json()["replaces"] == d
    d = r.json()["id"]
    r = client.post(f"/api/v1/delegations/{d}/revoke/")
    assert r.status_code == 200 and r.json()["revoked_at"] and r.json()["active"] is False
    assert client.post(f"/api/v1/delegations/{d}/revoke/").status_code == 409


def test_milestone_accept_and_start_implementation(api, cast, project, make_user):
    client = api.as_user(cast.pm)
    r = client.post(f"/api/v1/projects/{project.pk}/transitions/start_implementation/")
    assert r.status_code == 409 and len(r.json()["reasons"]) == 2
    milestone = staff_and_plan(project, cast, make_user("eng", roles=["delivery"]))
    r = client.post(f"/api/v1/milestones/{milestone.pk}/transitions/accept/", {"date": str(TODAY)}, format="json")
    assert r.status_code == 400 and {"signed_by", "document_ref"} <= set(r.json())
    r = client.post(
        f"/api/v1/milestones/{milestone.pk}/transitions/accept/",
        {"date": str(TODAY), "signed_by": "CIO", "document_ref": "ACC-7"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    r = client.post(f"/api/v1/projects/{project.pk}/transitions/start_implementation/")
    assert r.status_code == 200 and r.json()["state"] == "implement"
    r = api.as_user(cast.pm).post(f"/api/v1/projects/{project.pk}/transitions/dr3/")
    assert r.status_code == 409


def test_change_request_through_dr2(api, cast, project, make_user):
    eng = make_user("eng", roles=["delivery"])
    staff_and_plan(project, cast, eng)
    api.as_user(cast.pmo).patch(f"/api/v1/projects/{project.pk}/", {"pm_change_limit": "50000"}, format="json")
    client = api.as_user(eng)
    r = client.post(
        "/api/v1/change-requests/",
        {
            "project": project.pk,
            "title": "More APs",
            "reason": "Customer",
            "scope_impact": "+20 APs",
            "cost_impact": "20000",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    change = r.json()["id"]
    r = client.post(f"/api/v1/change-requests/{change}/transitions/approve/")
    assert r.status_code == 409
    r = client.post(
        "/api/v1/gate-reviews/", {"gate": "DR2", "subject_type": "change_request", "subject_id": change}, format="json"
    )
    assert r.status_code == 201 and r.json()["required_roles"] == ["change_authority"]
    gates = api.get(f"/api/v1/change-requests/{change}/gates/").json()
    assert gates[0]["gate"] == "DR2" and gates[0]["status"] == "pending"
    assert api.as_user(cast.finance).post(f"/api/v1/gate-reviews/{r.json()['id']}/approve/").status_code == 403
    assert api.as_user(cast.pm).post(f"/api/v1/gate-reviews/{r.json()['id']}/approve/").status_code == 200
    assert api.get(f"/api/v1/change-requests/{change}/").json()["state"] == "approved"
    budgets = api.get(f"/api/v1/budgets/?project={project.pk}").json()["results"]
    assert {(b["version"], b["state"]) for b in budgets} == {(1, "approved"), (2, "approved")}  # DR2 approved v2


def test_outsiders_see_nothing(api, cast, project, make_user):
    outsider = make_user("pm-x", roles=["delivery"])
    for url in ("/api/v1/team-members/", "/api/v1/milestones/", "/api/v1/delegations/", "/api/v1/change-requests/"):
        assert api.as_user(outsider).get(url).json()["count"] == 0
    r = api.as_user(outsider).post("/api/v1/milestones/", {"project": project.pk, "name": "x"}, format="json")
    assert r.status_code == 400 and "project" in r.json()


@pytest.mark.parametrize(
    "url", ["/api/v1/team-members/", "/api/v1/delegations/", "/api/v1/milestones/", "/api/v1/change-requests/"]
)
def test_list_endpoint_query_count_is_constant(api, make_user, url):
    cast = Cast(make_user, prefix="dq")

    def grow(n, start):
        project = staffed[0]
        for i in range(n):
            eng = make_user(f"dq-eng-{start + i}", roles=["delivery"])
            services.team_member_add(
                project=project, user=cast.pm, data={"user": eng, "role": "engineer", "start_date": TODAY}
            )
            services.milestone_create(
                project=project,
                user=cast.pm,
                data={"name": f"M{start + i}", "planned_start": TODAY, "planned_end": TODAY},
            )
            services.delegation_grant(
                project=project,
                user=cast.pm,
                data={
                    "grantee": eng,
                    "scope": "approve_cost",
                    "limit_amount": "10",
                    "valid_from": TODAY,
                    "valid_to": TODAY,
                },
            )
            services.change_request_create(
                project=project,
                user=cast.pm,
                data={"title": f"C{start + i}", "reason": "r", "scope_impact": "s", "cost_impact": "1"},
            )

    staffed = [pass_dr1(project_in_plan_with_contract(cast), cast)]

    def count():
        api.force_authenticate(type(cast.pmo).objects.get(pk=cast.pmo.pk))
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(2, 0)
    few = count()
    grow(6, 10)
    assert count() == few


def test_transitions_list_tells_who_may_accept_a_milestone(api, cast, project, make_user):
    milestone = staff_and_plan(project, cast, make_user("eng", roles=["delivery"]))
    steps = {
        t["name"]: t for t in api.as_user(cast.finance).get(f"/api/v1/milestones/{milestone.pk}/transitions/").json()
    }
    assert steps["accept"]["allowed"] is False and steps["waive"]["allowed"] is False
    r = api.as_user(cast.finance).post(
        f"/api/v1/milestones/{milestone.pk}/transitions/accept/",
        {"date": str(TODAY), "signed_by": "x", "document_ref": "y"},
        format="json",
    )
    assert r.status_code == 403
    steps = {t["name"]: t for t in api.as_user(cast.pm).get(f"/api/v1/milestones/{milestone.pk}/transitions/").json()}
    assert steps["accept"]["allowed"] is True and steps["waive"]["allowed"] is False


def test_only_people_with_a_team_role_join_a_team(api, web, cast, project, make_user, settings):
    words = "Only people with one of these roles join a project team:"
    for role in ("hr", "executive"):
        outsider = make_user(f"team-{role}", roles=[role])
        r = api.as_user(cast.pm).post(
            "/api/v1/team-members/",
            {"project": project.pk, "user": outsider.pk, "role": "other", "start_date": str(TODAY)},
            format="json",
        )
        assert r.status_code == 400 and r.json()["user"][0].startswith(words), r.json()
    nobody = make_user("team-none")
    with pytest.raises(ValidationError) as refused:
        services.team_member_add(
            project=project, user=cast.pm, data={"user": nobody, "role": "other", "start_date": TODAY}
        )
    assert refused.value.message_dict["user"][0].startswith(words)
    # the page says the same on the form
    page = web.as_user(cast.pm).post(
        f"/projects/{project.pk}/member/new/",
        {
            "member-user": nobody.pk,
            "member-role": "other",
            "member-allocation_percent": 100,
            "member-start_date": str(TODAY),
        },
    )
    assert page.status_code == 200 and words in page.content.decode()
    assert not project.team.filter(user__in=[nobody]).exists()
    # the setting says who may join
    settings.TEAM_MEMBER_ROLES = ["hr"]
    hr = make_user("team-hr-ok", roles=["hr"])
    member = services.team_member_add(
        project=project, user=cast.pm, data={"user": hr, "role": "other", "start_date": TODAY}
    )
    assert member.pk
    # the AR and SR of the iron triangle join by default
    settings.TEAM_MEMBER_ROLES = ["delivery", "pmo", "solution", "sales", "sales_director", "finance"]
    for person, role in ((cast.owner, "ar"), (cast.solution, "sr")):
        services.team_member_add(
            project=project, user=cast.pm, data={"user": person, "role": role, "start_date": TODAY}
        )
