"""The delivery project pages (pre-sales) and the budget pages through the Django client."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery.models import Project
from finance import services as finance_services
from finance.models import Budget
from tests.opportunities.factories import Cast, OpportunityFactory, pass_atb, pass_atc, pass_ati


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    """A pre-sales project in analyze, its PM assigned by the PMO."""
    return pass_ati(OpportunityFactory(owner=cast.owner), cast).project


def project_post(project, **changes):
    data = {
        "name": project.name,
        "currency": project.currency,
        "technical_solution": project.technical_solution,
        "delivery_approach": project.delivery_approach,
        "key_risks": project.key_risks,
        "final_scope": project.final_scope,
        "delivery_plan": project.delivery_plan,
    }
    if project.pm_id:
        data["pm"] = str(project.pm_id)
    data["pm_change_limit"] = str(project.pm_change_limit)
    data.update(changes)
    return data


def lines_post(rows, *, note="", initial=0):
    data = {
        "note": note,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def phase_classes(page) -> dict:
    return {
        code: css.strip() for css, code in re.findall(r'class="phase( current| done)?"[^>]*data-phase="(\w+)"', page)
    }


def test_project_page_shows_the_phase_strip_and_the_presales_gates(web, cast, project):
    page = web.as_user(cast.pm).get(f"/projects/{project.pk}/").content.decode()
    assert 'id="phase-strip"' in page
    assert phase_classes(page) == {
        "analyze": "current",
        "plan": "",
        "build": "",
        "implement": "",
        "handover": "",
        "closed": "",
    }
    assert 'id="gate-strip-project"' in page
    for code in ("DTRB", "DRA", "DTRC", "DRB"):
        assert f'data-gate="{code}"' in page
    # the PM may not request DTRB before the technical solution is recorded, and sees why
    assert re.search(r'data-gate="DTRB".*?Record the technical solution', page, re.S)
    assert f'href="/opportunities/{project.opportunity_id}/"' in page and 'id="history"' in page
    assert 'id="edit-project"' in page


def test_after_atb_the_plan_phase_is_current_and_the_bid_reviews_approved(web, cast, project):
    pass_atb(project.opportunity, cast)
    page = web.as_user(cast.pmo).get(project.get_absolute_url()).content.decode()
    assert phase_classes(page)["analyze"] == "done" and phase_classes(page)["plan"] == "current"
    assert 'data-gate="DTRB" data-status="approved"' in page and 'data-gate="DRA" data-status="approved"' in page
    assert 'data-gate="DRB" data-status="not_requested"' in page


def test_pm_edits_the_technical_solution_but_cannot_assign_a_pm(web, cast, project, make_user):
    other_pm = make_user("other-pm", roles=["delivery"])
    client = web.as_user(cast.pm)
    r = client.get(f"/projects/{project.pk}/edit/")
    assert "pm" not in r.context["form"].fields and "pm_change_limit" not in r.context["form"].fields
    assert 'name="pm"' not in r.content.decode() and 'name="technical_solution"' in r.content.decode()
    r = client.post(
        f"/projects/{project.pk}/edit/",
        project_post(project, technical_solution="Spine-leaf fabric", pm=str(other_pm.pk), pm_change_limit="999999"),
    )
    assert r.status_code == 302 and r["Location"] == f"/projects/{project.pk}/"
    project.refresh_from_db()
    assert project.technical_solution == "Spine-leaf fabric"
    assert project.pm == cast.pm and project.pm_change_limit == Decimal("0")
    assert "Spine-leaf fabric" in client.get(r["Location"]).content.decode()


def test_pmo_assigns_the_pm_from_the_delivery_group(web, cast, project, make_user):
    other_pm = make_user("other-pm", roles=["delivery"])
    make_user("gone-pm", roles=["delivery"], is_active=False)
    client = web.as_user(cast.pmo)
    form = client.get(f"/projects/{project.pk}/edit/").context["form"]
    assert {u.username for u in form.fields["pm"].queryset} == {cast.pm.username, "other-pm"}
    r = client.post(f"/projects/{project.pk}/edit/", project_post(project, pm=str(cast.owner.pk)))
    assert r.status_code == 200 and "pm" in r.context["form"].errors
    r = client.post(
        f"/projects/{project.pk}/edit/", project_post(project, pm=str(other_pm.pk), pm_change_limit="50000")
    )
    assert r.status_code == 302
    project.refresh_from_db()
    assert project.pm == other_pm and project.pm_change_limit == Decimal("50000")


def test_people_outside_the_project_get_404(web, cast, project, make_user):
    for outsider in (make_user("stranger-pm", roles=["delivery"]), make_user("stranger-ar", roles=["sales"])):
        client = web.as_user(outsider)
        assert client.get(f"/projects/{project.pk}/").status_code == 404
        assert client.get(f"/projects/{project.pk}/edit/").status_code == 404
        assert client.post(f"/projects/{project.pk}/edit/", project_post(project, name="Hijacked")).status_code == 404
        assert client.get(f"/finance/budgets/new/?project={project.pk}").status_code == 404
        assert project.name not in client.get("/projects/").content.decode()
    project.refresh_from_db()
    assert project.name != "Hijacked"


def test_readers_see_the_project_but_may_not_edit_it(web, cast, project):
    client = web.as_user(cast.owner)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="edit-project"' not in page and 'id="new-budget"' not in page
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 403


def test_budget_create_submit_then_edit_refused(web, cast, project):
    pass_atb(project.opportunity, cast)
    client = web.as_user(cast.pm)
    assert 'id="new-budget"' in client.get(f"/projects/{project.pk}/").content.decode()
    assert client.get(f"/finance/budgets/new/?project={project.pk}").status_code == 200
    r = client.post(
        f"/finance/budgets/new/?project={project.pk}",
        lines_post(
            [
                {"category": "equipment", "amount": "480000", "note": "Switches"},
                {"category": "labour", "amount": "120000", "note": ""},
                {"category": "", "amount": "", "note": ""},
            ],
            note="First cut",
        ),
    )
    budget = Budget.objects.get(project=project)
    assert r.status_code == 302 and r["Location"] == f"/finance/budgets/{budget.pk}/"
    assert (budget.version, budget.state, budget.total, budget.currency) == (1, "draft", Decimal("600000.00"), "CNY")
    page = client.get(r["Location"]).content.decode()
    assert "600,000.00 CNY" in page and 'data-transition="submit"' in page and 'id="edit-budget"' in page

    # a second draft is not made: the page sends the PM to the draft there is
    r = client.get(f"/finance/budgets/new/?project={project.pk}")
    assert r.status_code == 302 and r["Location"] == f"/finance/budgets/{budget.pk}/edit/"

    r = client.post(f"/finance/budgets/{budget.pk}/transitions/submit/")
    assert r.status_code == 302
    budget.refresh_from_db()
    assert budget.state == "submitted"

    r = client.get(f"/finance/budgets/{budget.pk}/edit/", follow=True)
    assert "is never edited" in r.content.decode()
    r = client.post(
        f"/finance/budgets/{budget.pk}/edit/",
        lines_post([{"category": "travel", "amount": "1", "note": ""}]),
        follow=True,
    )
    assert "is never edited" in r.content.decode()
    budget.refresh_from_db()
    assert budget.total == Decimal("600000.00") and budget.lines.count() == 2
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert (
        'data-budget-state="submitted"' in page
        and 'id="edit-budget"' not in client.get(f"/finance/budgets/{budget.pk}/").content.decode()
    )


def test_budget_edit_changes_the_draft_lines(web, cast):
    opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
    budget = opp.project.budgets.get()
    client = web.as_user(cast.pm)
    r = client.get(f"/finance/budgets/{budget.pk}/edit/")
    assert r.status_code == 200 and len(r.context["formset"].initial) == 2
    r = client.post(
        f"/finance/budgets/{budget.pk}/edit/",
        lines_post(
            [
                {"category": "equipment", "amount": "480000", "note": ""},
                {"category": "labour", "amount": "120000", "note": "", "DELETE": "on"},
                {"category": "travel", "amount": "5000", "note": "Site visits"},
            ],
            initial=2,
        ),
    )
    assert r.status_code == 302
    budget.refresh_from_db()
    assert budget.total == Decimal("485000.00")
    assert sorted(budget.lines.values_list("category", flat=True)) == ["equipment", "travel"]


def test_submitting_an_empty_budget_is_refused_with_the_reason(web, cast, project):
    budget = finance_services.budget_create(project=project, user=cast.pm, data={"lines": []})
    r = web.as_user(cast.pm).post(f"/finance/budgets/{budget.pk}/transitions/submit/", follow=True)
    assert "Add at least one budget line." in r.content.decode()
    budget.refresh_from_db()
    assert budget.state == "draft"


def test_budget_pages_are_404_for_outsiders(web, cast, project, make_user):
    budget = finance_services.budget_create(
        project=project, user=cast.pm, data={"lines": [{"category": "labour", "amount": Decimal("10")}]}
    )
    client = web.as_user(make_user("stranger-pm", roles=["delivery"]))
    assert client.get(f"/finance/budgets/{budget.pk}/").status_code == 404
    assert client.get(f"/finance/budgets/{budget.pk}/edit/").status_code == 404
    assert client.post(f"/finance/budgets/{budget.pk}/transitions/submit/").status_code == 404
    budget.refresh_from_db()
    assert budget.state == "draft"


def _bare_project(n, *, pm=None):
    """A project written straight to the database (for list sizes, not for behaviour)."""
    return Project.objects.create(opportunity=OpportunityFactory(), name=f"Bulk project {n}", pm=pm)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_project_list_puts_the_pms_own_first_in_constant_queries(web, make_user):
    me = make_user("pm-and-pmo", roles=["delivery", "pmo"])
    mine = _bare_project(0, pm=me)
    for n in range(1, 3):
        _bare_project(n)
    client = web.as_user(me)
    few = _queries(client, "/projects/")
    for n in range(3, 11):
        _bare_project(n, pm=make_user(f"pm{n}", roles=["delivery"]) if n % 2 else None)
    assert _queries(client, "/projects/") == few
    page = client.get("/projects/").content.decode()
    names = re.findall(r'href="/projects/\d+/">([^<]+)</a>', page)
    assert names[0] == mine.name and len(names) == 11


def test_project_list_shows_a_pm_only_their_projects(web, cast, project, make_user):
    _bare_project(1)
    page = web.as_user(cast.pm).get("/projects/").content.decode()
    assert project.name in page and "Bulk project 1" not in page
