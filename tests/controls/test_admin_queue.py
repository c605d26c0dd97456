"""The admin as finance uses it: its index shows what finance may use and the way to the gate queue,
the queue names roles in words with the decide button first, and DR2's decide page shows the change's
cost and contract value impact (in the reader's language)."""

from decimal import Decimal

import pytest
from django.utils import translation

from delivery import services as delivery
from ltc_portal.controls import registry
from ltc_portal.controls import services as gates
from tests.delivery.test_execution import pass_dr1, staff_and_plan
from tests.opportunities.factories import Cast, OpportunityFactory, project_in_plan_with_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user):
    cast = Cast(make_user, prefix="adm")
    for person in (cast.finance, cast.director, cast.pmo):
        person.is_staff = True
        person.save()
    return cast


def test_finance_sees_its_apps_and_the_gate_queue_on_the_admin_index(client, cast):
    client.force_login(cast.finance)
    page = client.get("/admin/").content.decode()
    assert "have permission to view or edit anything" not in page
    assert 'href="/admin/finance/invoice/"' in page and 'href="/admin/finance/accountingperiod/"' in page
    assert 'href="/admin/controls/gatereview/?queue=mine"' in page
    # HR-only admins are not offered to finance, nor the log of every record (appraisal decisions included)
    assert 'href="/admin/performance/' not in page and "/admin/core/transitionlog/" not in page
    assert client.get("/admin/core/transitionlog/").status_code == 403


def test_the_queue_names_roles_in_words_and_puts_decide_first(client, cast):
    opp = OpportunityFactory(owner=cast.owner)
    gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    client.force_login(cast.director)
    page = client.get("/admin/controls/gatereview/?queue=mine").content.decode()
    assert "Sales director" in page and '["sales_director"]' not in page
    assert page.index("column-decide_link") < page.index("column-subject_link")
    assert "/decide/" in page


def test_dr2_decide_page_shows_cost_and_contract_value_impact(client, cast, make_user):
    project = pass_dr1(project_in_plan_with_contract(cast), cast)
    eng = make_user("adm-eng", roles=["delivery"])
    staff_and_plan(project, cast, eng)
    change = delivery.change_request_create(
        project=project,
        user=eng,
        data={
            "title": "Second hall",
            "reason": "Customer asked",
            "scope_impact": "+1 hall",
            "schedule_impact_days": 12,
            "cost_impact": Decimal("250000"),
            "contract_value_impact": Decimal("400000"),
        },
    )
    review = gates.gate_request(code="DR2", subject=change, user=eng)
    assert review.required_roles == ["finance"]  # above the PM's limit
    client.force_login(cast.finance)
    page = client.get(f"/admin/controls/gatereview/{review.pk}/decide/").content.decode()
    budget = project.budgets.get(version=1)
    contract = project.contract
    assert f"Cost +250,000.00 {project.currency}: budget v1 {budget.total:,.2f} → {budget.total + 250000:,.2f}" in page
    assert f"{contract.number} {contract.value:,.2f} → {contract.value + 400000:,.2f}" in page
    assert "Schedule +12 days." in page and "Finance" in page

    zh = client.get(f"/admin/controls/gatereview/{review.pk}/decide/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        assert translation.gettext("Schedule %(days)s days.") % {"days": "+12"} in zh
    assert "Schedule +12 days." not in zh

    # the same sentence on the portal's change page
    page = client.get(f"/projects/changes/{change.pk}/").content.decode()
    assert "Cost +250,000.00" in page

    # deciding from the admin says the new state
    r = client.post(f"/admin/controls/gatereview/{review.pk}/decide/", {"role": "finance", "approve": "1"}, follow=True)
    assert "the review is Approved" in r.content.decode() and "(Pending)" not in r.content.decode()

    # the review's own page shows what the deciders read and the checklist kept at approval, not JSON
    page = client.get(f"/admin/controls/gatereview/{review.pk}/change/").content.decode()
    assert f"Cost +250,000.00 {project.currency}" in page and "Schedule +12 days." in page
    review.refresh_from_db()
    kept = review.context["checklist"]
    assert kept and all(f"<li>✔ {item['message']}</li>" in page for item in kept)
    assert '"sentences"' not in page and "&quot;summary&quot;" not in page and "&quot;checklist&quot;" not in page
    assert "Checklist at the request" in page and review.context["checklist_requested"]
    # in the reader's language, whoever approved
    zh = client.get(f"/admin/controls/gatereview/{review.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        sentences = [str(registry.passed_sentence(item["check"])) for item in kept if item["passed"]]
    assert sentences and all(f"<li>✔ {s}</li>" in zh for s in sentences)


def test_a_change_with_no_impact_says_so(cast, make_user):
    project = pass_dr1(project_in_plan_with_contract(cast), cast)
    eng = make_user("adm-eng2", roles=["delivery"])
    staff_and_plan(project, cast, eng)
    change = delivery.change_request_create(
        project=project, user=eng, data={"title": "Rename rooms", "reason": "Tidy", "scope_impact": "labels"}
    )
    review = gates.gate_request(code="DR2", subject=change, user=eng)
    assert review.context["summary"] == "No cost, contract value or schedule impact."
