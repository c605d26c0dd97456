"""The PM cockpit on the project page and the pages of the delivery records, through the Django client."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import services
from delivery import services as registers
from delivery.models import Delegation, Milestone, TeamMember
from tests.delivery.test_execution import pass_dr1, staff_and_plan
from tests.opportunities.factories import Cast, project_in_plan_with_contract

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_plan_with_contract(cast)


@pytest.fixture
def eng(make_user):
    return make_user("eng", roles=["delivery"])


def add_records(project, cast, n, *, start=0):
    """n risks, issues (every other one overdue), milestones, team members and meetings."""
    from tests.factories import UserFactory

    for i in range(start, start + n):
        person = UserFactory(username=f"member{i}", roles=["delivery"])
        services.team_member_add(
            project=project,
            user=cast.pm,
            data={"user": person, "role": "engineer", "allocation_percent": 20, "start_date": TODAY},
        )
        registers.risk_create(
            project=project,
            user=cast.pm,
            data={
                "category": "supply",
                "description": f"Risk {i}",
                "probability": 1 + i % 5,
                "impact": 1 + (i * 2) % 5,
                "owner": person,
                "response": "mitigate",
            },
        )
        registers.issue_create(
            project=project,
            user=cast.pm,
            data={
                "title": f"Issue {i}",
                "source": "internal",
                "severity": "major",
                "owner": person,
                "due_date": TODAY - DAY if i % 2 else TODAY + 10 * DAY,
            },
        )
        services.milestone_create(
            project=project,
            user=cast.pm,
            data={"name": f"Milestone {i}", "planned_start": TODAY, "planned_end": TODAY + (i + 1) * DAY},
        )
        registers.meeting_create(
            project=project,
            user=cast.pm,
            data={
                "date": TODAY - i * DAY,
                "kind": "weekly",
                "attendees": "PM, team",
                "decisions": f"Decision {i}",
                "actions": [{"description": f"Action {i}", "owner": person, "due_date": TODAY + DAY}],
            },
        )
        registers.quality_check_create(
            project=project,
            user=cast.pm,
            data={
                "subject": f"Rack {i}",
                "date": TODAY,
                "result": "failed",
                "inspector": person,
                "defects": [{"description": f"Defect {i}", "severity": "minor", "rework": True}],
            },
        )


def test_the_cockpit_shows_team_milestones_risks_overdue_issues_and_budget_after_dr1(web, cast, project, eng):
    project = pass_dr1(project, cast)
    staff_and_plan(project, cast, eng)
    add_records(project, cast, 6)
    page = web.as_user(cast.pm).get(project.get_absolute_url()).content.decode()
    # the existing page is still there
    assert 'id="phase-strip"' in page and 'id="gate-strip-project"' in page and 'id="history"' in page
    assert 'data-member="eng"' in page and "Engineer" in page and "50%" in page
    assert "data-milestone=" in page and "Core network live" in page
    exposures = [int(x) for x in re.findall(r'data-exposure="(\d+)"', page)]
    assert len(exposures) == 5 and exposures == sorted(exposures, reverse=True)
    assert re.search(r'class="list-group-item list-group-item-danger overdue" data-issue', page)
    assert 'id="overdue-count"' in page and "3 overdue" in page
    # budget v1 (600,000) approved by DR1 against the quote's estimate (600,000)
    assert re.search(r'id="budget-total">600,000\.00', page)
    assert re.search(r'id="estimate-total">600,000\.00', page)
    assert re.search(r'id="budget-variance">0\.00 \(0\.00%\)', page)
    assert 'id="member-form"' in page and 'id="delegation-form"' in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_project_page_runs_a_constant_number_of_queries(web, cast, project, eng):
    project = pass_dr1(project, cast)
    staff_and_plan(project, cast, eng)
    add_records(project, cast, 2)
    services.change_request_create(
        project=project,
        user=cast.pm,
        data={
            "title": "More racks",
            "reason": "Customer asks",
            "scope_impact": "2 racks",
            "cost_impact": Decimal("1000"),
        },
    )
    client = web.as_user(cast.pm)
    few = _queries(client, project.get_absolute_url())
    add_records(project, cast, 6, start=2)
    for i in range(4):
        services.change_request_create(
            project=project,
            user=cast.pm,
            data={"title": f"Change {i}", "reason": "r", "scope_impact": "s", "cost_impact": Decimal("10")},
        )
    services.delegation_grant(
        project=project,
        user=cast.pm,
        data={
            "grantee": eng,
            "scope": "accept_milestone",
            "limit_amount": Decimal("0"),
            "valid_from": TODAY,
            "valid_to": TODAY + DAY,
        },
    )
    assert _queries(client, project.get_absolute_url()) == few


def test_pm_adds_a_team_member_and_grants_a_delegation_from_the_page(web, cast, project, eng):
    client = web.as_user(cast.pm)
    url = f"/projects/{project.pk}/member/new/"
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "member-user": eng.pk,
            "member-role": "engineer",
            "member-allocation_percent": "60",
            "member-start_date": TODAY.isoformat(),
        },
    )
    assert r.status_code == 302 and r["Location"] == project.get_absolute_url()
    assert TeamMember.objects.get(project=project, user=eng).allocation_percent == 60
    # a bad allocation comes back as a form error, not a 500
    r = client.post(
        url,
        {
            "member-user": eng.pk,
            "member-role": "fr",
            "member-allocation_percent": "0",
            "member-start_date": TODAY.isoformat(),
        },
    )
    assert r.status_code == 200 and "allocation_percent" in r.context["form"].errors

    r = client.post(
        f"/projects/{project.pk}/delegation/new/",
        {
            "delegation-grantee": eng.pk,
            "delegation-scope": "accept_milestone",
            "delegation-limit_amount": "0",
            "delegation-valid_from": TODAY.isoformat(),
            "delegation-valid_to": (TODAY + 30 * DAY).isoformat(),
        },
        follow=True,
    )
    delegation = Delegation.objects.get(project=project, grantee=eng)
    assert "Authority granted." in r.content.decode() and 'class="active-delegation"' in r.content.decode()
    r = client.post(f"/projects/delegations/{delegation.pk}/revoke/", follow=True)
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None and "Authority revoked." in r.content.decode()


def test_a_delivery_user_off_the_project_gets_404(web, project, make_user):
    client = web.as_user(make_user("stranger-pm", roles=["delivery"]))
    assert client.get(project.get_absolute_url()).status_code == 404
    assert client.get(f"/projects/{project.pk}/risk/new/").status_code == 404
    assert client.post(f"/projects/{project.pk}/transitions/start_implementation/").status_code == 404


def test_finance_reads_the_cockpit_but_may_not_add_records(web, cast, project):
    client = web.as_user(cast.finance)
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'id="cockpit"' in page and 'id="member-form"' not in page and 'id="new-risk"' not in page
    r = client.post(
        f"/projects/{project.pk}/risk/new/",
        {
            "category": "x",
            "description": "y",
            "probability": "2",
            "impact": "2",
            "owner": cast.finance.pk,
            "response": "accept",
        },
    )
    assert r.status_code == 403 and not project.risks.exists()


def test_pm_accepts_a_milestone_through_the_page(web, cast, project, eng):
    project = pass_dr1(project, cast)
    milestone = staff_and_plan(project, cast, eng)
    client = web.as_user(cast.pm)
    assert 'class="accept-form' in client.get(project.get_absolute_url()).content.decode()
    r = client.post(
        f"/projects/milestones/{milestone.pk}/transitions/accept/",
        {"signed_by": "Mr Wang (CIO)", "date": TODAY.isoformat(), "document_ref": "ACC-001", "remarks": "ok"},
        follow=True,
    )
    milestone.refresh_from_db()
    assert milestone.state == "accepted" and milestone.acceptance.document_ref == "ACC-001"
    assert "ACC-001" in r.content.decode()


def test_a_delegate_outside_the_window_is_refused_with_the_reason(web, cast, project, eng):
    milestone = staff_and_plan(project, cast, eng)
    services.delegation_grant(
        project=project,
        user=cast.pm,
        data={
            "grantee": eng,
            "scope": "accept_milestone",
            "limit_amount": Decimal("0"),
            "valid_from": TODAY - 10 * DAY,
            "valid_to": TODAY - DAY,
        },
    )
    r = web.as_user(eng).post(
        f"/projects/milestones/{milestone.pk}/transitions/accept/",
        {"signed_by": "Mr Wang", "date": TODAY.isoformat(), "document_ref": "ACC-9"},
        follow=True,
    )
    assert r.status_code == 200 and "outside its validity window" in r.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).state == "planned"


def test_start_implementation_refused_with_reasons_then_runs(web, cast, project, eng):
    project = pass_dr1(project, cast)
    client = web.as_user(cast.pm)
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'data-transition="start_implementation"' in page and "Staff the team" in page
    r = client.post(f"/projects/{project.pk}/transitions/start_implementation/", follow=True)
    content = r.content.decode()
    assert "Staff the team" in content and "Plan the baseline" in content
    project.refresh_from_db()
    assert project.state == "build"
    staff_and_plan(project, cast, eng)
    r = client.post(f"/projects/{project.pk}/transitions/start_implementation/", follow=True)
    project.refresh_from_db()
    assert project.state == "implement" and "Implement" in r.content.decode()


def test_risk_and_issue_pages_create_edit_and_move(web, cast, project, eng):
    client = web.as_user(cast.pm)
    r = client.post(
        f"/projects/{project.pk}/risk/new/",
        {
            "category": "supply",
            "description": "Late switches",
            "probability": "4",
            "impact": "5",
            "owner": eng.pk,
            "response": "mitigate",
            "plan": "Second vendor",
            "trigger": "",
        },
    )
    risk = project.risks.get()
    assert r.status_code == 302 and risk.exposure == 20
    assert client.get(f"/projects/risks/{risk.pk}/edit/").status_code == 200
    client.post(f"/projects/risks/{risk.pk}/transitions/mitigate/")
    risk.refresh_from_db()
    assert risk.state == "mitigating"
    r = client.post(
        f"/projects/{project.pk}/issue/new/",
        {
            "title": "Port faults",
            "source": "customer",
            "severity": "critical",
            "owner": eng.pk,
            "due_date": TODAY.isoformat(),
            "risk": risk.pk,
        },
    )
    issue = project.issues.get()
    assert r.status_code == 302 and issue.risk == risk
    # the issue's page offers "resolve" with the resolution it takes, and comes back to the page
    edit = client.get(f"/projects/issues/{issue.pk}/edit/").content.decode()
    resolve = edit[edit.index('data-transition="resolve"') :].split("</li>")[0]
    assert 'name="resolution"' in resolve and 'name="next" value="edit"' in resolve
    r = client.post(f"/projects/issues/{issue.pk}/transitions/resolve/", {"resolution": ""}, follow=True)
    assert "Record how the issue was resolved first." in r.content.decode()
    client.post(f"/projects/issues/{issue.pk}/transitions/resolve/", {"resolution": "Replaced optics"})
    issue.refresh_from_db()
    assert issue.state == "resolved" and issue.resolution == "Replaced optics"
    r = client.post(f"/projects/issues/{issue.pk}/transitions/reopen/", {"reason": ""}, follow=True)
    assert "A reason is required." in r.content.decode()


def test_quality_check_with_defects_and_meeting_with_actions(web, cast, project, eng):
    client = web.as_user(cast.pm)
    rows = {
        "defects-TOTAL_FORMS": "2",
        "defects-INITIAL_FORMS": "0",
        "defects-MIN_NUM_FORMS": "0",
        "defects-MAX_NUM_FORMS": "50",
        "defects-0-description": "Loose cable",
        "defects-0-severity": "minor",
        "defects-0-rework": "on",
        "defects-1-description": "",
        "defects-1-severity": "",
    }
    assert client.get(f"/projects/{project.pk}/quality/new/").status_code == 200
    r = client.post(
        f"/projects/{project.pk}/quality/new/",
        {"subject": "Rack 1", "date": TODAY.isoformat(), "result": "failed", "inspector": eng.pk, **rows},
    )
    assert r.status_code == 302
    defect = project.quality_checks.get().defects.get()
    client.post(f"/projects/defects/{defect.pk}/close/")
    defect.refresh_from_db()
    assert defect.closed_at is not None
    r = client.post(
        f"/projects/{project.pk}/meeting/new/",
        {
            "date": TODAY.isoformat(),
            "kind": "weekly",
            "attendees": "PM, eng",
            "decisions": "Go for cut-over",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "0",
            "actions-MAX_NUM_FORMS": "50",
            "actions-0-description": "Book window",
            "actions-0-owner": eng.pk,
            "actions-0-due_date": TODAY.isoformat(),
        },
    )
    assert r.status_code == 302
    action = project.meetings.get().actions.get()
    page = client.post(f"/projects/actions/{action.pk}/done/", follow=True).content.decode()
    action.refresh_from_db()
    assert action.done and "Go for cut-over" in page


def test_change_request_page_shows_the_dr2_gate(web, cast, project, eng):
    project = pass_dr1(project, cast)
    client = web.as_user(cast.pm)
    r = client.post(
        f"/projects/{project.pk}/change/new/",
        {
            "title": "Two more racks",
            "reason": "Customer asks",
            "scope_impact": "2 racks",
            "schedule_impact_days": "5",
            "cost_impact": "20000",
            "contract_value_impact": "0",
        },
    )
    change = project.change_requests.get()
    assert r.status_code == 302 and r["Location"] == f"/projects/changes/{change.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert 'id="gate-strip-change_request"' in page and 'data-gate="DR2"' in page
    assert 'data-transition="withdraw"' in page
    cockpit = client.get(project.get_absolute_url()).content.decode()
    assert f'href="/projects/changes/{change.pk}/"' in cockpit and "DR2: Not requested" in cockpit
    client.post(f"/projects/changes/{change.pk}/transitions/withdraw/", {"reason": "Not needed"})
    change.refresh_from_db()
    assert change.state == "withdrawn"


@pytest.mark.parametrize("viewer", ["pmo", "eng"])
def test_the_project_page_costs_the_same_for_the_pmo_and_a_team_member_whatever_the_delegations(
    web, cast, project, eng, viewer
):
    """Readers who are not the PM ask delivery.authority about their own authority: it reads the
    delegations the cockpit already loaded, so more delegations cost no more queries."""
    project = pass_dr1(project, cast)
    staff_and_plan(project, cast, eng)
    add_records(project, cast, 2)
    client = web.as_user(cast.pmo if viewer == "pmo" else eng)
    few = _queries(client, project.get_absolute_url())
    for scope in ("accept_milestone", "approve_change", "approve_cost"):
        services.delegation_grant(
            project=project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": scope,
                "limit_amount": Decimal("100"),
                "valid_from": TODAY,
                "valid_to": TODAY + DAY,
            },
        )
    assert _queries(client, project.get_absolute_url()) == few


def test_readers_see_risks_and_issues_without_edit_links_they_could_not_use(web, cast, project):
    add_records(project, cast, 1)
    risk, issue = project.risks.get(), project.issues.get()
    page = web.as_user(cast.owner).get(project.get_absolute_url()).content.decode()  # sales reads, never writes
    assert f'data-risk="{risk.pk}"' in page and f'data-issue="{issue.pk}"' in page
    assert f"/projects/risks/{risk.pk}/edit/" not in page and f"/projects/issues/{issue.pk}/edit/" not in page
    # the pages behind those links are refused on a styled page that says why and leads home
    r = web.get(f"/projects/risks/{risk.pk}/edit/")
    assert r.status_code == 403 and 'id="error-page"' in r.content.decode() and 'href="/"' in r.content.decode()
    pm_page = web.as_user(cast.pm).get(project.get_absolute_url()).content.decode()
    assert f"/projects/risks/{risk.pk}/edit/" in pm_page and f"/projects/issues/{issue.pk}/edit/" in pm_page


def test_the_pm_sees_the_lead_an_opportunity_came_from_without_a_link(web, cast, project):
    from tests.leads.factories import LeadFactory

    opp = project.opportunity
    opp.lead = LeadFactory(owner=cast.owner)
    opp.save()
    page = web.as_user(cast.pm).get(opp.get_absolute_url()).content.decode()
    assert "From lead" in page and f"/leads/{opp.lead_id}/" not in page
    assert web.get(f"/leads/{opp.lead_id}/").status_code == 404
    owner_page = web.as_user(cast.owner).get(opp.get_absolute_url()).content.decode()
    assert f'href="/leads/{opp.lead_id}/"' in owner_page


def test_unknown_pages_get_the_styled_404_and_api_paths_json(web, cast, client):
    r = web.as_user(cast.pm).get("/no/such/page/")
    assert r.status_code == 404 and 'id="error-page"' in r.content.decode() and 'id="navbar"' in r.content.decode()
    r = web.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "This page does not exist" not in r.content.decode()
    r = web.get("/api/v1/no-such-resource/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")


def test_people_pickers_offer_who_fits_by_name(web, cast, project, eng, make_user):
    hr = make_user("hr-person", roles=["hr"], first_name="Hanna", last_name="Reyes")
    make_user("outsider-eng", roles=["delivery"], first_name="Otto", last_name="Side")
    eng.first_name, eng.last_name = "Eva", "Ng"
    eng.save()
    services.team_member_add(project=project, user=cast.pm, data={"user": eng, "role": "engineer", "start_date": TODAY})
    client = web.as_user(cast.pm)
    page = client.get(project.get_absolute_url()).content.decode()
    member_form = page.split('id="member-form"')[1].split("</form>")[0]
    assert "Eva Ng" in member_form and "Otto Side" in member_form  # the delivery side may join
    assert "Hanna Reyes" not in member_form and f'value="{hr.pk}"' not in member_form
    risk_form = client.get(f"/projects/{project.pk}/risk/new/").content.decode()
    owner_select = risk_form.split('name="owner"')[1].split("</select>")[0]
    assert "Eva Ng" in owner_select and "Otto Side" in owner_select and "eng<" not in owner_select
    assert f'value="{hr.pk}"' not in owner_select
    # the service refuses the same people the picker leaves out, in the API too
    r = client.post(
        f"/projects/{project.pk}/risk/new/",
        {"category": "x", "description": "y", "probability": "2", "impact": "2", "owner": hr.pk, "response": "accept"},
    )
    assert r.status_code == 200 and not project.risks.exists()
