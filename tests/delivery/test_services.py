from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from delivery import services
from finance import services as finance
from ltc_portal.controls import selectors as gate_reads
from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import TransitionRefused
from tests.opportunities.factories import Cast, OpportunityFactory, approve, pass_ati


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return pass_ati(OpportunityFactory(owner=cast.owner), cast).project


def test_ati_opens_the_project_in_analyze_with_history(project, cast):
    assert project.state == "analyze" and project.pm == cast.pm and project.currency == "CNY"


def test_only_pmo_assigns_the_pm_and_only_delivery_people(project, cast, make_user):
    with pytest.raises(PermissionDenied):
        services.project_update(project=project, user=cast.pm, data={"pm": make_user("pm2", roles=["delivery"])})
    with pytest.raises(ValidationError):
        services.project_update(project=project, user=cast.pmo, data={"pm": cast.finance})
    with pytest.raises(PermissionDenied):
        services.project_update(project=project, user=cast.owner, data={"technical_solution": "x"})
    assert (
        services.project_update(project=project, user=cast.pm, data={"technical_solution": "SDN"}).technical_solution
        == "SDN"
    )


def test_presales_reviews_requested_by_the_pm_with_their_checklists(project, cast):
    with pytest.raises(PermissionDenied):
        gates.gate_request(code="DTRB", subject=project, user=cast.owner)
    with pytest.raises(TransitionRefused) as refused:
        gates.gate_request(code="DRA", subject=project, user=cast.pm)
    text = " ".join(refused.value.reasons)
    assert "delivery approach" in text and "cost estimate" in text and "key risks" in text
    with pytest.raises(TransitionRefused, match="cannot be requested"):
        gates.gate_request(code="DTRC", subject=project, user=cast.pm)  # not in plan yet
    services.project_update(project=project, user=cast.pm, data={"technical_solution": "SDN"})
    review = gates.gate_request(code="DTRB", subject=project, user=cast.pm)
    with pytest.raises(PermissionDenied):
        gates.gate_decide(review=review, user=cast.pmo, decision="approve")
    approve(review, cast.solution)
    assert gate_reads.is_approved(project, "DTRB")


def test_budget_versions(project, cast):
    with pytest.raises(ValidationError):
        finance.budget_create(project=project, user=cast.pm, data={"currency": "USD", "lines": []})
    b1 = finance.budget_create(
        project=project,
        user=cast.pm,
        data={
            "lines": [
                {"category": "labour", "amount": Decimal("100.10")},
                {"category": "travel", "amount": Decimal("20")},
            ]
        },
    )
    assert (b1.version, b1.total, b1.state) == (1, Decimal("120.10"), "draft")
    with pytest.raises(TransitionRefused, match="already has a draft"):
        finance.budget_create(project=project, user=cast.pm, data={})
    b1 = finance.budget_transition(budget=b1, name="submit", user=cast.pm)
    with pytest.raises(TransitionRefused, match="never edited"):
        finance.budget_update(budget=b1, user=cast.pm, data={"lines": []})
    b2 = finance.budget_create(
        project=project, user=cast.pm, data={"lines": [{"category": "other", "amount": Decimal("5")}]}
    )
    assert b2.version == 2
    with pytest.raises(PermissionDenied):
        finance.budget_create(project=project, user=cast.finance, data={})


def test_after_dr1_the_budget_changes_only_through_dr2(cast, web, api):
    """Once DR1 has approved the budget, the PM is told that a new version comes from a DR2 change (the
    page offers no new version; the service refuses one, whichever door asks)."""
    from tests.finance.test_accounting import project_in_build

    project = project_in_build(cast)
    with pytest.raises(TransitionRefused, match="change request approved at DR2"):
        finance.budget_create(project=project, user=cast.pm, data={"lines": []})
    assert project.budgets.count() == 1
    page = web.as_user(cast.pm).get(f"/projects/{project.pk}/").content.decode()
    assert 'id="budget-next"' in page and 'id="new-budget"' not in page
    r = api.as_user(cast.pm).post(
        "/api/v1/budgets/", {"project": project.pk, "lines": [{"category": "labour", "amount": "10"}]}, format="json"
    )
    assert r.status_code == 409 and "change request approved at DR2" in str(r.json())
    assert project.budgets.count() == 1
    r = web.get(f"/finance/budgets/new/?project={project.pk}", follow=True)  # the URL typed: told why
    assert (
        "change request approved at DR2" in r.content.decode() and r.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    )


def _submitted_v1(cast):
    from tests.finance.test_accounting import project_in_plan_with_contract

    project = project_in_plan_with_contract(cast)
    v1 = project.budgets.get(version=1)
    finance.budget_update(budget=v1, user=cast.pm, data={"lines": [{"category": "labour", "amount": Decimal("800")}]})
    finance.budget_transition(budget=v1, name="submit", user=cast.pm)
    return project, v1


def test_dr1_approves_the_version_its_deciders_were_shown_and_sets_the_others_aside(cast):
    """v1 shown to DR1's deciders; v2 drafted (and v3 submitted) while they decide: DR1 approves v1, and
    the versions no gate would approve any more are rejected as set aside, with the reason."""
    from ltc_portal.core.fsm import history

    project, v1 = _submitted_v1(cast)
    review = gates.gate_request(code="DR1", subject=project, user=cast.pm)
    assert review.context["budget_id"] == v1.pk
    lines = {"lines": [{"category": "labour", "amount": Decimal("900")}]}
    v2 = finance.budget_transition(
        budget=finance.budget_create(project=project, user=cast.pm, data=lines), name="submit", user=cast.pm
    )
    v3 = finance.budget_create(project=project, user=cast.pm, data=lines)  # a draft, not submitted
    approve(review, cast.finance, cast.pmo)
    states = dict(project.budgets.values_list("version", "state"))
    assert states == {1: "approved", 2: "rejected", 3: "rejected"}  # v2 was the latest submitted, but unseen
    for aside in (v2, v3):
        assert history(aside)[-1].reason == "Set aside: DR1 approved version 1"
    from finance.selectors import budget_current

    assert budget_current(project).pk == v1.pk  # the accounting's budget is the one DR1 saw


def test_dr1_rejects_the_version_its_deciders_were_shown(cast):
    project, v1 = _submitted_v1(cast)
    review = gates.gate_request(code="DR1", subject=project, user=cast.pm)
    lines = {"lines": [{"category": "labour", "amount": Decimal("900")}]}
    finance.budget_transition(
        budget=finance.budget_create(project=project, user=cast.pm, data=lines), name="submit", user=cast.pm
    )
    gates.gate_decide(review=review, user=cast.finance, decision="reject", comment="Too thin on travel")
    assert dict(project.budgets.values_list("version", "state")) == {1: "rejected", 2: "submitted"}


def test_a_draft_left_from_before_dr1_is_neither_submitted_nor_changed(cast, web, api):
    """A draft that outlived DR1 (data from before DR1 set drafts aside): no gate would approve it, so
    its submission and any change to it are refused by the service, the API and the page alike, in the
    words of the rule."""
    from finance.models import Budget

    project, v1 = _submitted_v1(cast)
    approve(gates.gate_request(code="DR1", subject=project, user=cast.pm), cast.finance, cast.pmo)
    v1.refresh_from_db()
    assert v1.state == "approved"
    v2 = Budget.objects.create(project=project, version=2, currency=project.currency, total=0)  # as old data left it
    v2.lines.create(category="labour", amount=Decimal("900"))

    with pytest.raises(TransitionRefused) as refused:
        finance.budget_transition(budget=v2, name="submit", user=cast.pm)
    assert any("change request approved at DR2" in r for r in refused.value.reasons)
    r = api.as_user(cast.pm).post(f"/api/v1/budgets/{v2.pk}/transitions/submit/", {}, format="json")
    assert r.status_code == 409 and "change request approved at DR2" in str(r.json())
    # nor is it approved or set aside by hand: those are the gates' steps, never run through a door
    for step in ("approve_with_change", "reject"):
        r = api.as_user(cast.pm).post(f"/api/v1/budgets/{v2.pk}/transitions/{step}/", {}, format="json")
        assert r.status_code == 409 and "not a step you run yourself" in str(r.json()), step
        r = web.as_user(cast.pm).post(f"/finance/budgets/{v2.pk}/transitions/{step}/", follow=True)
        assert "not a step you run yourself" in r.content.decode(), step
    page = web.as_user(cast.pm).get(f"/finance/budgets/{v2.pk}/").content.decode()
    assert "change request approved at DR2" in page
    assert 'data-transition="submit" data-kind="blocked"' in page
    assert "approve_with_change" not in page  # the DR2 change's own step is never shown as one to wait for
    assert 'id="edit-budget"' not in page  # nor is the dead draft changed: the service refuses that too
    with pytest.raises(TransitionRefused, match="change request approved at DR2"):
        finance.budget_update(budget=v2, user=cast.pm, data={"note": "later"})
    r = web.get(f"/finance/budgets/{v2.pk}/edit/", follow=True)
    assert "change request approved at DR2" in r.content.decode()
    assert r.redirect_chain[-1][0] == f"/finance/budgets/{v2.pk}/"
    panel = web.get(f"/projects/{project.pk}/").content.decode()
    assert f'href="/finance/budgets/{v2.pk}/edit/"' not in panel and 'id="new-budget"' not in panel
    # a new version asked for while that draft exists is refused for the rule, not sent to the draft
    with pytest.raises(TransitionRefused, match="change request approved at DR2"):
        finance.budget_create(project=project, user=cast.pm, data={"lines": []})
    r = web.get(f"/finance/budgets/new/?project={project.pk}", follow=True)
    assert "change request approved at DR2" in r.content.decode() and "change or submit it" not in r.content.decode()
    v2.refresh_from_db()
    assert v2.state == "draft" and project.budgets.filter(state="approved").count() == 1
