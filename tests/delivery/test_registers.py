"""The project's registers (risks, issues, quality checks with defects, meetings with actions):
services directly, then the API with its permissions, refusals, history and query counts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import services
from delivery.models import Defect, MeetingAction, Project, ProjectIssue, Risk
from ltc_portal.core.fsm import TransitionRefused, history
from ltc_portal.core.models import TransitionLog
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return pass_ati(OpportunityFactory(owner=cast.owner), cast).project


@pytest.fixture
def outsider(make_user):
    """A delivery user who is not on the project."""
    return make_user("other-pm", roles=["delivery"])


def risk_data(cast, **kw):
    return {
        "category": "Schedule",
        "description": "Switch delivery late",
        "probability": 3,
        "impact": 4,
        "owner": cast.pm,
        "response": "mitigate",
        "plan": "Order early",
        "trigger": "No ship date by May",
        **kw,
    }


def issue_data(cast, **kw):
    return {
        "title": "Rack space missing",
        "description": "Building 3",
        "source": "customer",
        "severity": "major",
        "owner": cast.pm,
        "due_date": NEXT_WEEK,
        **kw,
    }


def make_risk(project, cast, **kw):
    return services.risk_create(project=project, user=cast.pm, data=risk_data(cast, **kw))


def make_issue(project, cast, **kw):
    return services.issue_create(project=project, user=cast.pm, data=issue_data(cast, **kw))


# Services ---------------------------------------------------------------------------------------------


def test_risk_exposure_and_update(project, cast):
    risk = make_risk(project, cast)
    assert (risk.state, risk.exposure) == ("open", 12)
    risk = services.risk_update(risk=risk, user=cast.pmo, data={"impact": 5})
    assert risk.exposure == 15
    with pytest.raises(ValidationError) as err:
        services.risk_update(risk=risk, user=cast.pm, data={"probability": 6})
    assert "probability" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        services.risk_update(risk=risk, user=cast.finance, data={"impact": 1})
    with pytest.raises(PermissionDenied):
        services.risk_create(project=project, user=cast.finance, data=risk_data(cast))
    risk = services.risk_transition(risk=risk, name="close", user=cast.pm)
    with pytest.raises(TransitionRefused):
        services.risk_update(risk=risk, user=cast.pm, data={"impact": 1})


def test_risk_occurs_and_raises_an_internal_issue_in_the_same_transaction(project, cast):
    risk = make_risk(project, cast)
    risk = services.risk_transition(risk=risk, name="mitigate", user=cast.pm)
    raise_issue = {"title": "Late switches", "severity": "critical", "owner": cast.pm, "due_date": NEXT_WEEK}
    risk = services.risk_transition(
        risk=risk, name="occur", user=cast.pm, reason="Vendor slipped", raise_issue=raise_issue
    )
    assert risk.state == "occurred"
    issue = ProjectIssue.objects.get(risk=risk)
    assert (issue.source, issue.severity, issue.state, issue.project_id) == ("internal", "critical", "open", project.pk)
    assert [e.transition for e in history(risk)] == ["open", "mitigate", "occur"]
    # a bad issue rolls the occurrence back
    other = make_risk(project, cast)
    with pytest.raises(ValidationError):
        services.risk_transition(
            risk=other, name="occur", user=cast.pm, raise_issue={**raise_issue, "owner": cast.finance, "due_date": None}
        )
    assert Risk.objects.get(pk=other.pk).state == "open"
    with pytest.raises(ValidationError):
        services.risk_transition(risk=other, name="close", user=cast.pm, raise_issue=raise_issue)
    with pytest.raises(PermissionDenied):
        services.risk_transition(risk=other, name="close", user=cast.finance)


def test_issue_lifecycle_resolution_and_reopen_reason(project, cast):
    issue = make_issue(project, cast)
    issue = services.issue_transition(issue=issue, name="start", user=cast.pm)
    with pytest.raises(ValidationError) as err:
        services.issue_transition(issue=issue, name="resolve", user=cast.pm)
    assert "resolution" in err.value.message_dict
    assert ProjectIssue.objects.get(pk=issue.pk).state == "in_progress"
    issue = services.issue_transition(issue=issue, name="resolve", user=cast.pm, resolution="Extra rack ordered")
    assert (issue.state, issue.resolution) == ("resolved", "Extra rack ordered")
    issue = services.issue_transition(issue=issue, name="close", user=cast.pmo)
    with pytest.raises(TransitionRefused):
        services.issue_update(issue=issue, user=cast.pm, data={"title": "x"})
    with pytest.raises(ValidationError) as err:
        services.issue_transition(issue=issue, name="reopen", user=cast.pm)
    assert "reason" in err.value.message_dict
    issue = services.issue_transition(issue=issue, name="reopen", user=cast.pm, reason="Rack too small")
    assert issue.state == "open"
    # the resolution already recorded is enough the second time
    assert services.issue_transition(issue=issue, name="resolve", user=cast.pm).state == "resolved"


def test_issue_owner_must_be_active_and_risk_of_the_same_project(project, cast, make_user):
    gone = make_user("gone", roles=["delivery"], is_active=False)
    with pytest.raises(ValidationError) as err:
        make_issue(project, cast, owner=gone)
    assert "owner" in err.value.message_dict
    foreign = Project.objects.create(opportunity=OpportunityFactory(), name="Other", pm=cast.pm)
    foreign_risk = make_risk(foreign, cast)
    with pytest.raises(ValidationError) as err:
        make_issue(project, cast, risk=foreign_risk)
    assert "risk" in err.value.message_dict


def test_quality_check_with_defects_and_defect_close(project, cast):
    qc = services.quality_check_create(
        project=project,
        user=cast.pm,
        data={
            "subject": "Core switch install",
            "date": TODAY,
            "result": "failed",
            "inspector": cast.pmo,
            "defects": [
                {"description": "Cabling unlabeled", "severity": "minor", "rework": True},
                {"description": "Wrong firmware", "severity": "major"},
            ],
        },
    )
    defects = list(qc.defects.order_by("id"))
    assert [(d.description, d.rework, d.closed_at) for d in defects] == [
        ("Cabling unlabeled", True, None),
        ("Wrong firmware", False, None),
    ]
    with pytest.raises(PermissionDenied):
        services.defect_close(defect=defects[0], user=cast.finance)
    closed = services.defect_close(defect=defects[0], user=cast.pm)
    assert closed.closed_at is not None
    log = TransitionLog.objects.for_subject(closed)
    assert [(e.transition, e.source, e.target, e.by) for e in log] == [("close", "open", "closed", cast.pm)]
    with pytest.raises(TransitionRefused):
        services.defect_close(defect=closed, user=cast.pm)


def test_meeting_with_actions_and_action_done(project, cast):
    meeting = services.meeting_create(
        project=project,
        user=cast.pm,
        data={
            "date": TODAY,
            "kind": "weekly",
            "attendees": "PM, customer IT",
            "decisions": "Cut over on Sunday",
            "actions": [{"description": "Book the outage window", "owner": cast.pm, "due_date": NEXT_WEEK}],
        },
    )
    action = meeting.actions.get()
    with pytest.raises(PermissionDenied):
        services.meeting_action_done(action=action, user=cast.finance)
    assert services.meeting_action_done(action=action, user=cast.pmo).done is True
    with pytest.raises(TransitionRefused):
        services.meeting_action_done(action=MeetingAction.objects.get(pk=action.pk), user=cast.pm)


def test_a_meetings_action_owners_are_checked_in_one_query_and_refused_together(project, cast, make_user):
    def meeting(owners):
        data = {
            "date": TODAY,
            "kind": "weekly",
            "attendees": "PM",
            "decisions": "Go",
            "actions": [
                {"description": f"Action {i}", "owner": o, "due_date": NEXT_WEEK} for i, o in enumerate(owners)
            ],
        }
        with CaptureQueriesContext(connection) as queries:
            services.meeting_create(project=project, user=cast.pm, data=data)
        return len(queries)

    engineers = [make_user(f"mtg-eng-{i}", roles=["delivery"]) for i in range(6)]
    assert meeting(engineers[:1]) == meeting(engineers)
    hr = make_user("mtg-hr", roles=["hr"])
    with pytest.raises(ValidationError) as refused:
        meeting([*engineers, hr])
    assert "Action owners must be active people" in refused.value.message_dict["actions"][0]
    assert not MeetingAction.objects.filter(owner=hr).exists()
    with pytest.raises(ValidationError) as refused:  # an action without an owner: refused, never a database error
        services.meeting_create(
            project=project,
            user=cast.pm,
            data={
                "date": TODAY,
                "kind": "weekly",
                "attendees": "PM",
                "decisions": "Go",
                "actions": [{"description": "Nobody's", "due_date": NEXT_WEEK}],
            },
        )
    assert "actions" in refused.value.message_dict


def test_nothing_is_added_to_a_cancelled_projects_registers(project, cast):

    from ltc_portal.core.fsm import run_effect

    run_effect(project, "cancel", user=cast.pmo, reason="Lost")
    with pytest.raises(TransitionRefused):
        make_risk(Project.objects.get(pk=project.pk), cast)


# API --------------------------------------------------------------------------------------------------


def api_risk(cast, project, **kw):
    return {
        "project": project.pk,
        "category": "Schedule",
        "description": "Switch delivery late",
        "probability": 2,
        "impact": 5,
        "owner": cast.pm.pk,
        "response": "mitigate",
        "plan": "Order early",
        "trigger": "",
        **kw,
    }


def test_risk_api_create_exposure_validation_and_history(api, project, cast):
    client = api.as_user(cast.pm)
    r = client.post("/api/v1/risks/", api_risk(cast, project), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["exposure"], body["state"], body["owner"]) == (10, "open", cast.pm.pk)
    rid = body["id"]
    r = client.post("/api/v1/risks/", api_risk(cast, project, probability=6), format="json")
    assert r.status_code == 400 and "probability" in r.json()
    r = client.post("/api/v1/risks/", api_risk(cast, project, impact=0, owner=999999), format="json")
    assert r.status_code == 400 and {"impact", "owner"} <= set(r.json())
    r = client.patch(f"/api/v1/risks/{rid}/", {"probability": 4, "state": "closed"}, format="json")
    assert r.status_code == 200 and (r.json()["exposure"], r.json()["state"]) == (20, "open")
    names = {t["name"]: t["allowed"] for t in client.get(f"/api/v1/risks/{rid}/transitions/").json()}
    assert names == {"mitigate": True, "occur": True, "close": True}
    r = client.post(
        f"/api/v1/risks/{rid}/transitions/occur/",
        {
            "reason": "Vendor slipped",
            "raise_issue": {
                "title": "Late switches",
                "severity": "critical",
                "owner": cast.pm.pk,
                "due_date": NEXT_WEEK.isoformat(),
            },
        },
        format="json",
    )
    assert r.status_code == 200 and r.json()["state"] == "occurred"
    issue = ProjectIssue.objects.get(risk_id=rid)
    assert (issue.source, issue.title) == ("internal", "Late switches")
    assert client.post(f"/api/v1/risks/{rid}/transitions/mitigate/", {}, format="json").status_code == 409
    assert client.post(f"/api/v1/risks/{rid}/transitions/fly/", {}, format="json").status_code == 404
    steps = [(h["transition"], h["target"], h["by"]) for h in client.get(f"/api/v1/risks/{rid}/history/").json()]
    assert steps == [("open", "open", cast.pm.username), ("occur", "occurred", cast.pm.username)]


def test_pmo_writes_finance_reads_but_may_not_write(api, project, cast):
    r = api.as_user(cast.pmo).post("/api/v1/risks/", api_risk(cast, project), format="json")
    assert r.status_code == 201
    rid = r.json()["id"]
    client = api.as_user(cast.finance)
    assert client.get(f"/api/v1/risks/{rid}/").status_code == 200
    assert [x["id"] for x in client.get("/api/v1/risks/").json()["results"]] == [rid]
    assert client.post("/api/v1/risks/", api_risk(cast, project), format="json").status_code == 403
    assert client.patch(f"/api/v1/risks/{rid}/", {"impact": 1}, format="json").status_code == 403
    assert client.post(f"/api/v1/risks/{rid}/transitions/close/", {}, format="json").status_code == 403
    infos = client.get(f"/api/v1/risks/{rid}/transitions/").json()
    assert infos and not any(t["allowed"] for t in infos)
    assert "not allowed" in infos[0]["reasons"][0]
    assert Risk.objects.get(pk=rid).state == "open" and Risk.objects.count() == 1


def test_outsider_sees_nothing_and_cannot_create(api, project, cast, outsider):
    risk = make_risk(project, cast)
    issue = make_issue(project, cast)
    client = api.as_user(outsider)
    assert client.get(f"/api/v1/risks/{risk.pk}/").status_code == 404
    assert client.get(f"/api/v1/project-issues/{issue.pk}/").status_code == 404
    assert client.post(f"/api/v1/risks/{risk.pk}/transitions/close/", {}, format="json").status_code == 404
    for url in ("/api/v1/risks/", "/api/v1/project-issues/", "/api/v1/quality-checks/", "/api/v1/meetings/"):
        assert client.get(url).json()["results"] == []
    r = client.post("/api/v1/risks/", api_risk(cast, project, owner=outsider.pk), format="json")
    assert r.status_code == 400 and "project" in r.json()
    assert Risk.objects.get(pk=risk.pk).state == "open"


def test_issue_api_resolve_needs_resolution_reopen_needs_reason(api, project, cast):
    client = api.as_user(cast.pm)
    r = client.post(
        "/api/v1/project-issues/",
        {
            "project": project.pk,
            "title": "Rack space missing",
            "source": "customer",
            "severity": "major",
            "owner": cast.pm.pk,
            "due_date": NEXT_WEEK.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    iid = r.json()["id"]
    assert (r.json()["state"], r.json()["overdue"], r.json()["resolution"]) == ("open", False, "")
    r = client.post(f"/api/v1/project-issues/{iid}/transitions/resolve/", {}, format="json")
    assert r.status_code == 400 and "resolution" in r.json()
    assert ProjectIssue.objects.get(pk=iid).state == "open"
    r = client.post(f"/api/v1/project-issues/{iid}/transitions/resolve/", {"resolution": "Rack ordered"}, format="json")
    assert r.status_code == 200 and (r.json()["state"], r.json()["resolution"]) == ("resolved", "Rack ordered")
    r = client.post(f"/api/v1/project-issues/{iid}/transitions/reopen/", {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = client.post(f"/api/v1/project-issues/{iid}/transitions/reopen/", {"reason": "Rack too small"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "open"
    steps = [(h["transition"], h["reason"]) for h in client.get(f"/api/v1/project-issues/{iid}/history/").json()]
    assert steps == [("open", ""), ("resolve", ""), ("reopen", "Rack too small")]
    r = client.post(
        "/api/v1/project-issues/",
        {
            "project": project.pk,
            "title": "x",
            "source": "customer",
            "severity": "major",
            "owner": 999999,
            "due_date": NEXT_WEEK.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 400 and "owner" in r.json()


def test_issue_overdue_filter(api, project, cast):
    late = make_issue(project, cast, title="Late", due_date=YESTERDAY)
    make_issue(project, cast, title="On time", due_date=NEXT_WEEK)
    done_late = make_issue(project, cast, title="Done late", due_date=YESTERDAY, resolution="Fixed")
    services.issue_transition(issue=done_late, name="resolve", user=cast.pm)
    client = api.as_user(cast.finance)
    rows = client.get("/api/v1/project-issues/?overdue=true").json()["results"]
    assert [(x["id"], x["overdue"]) for x in rows] == [(late.pk, True)]
    titles = {x["title"] for x in client.get("/api/v1/project-issues/?overdue=false").json()["results"]}
    assert titles == {"On time", "Done late"}
    assert len(client.get(f"/api/v1/project-issues/?project={project.pk}&state=open").json()["results"]) == 2


def test_quality_check_api_with_defects_and_close(api, project, cast):
    client = api.as_user(cast.pm)
    r = client.post(
        "/api/v1/quality-checks/",
        {
            "project": project.pk,
            "subject": "Core switch install",
            "date": TODAY.isoformat(),
            "result": "failed",
            "inspector": cast.pmo.pk,
            "notes": "",
            "defects": [
                {"description": "Cabling unlabeled", "severity": "minor", "rework": True},
                {"description": "Wrong firmware", "severity": "major"},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    qc = r.json()
    assert [(d["description"], d["rework"], d["closed_at"]) for d in qc["defects"]] == [
        ("Cabling unlabeled", True, None),
        ("Wrong firmware", False, None),
    ]
    d1 = qc["defects"][0]["id"]
    assert client.patch(f"/api/v1/quality-checks/{qc['id']}/", {"notes": "x"}, format="json").status_code == 405
    assert api.as_user(cast.finance).post(f"/api/v1/quality-checks/{qc['id']}/defects/{d1}/close/").status_code == 403
    client = api.as_user(cast.pm)
    r = client.post(f"/api/v1/quality-checks/{qc['id']}/defects/{d1}/close/")
    assert r.status_code == 200 and r.json()["defects"][0]["closed_at"] is not None
    assert r.json()["defects"][1]["closed_at"] is None
    assert client.post(f"/api/v1/quality-checks/{qc['id']}/defects/{d1}/close/").status_code == 409
    assert client.post(f"/api/v1/quality-checks/{qc['id']}/defects/999999/close/").status_code == 404
    r = client.post(
        "/api/v1/quality-checks/",
        {"project": project.pk, "subject": "x", "date": TODAY.isoformat(), "result": "maybe", "inspector": cast.pm.pk},
        format="json",
    )
    assert r.status_code == 400 and "result" in r.json()
    assert Defect.objects.filter(closed_at__isnull=True).count() == 1


def test_meeting_api_with_actions_and_done(api, project, cast):
    client = api.as_user(cast.pm)
    r = client.post(
        "/api/v1/meetings/",
        {
            "project": project.pk,
            "date": TODAY.isoformat(),
            "kind": "weekly",
            "attendees": "PM, customer IT",
            "decisions": "Cut over on Sunday",
            "actions": [
                {"description": "Book the outage window", "owner": cast.pm.pk, "due_date": NEXT_WEEK.isoformat()},
                {"description": "Tell the help desk", "owner": cast.pmo.pk, "due_date": NEXT_WEEK.isoformat()},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    meeting = r.json()
    assert [(a["description"], a["done"]) for a in meeting["actions"]] == [
        ("Book the outage window", False),
        ("Tell the help desk", False),
    ]
    a1 = meeting["actions"][0]["id"]
    assert api.as_user(cast.finance).post(f"/api/v1/meetings/{meeting['id']}/actions/{a1}/done/").status_code == 403
    client = api.as_user(cast.pmo)
    r = client.post(f"/api/v1/meetings/{meeting['id']}/actions/{a1}/done/")
    assert r.status_code == 200 and [a["done"] for a in r.json()["actions"]] == [True, False]
    assert client.post(f"/api/v1/meetings/{meeting['id']}/actions/{a1}/done/").status_code == 409
    r = client.post(
        "/api/v1/meetings/",
        {
            "project": project.pk,
            "date": TODAY.isoformat(),
            "kind": "weekly",
            "attendees": "PM",
            "actions": [{"description": "x", "owner": 999999, "due_date": NEXT_WEEK.isoformat()}],
        },
        format="json",
    )
    assert r.status_code == 400 and "actions" in r.json()
    assert (
        api.as_user(cast.finance)
        .post(
            "/api/v1/meetings/",
            {"project": project.pk, "date": TODAY.isoformat(), "kind": "weekly", "attendees": "PM"},
            format="json",
        )
        .status_code
        == 403
    )


# Query counts ---------------------------------------------------------------------------------------


def count_queries(client, url, user):
    client.force_authenticate(type(user).objects.get(pk=user.pk))  # a fresh user: no cached roles
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def grow(n, cast, start):
    """n projects (written straight to the database), each with a risk, an issue, a quality check with
    two defects and a meeting with two actions."""
    for i in range(start, start + n):
        project = Project.objects.create(opportunity=OpportunityFactory(owner=cast.owner), name=f"Bulk {i}", pm=cast.pm)
        risk = make_risk(project, cast)
        make_issue(project, cast, risk=risk)
        services.quality_check_create(
            project=project,
            user=cast.pm,
            data={
                "subject": "Install",
                "date": TODAY,
                "result": "failed",
                "inspector": cast.pm,
                "defects": [{"description": "a", "severity": "minor"}, {"description": "b", "severity": "major"}],
            },
        )
        services.meeting_create(
            project=project,
            user=cast.pm,
            data={
                "date": TODAY,
                "kind": "weekly",
                "attendees": "PM",
                "actions": [
                    {"description": "a", "owner": cast.pm, "due_date": NEXT_WEEK},
                    {"description": "b", "owner": cast.pmo, "due_date": NEXT_WEEK},
                ],
            },
        )


@pytest.mark.parametrize(
    "url", ["/api/v1/risks/", "/api/v1/project-issues/", "/api/v1/quality-checks/", "/api/v1/meetings/"]
)
@pytest.mark.parametrize("who", ["pm", "pmo"])
def test_list_endpoint_query_count_is_constant(api, cast, url, who):
    user = getattr(cast, who)
    client = api.as_user(user)
    grow(2, cast, 0)
    few = count_queries(client, url, user)
    grow(6, cast, 2)
    assert count_queries(client, url, user) == few
    assert client.get(url).json()["count"] == 8
