"""Final accounts (决算) at handover: every figure on a worked example written here, to the cent; who
may draw them up, prepare and revise them; and DR4, which needs them prepared and every payment
milestone invoiced."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from delivery import services as delivery
from finance import services as finance
from finance.gates import FINAL_ACCOUNTS_NEEDED
from finance.models import FinalAccount
from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import TransitionRefused
from tests.finance.factories import invoice_every_payment
from tests.finance.test_accounting import PREVIOUS_MONTH_DAY, TODAY, entry, project_in_build
from tests.opportunities.factories import Cast, approve

FINALS = "/api/v1/final-accounts/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def at_handover(cast, make_user):
    """A project in build taken through implementation and DR3, its final payment linked to the
    milestone whose acceptance makes it due."""
    project = project_in_build(cast)
    delivery.team_member_add(project=project, user=cast.pm, data={"user": cast.pm, "role": "pm", "start_date": TODAY})
    engineer = make_user(f"{cast.pm.username}-eng", roles=["delivery"])
    delivery.team_member_add(
        project=project, user=cast.pm, data={"user": engineer, "role": "engineer", "start_date": TODAY}
    )
    final_payment = project.contract.payment_milestones.get(trigger="on_acceptance")
    milestone = delivery.milestone_create(
        project=project,
        user=cast.pm,
        data={
            "name": "Cut-over done",
            "planned_start": PREVIOUS_MONTH_DAY,
            "planned_end": TODAY,
            "payment_milestone": final_payment,
        },
    )
    project = delivery.project_transition(project=project, name="start_implementation", user=cast.pm)
    delivery.milestone_accept(milestone=milestone, user=cast.pm, signed_by="CIO", date=TODAY, document_ref="ACC-1")
    approve(gates.gate_request(code="DR3", subject=project, user=cast.pm), cast.pmo)
    project.refresh_from_db()
    assert project.state == "handover"
    return project


@pytest.fixture
def handover(cast, make_user):
    """The worked example: estimate 600,000.00 (the quote's cost), budget v1 800,000.00, contract value
    1,000,000.00 (half on signing, half on acceptance); costs 300,000.00 labour and 1,000.00 USD
    equipment at 7.1 (7,100.00), a 10,000.00 labour entry and its reversal; the advance invoiced
    (500,000.00 net + 6% tax = 530,000.00) with 200,000.00 collected."""
    project = at_handover(cast, make_user)
    finance.exchange_rate_set(user=cast.finance, currency="USD", date=PREVIOUS_MONTH_DAY, rate=Decimal("7.1"))
    entry(project, cast.finance, PREVIOUS_MONTH_DAY, "labour", "300000.00")
    entry(project, cast.finance, TODAY, "equipment", "1000.00", "USD")
    wrong = entry(project, cast.finance, PREVIOUS_MONTH_DAY, "labour", "10000.00")
    entry(project, cast.finance, TODAY, "labour", "-10000.00", reverses=wrong)
    advance = project.contract.payment_milestones.get(trigger="on_signing")
    invoice = finance.invoice_create(
        user=cast.finance, data={"payment_milestone": advance, "tax_rate_percent": Decimal("6")}
    )
    invoice = finance.invoice_transition(invoice=invoice, name="issue", user=cast.finance, issue_date=TODAY)
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal("200000.00"),
            "currency": "CNY",
            "date": TODAY,
            "payer": "Customer",
            "reference": "BANK-F1",
            "allocations": [{"invoice": invoice, "amount": Decimal("200000.00")}],
        },
    )
    return project


def test_every_figure_of_the_final_accounts_to_the_cent(api, cast, handover):
    r = api.as_user(cast.finance).post(FINALS, {"project": handover.pk, "explanation": "Equipment came in cheaper."})
    assert r.status_code == 201, r.json()
    final = r.json()
    assert final["as_of"] == TODAY.isoformat() and final["currency"] == "CNY" and final["state"] == "draft"
    assert {k: final[k] for k in ("estimate_total", "budget_total", "actual_cost", "revenue")} == {
        "estimate_total": "600000.00",
        "budget_total": "800000.00",
        "actual_cost": "307100.00",  # 300,000 + 1,000 × 7.1; the 10,000 and its reversal cancel out
        "revenue": "1000000.00",  # milestone method: the only milestone (weight 1) is accepted
    }
    assert final["cost_by_category"]["labour"] == "300000.00" and final["cost_by_category"]["equipment"] == "7100.00"
    assert (final["invoiced"], final["collected"], final["receivable"]) == ("500000.00", "200000.00", "330000.00")
    assert (final["gross_margin"], final["margin_percent"]) == ("692900.00", "69.29")
    assert (final["variance_vs_estimate"], final["variance_vs_budget"]) == ("-292900.00", "-492900.00")
    assert final["budget_versions"] == [
        {
            "version": 1,
            "state": "approved",
            "total": "800000.00",
            "currency": "CNY",
            "total_base": "800000.00",
            "approved_at": final["budget_versions"][0]["approved_at"],
        }
    ]
    assert final["complete"] is True and final["notes"] == []


def test_only_finance_draws_up_prepares_and_revises(api, cast, handover, make_user):
    body = {"project": handover.pk, "explanation": "On budget"}
    r = api.as_user(cast.pm).post(FINALS, body)
    assert r.status_code == 403 and r.json()["detail"] == "Only finance draws up final accounts."
    r = api.as_user(make_user("fa-hr", roles=["hr"])).post(FINALS, body)
    assert r.status_code == 400 and "project" in r.json()  # a project HR does not read
    assert not FinalAccount.objects.exists()
    fin = api.as_user(cast.finance)
    final = fin.post(FINALS, {"project": handover.pk}).json()
    r = fin.post(f"{FINALS}{final['id']}/transitions/prepare/", {})
    assert r.status_code == 409 and "Explain the result" in " ".join(r.json()["reasons"])
    assert fin.post(FINALS, body).status_code == 409  # one per project
    r = fin.patch(f"{FINALS}{final['id']}/", {"explanation": "On budget", "actual_cost": "1.00"}, format="json")
    assert r.status_code == 200 and r.json()["actual_cost"] == "307100.00"  # figures are the portal's
    r = fin.patch(f"{FINALS}{final['id']}/", {"project": handover.pk + 1000}, format="json")
    assert r.status_code == 400
    prepared = fin.post(f"{FINALS}{final['id']}/transitions/prepare/", {}).json()
    assert prepared["state"] == "prepared" and prepared["prepared_by"] == cast.finance.pk
    r = fin.patch(f"{FINALS}{final['id']}/", {"explanation": "Changed my mind"}, format="json")
    assert r.status_code == 409 and "revise" in r.json()["detail"]
    assert fin.post(f"{FINALS}{final['id']}/transitions/revise/", {}).status_code == 400  # a reason is needed
    assert api.as_user(cast.pm).post(f"{FINALS}{final['id']}/transitions/revise/", {"reason": "x"}).status_code == 403
    r = api.as_user(cast.finance).post(
        f"{FINALS}{final['id']}/transitions/revise/", {"reason": "A late subcontract bill"}
    )
    assert r.json()["state"] == "draft" and r.json()["prepared_by"] is None
    history = [h["transition"] for h in api.as_user(cast.finance).get(f"{FINALS}{final['id']}/history/").json()]
    assert history == ["open", "prepare", "revise"]
    # the PM reads them; a salesperson of another customer does not
    assert api.as_user(cast.pm).get(f"{FINALS}{final['id']}/").status_code == 200
    assert api.as_user(make_user("fa-other", roles=["sales"])).get(f"{FINALS}{final['id']}/").status_code == 404


def test_final_accounts_wait_for_handover(cast):
    project = project_in_build(cast)
    with pytest.raises(TransitionRefused, match="drawn up at handover"):
        finance.final_account_create(project=project, user=cast.finance, data={"explanation": "Too early"})
    with pytest.raises(PermissionDenied):
        finance.final_account_create(project=project, user=cast.pm, data={})


def test_dr4_needs_the_final_accounts_and_every_payment_invoiced(cast, handover):
    delivery.project_update(
        project=handover,
        user=cast.pm,
        data={
            "final_acceptance_date": TODAY,
            "final_acceptance_by": "CIO",
            "final_acceptance_ref": "FA-1",
            "lessons_learned": "Order the optics early",
        },
    )
    with pytest.raises(TransitionRefused) as refused:
        gates.gate_request(code="DR4", subject=handover, user=cast.pm)
    assert [str(r) for r in refused.value.reasons] == [
        str(FINAL_ACCOUNTS_NEEDED),
        "Invoice every payment milestone in full first: Final acceptance (0.00 / 500,000.00 CNY).",
    ]
    final_payment = handover.contract.payment_milestones.get(trigger="on_acceptance")
    draft = finance.invoice_create(user=cast.finance, data={"payment_milestone": final_payment, "amount": Decimal(1)})
    with pytest.raises(TransitionRefused) as refused:
        gates.gate_request(code="DR4", subject=handover, user=cast.pm)
    assert f"draft invoices to issue or void: #{draft.pk}" in " ".join(map(str, refused.value.reasons))
    finance.invoice_transition(invoice=draft, name="void", user=cast.finance, reason="Typed by mistake")
    invoice_every_payment(handover, cast)
    final = finance.final_account_create(project=handover, user=cast.finance, data={"explanation": "Cheaper kit"})
    final = finance.final_account_transition(final=final, name="prepare", user=cast.finance)
    assert final.invoiced == Decimal("1000000.00")  # drawn up afresh when prepared
    entry(handover, cast.finance, TODAY, "travel", "50.00")  # a late cost: the prepared figures are stale
    with pytest.raises(TransitionRefused) as refused:
        gates.gate_request(code="DR4", subject=handover, user=cast.pm)
    assert [str(r) for r in refused.value.reasons] == [str(FINAL_ACCOUNTS_NEEDED)]
    final = finance.final_account_transition(final=final, name="revise", user=cast.finance, reason="Late travel")
    final = finance.final_account_transition(final=final, name="prepare", user=cast.finance)
    assert final.actual_cost == Decimal("307150.00")
    approve(gates.gate_request(code="DR4", subject=handover, user=cast.pm), cast.finance, cast.pmo)
    handover.refresh_from_db()
    assert handover.state == "closed"
    with pytest.raises(TransitionRefused):  # closed: the final accounts stay as prepared
        finance.final_account_transition(final=final, name="revise", user=cast.finance, reason="Too late")


def test_a_missing_rate_is_named_and_the_final_accounts_are_incomplete(cast, make_user):
    project = at_handover(cast, make_user)
    entry(project, cast.finance, TODAY, "travel", "100.00", "EUR")
    final = finance.final_account_create(project=project, user=cast.finance, data={})
    assert final.complete is False and final.actual_cost == Decimal("0.00")
    assert any("EUR" in note for note in final.notes)


def test_a_payment_of_another_contract_is_not_linked(cast, make_user):
    project = project_in_build(cast)
    other = project_in_build(Cast(make_user, prefix="fa2"), number="C-2026-002")
    foreign = other.contract.payment_milestones.get(trigger="on_acceptance")
    with pytest.raises(Exception) as refused:
        delivery.milestone_create(
            project=project,
            user=cast.pm,
            data={
                "name": "Cut-over",
                "planned_start": TODAY,
                "planned_end": TODAY + datetime.timedelta(days=9),
                "payment_milestone": foreign,
            },
        )
    assert "not a payment of the project's contract" in str(refused.value)
    assert not project.milestones.exists()


def test_a_waived_milestone_lets_its_payment_go(cast, make_user):
    project = project_in_build(cast)
    payment = project.contract.payment_milestones.get(trigger="on_acceptance")
    m = delivery.milestone_create(
        project=project,
        user=cast.pm,
        data={"name": "Pilot", "planned_start": TODAY, "planned_end": TODAY, "payment_milestone": payment},
    )
    payment.refresh_from_db()
    assert payment.milestone == m.pk
    delivery.milestone_transition(milestone=m, name="waive", user=cast.pmo, reason="Descoped")
    payment.refresh_from_db()
    assert payment.milestone is None and payment.state == "planned"  # free to be linked again
