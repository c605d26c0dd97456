"""The contract pages through the Django client: drafting with payment milestones, signing, the
handover (合同交底), termination, visibility, and the list's query count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import services
from contracts.models import Contract, PaymentMilestone
from opportunities.models import Quote
from tests.opportunities.factories import (
    Cast,
    OpportunityFactory,
    draft_contract,
    pass_atb,
    pass_atc,
    pass_ati,
)

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def deal(cast):
    """An opportunity in contracting (ATC approved) with an accepted quote of 1,000,000 CNY."""
    return pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)


def contract_post(rows, *, number="C-2026-100", signed_date=TODAY, initial=0):
    data = {
        "number": number,
        "signed_date": signed_date.isoformat() if signed_date else "",
        "milestones-TOTAL_FORMS": str(len(rows)),
        "milestones-INITIAL_FORMS": str(initial),
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"milestones-{i}-{key}"] = value
    return data


BLANK = {"name": "", "amount": "", "percent": "", "trigger": "", "planned_date": ""}
ADVANCE = {**BLANK, "name": "Advance", "percent": "30", "trigger": "on_signing"}
FINAL = {**BLANK, "name": "Final acceptance", "amount": "700000", "trigger": "on_acceptance"}

HANDOVER = {
    "date": TODAY.isoformat(),
    "attendees": "AR, PM, SR, finance",
    "key_terms": "Penalty 0.1%/day",
    "risks": "Tight cut-over window",
    "open_questions": "Who supplies the racks?",
}


def test_create_page_shows_the_value_from_the_accepted_quote(web, cast, deal):
    page = web.as_user(cast.owner).get(f"/contracts/new/?opportunity={deal.pk}").content.decode()
    assert 'id="contract-value"' in page and "1,000,000.00 CNY" in page
    assert 'name="milestones-0-percent"' in page and 'name="value"' not in page


def test_create_with_milestones_adding_up_lands_on_the_detail(web, cast, deal):
    client = web.as_user(cast.owner)
    r = client.post(f"/contracts/new/?opportunity={deal.pk}", contract_post([ADVANCE, FINAL, BLANK]))
    contract = Contract.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/contracts/{contract.pk}/"
    assert (contract.number, contract.value, contract.currency, contract.state) == (
        "C-2026-100",
        Decimal("1000000.00"),
        "CNY",
        "draft",
    )
    assert [(m.name, m.amount, m.trigger) for m in contract.payment_milestones.all()] == [
        ("Advance", Decimal("300000.00"), "on_signing"),
        ("Final acceptance", Decimal("700000.00"), "on_acceptance"),
    ]
    page = client.get(r["Location"]).content.decode()
    assert 'id="contract-state"' in page and "Draft" in page and "Final acceptance" in page
    assert 'data-transition="sign"' in page and 'id="history"' in page

    # finance reads the contract but signs nothing: told so, with no button it may not use
    reader = Client()
    reader.force_login(cast.finance)
    page = reader.get(r["Location"]).content.decode()
    assert 'data-transition="sign"' not in page and "You are not allowed" not in page
    assert 'id="no-steps"' in page and "No step here is yours to run" in page


def test_milestones_not_adding_up_come_back_as_an_error_and_nothing_is_saved(web, cast, deal):
    short = {**FINAL, "amount": "600000"}
    r = web.as_user(cast.owner).post(f"/contracts/new/?opportunity={deal.pk}", contract_post([ADVANCE, short]))
    assert r.status_code == 200
    errors = " ".join(r.context["form"].non_field_errors())
    assert "add up to 900,000.00" in errors and "1,000,000.00" in errors  # amounts grouped for the reader
    assert "add up to 900,000.00" in r.content.decode()
    assert not Contract.objects.exists() and not PaymentMilestone.objects.exists()


def test_a_milestone_row_needs_an_amount_or_a_percent(web, cast, deal):
    r = web.as_user(cast.owner).post(
        f"/contracts/new/?opportunity={deal.pk}", contract_post([{**ADVANCE, "percent": ""}, FINAL])
    )
    assert r.status_code == 200 and r.context["formset"].errors[0]
    assert not Contract.objects.exists()


def test_no_contract_before_atc(web, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    r = web.as_user(cast.owner).get(f"/contracts/new/?opportunity={opp.pk}")
    assert r.status_code == 302 and r["Location"] == f"/opportunities/{opp.pk}/"
    assert not Contract.objects.exists()


def test_edit_while_draft_then_not_after_signing(web, cast, deal):
    contract = draft_contract(deal, cast)
    client = web.as_user(cast.owner)
    page = client.get(f"/contracts/{contract.pk}/edit/").content.decode()
    assert 'value="Advance"' in page and 'value="C-2026-001"' in page
    rows = [
        {**BLANK, "name": m.name, "amount": str(m.amount), "trigger": m.trigger}
        for m in contract.payment_milestones.all()
    ]
    r = client.post(f"/contracts/{contract.pk}/edit/", contract_post(rows, number="C-2026-001-A", initial=2))
    assert r.status_code == 302
    contract.refresh_from_db()
    assert contract.number == "C-2026-001-A" and contract.payment_milestones.count() == 2

    services.contract_transition(contract=contract, name="sign", user=cast.owner)
    r = client.post(f"/contracts/{contract.pk}/edit/", contract_post(rows, number="HIJACK", initial=2), follow=True)
    assert "amendments come with change requests" in r.content.decode()
    contract.refresh_from_db()
    assert contract.number == "C-2026-001-A"


def test_sign_from_the_page_wins_the_opportunity(web, cast, deal):
    contract = draft_contract(deal, cast)
    client = web.as_user(cast.owner)
    r = client.post(f"/contracts/{contract.pk}/transitions/sign/")
    assert r.status_code == 302 and r["Location"] == f"/contracts/{contract.pk}/"
    contract.refresh_from_db()
    deal.refresh_from_db()
    assert contract.state == "signed" and deal.state == "won"
    assert contract.payment_milestones.get(trigger="on_signing").state == "due"
    assert contract.payment_milestones.get(trigger="on_acceptance").state == "planned"
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="handover-form"' in page and "Due (invoiceable)" in page
    assert 'data-transition="hand_over"' not in page  # the handover has its own form
    assert 'data-transition="terminate"' in page


def test_sign_refused_shows_the_reasons_and_changes_nothing(web, cast, deal):
    contract = draft_contract(deal, cast)
    services.contract_update(contract=contract, user=cast.owner, data={"signed_date": None})
    r = web.as_user(cast.owner).post(f"/contracts/{contract.pk}/transitions/sign/", follow=True)
    assert "Record the signing date." in r.content.decode()
    contract.refresh_from_db()
    assert contract.state == "draft"


def test_handover_needs_every_field_then_hands_over(web, cast, deal):
    contract = services.contract_transition(contract=draft_contract(deal, cast), name="sign", user=cast.owner)
    client = web.as_user(cast.owner)
    r = client.post(f"/contracts/{contract.pk}/transitions/hand_over/", {**HANDOVER, "risks": " "})
    assert r.status_code == 200
    assert "risks" in r.context["handover_form"].errors
    assert 'id="handover-form"' in r.content.decode()
    contract.refresh_from_db()
    assert contract.state == "signed" and contract.key_terms == ""

    r = client.post(f"/contracts/{contract.pk}/transitions/hand_over/", HANDOVER)
    assert r.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "handed_over"
    assert (contract.handover_date, contract.risks) == (TODAY, "Tight cut-over window")
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="handover-form"' not in page and "Who supplies the racks?" in page and "Handed over" in page


def test_terminate_needs_a_reason(web, cast, deal):
    contract = services.contract_transition(contract=draft_contract(deal, cast), name="sign", user=cast.owner)
    client = web.as_user(cast.owner)
    r = client.post(f"/contracts/{contract.pk}/transitions/terminate/", {"reason": ""}, follow=True)
    assert "A reason is required." in r.content.decode()
    contract.refresh_from_db()
    assert contract.state == "signed"
    client.post(f"/contracts/{contract.pk}/transitions/terminate/", {"reason": "Customer went bankrupt"})
    contract.refresh_from_db()
    assert (contract.state, contract.termination_reason) == ("terminated", "Customer went bankrupt")


def test_unknown_step_is_a_message_not_an_error_page(web, cast, deal):
    contract = draft_contract(deal, cast)
    r = web.as_user(cast.owner).post(f"/contracts/{contract.pk}/transitions/explode/", follow=True)
    assert r.status_code == 200 and "No such step." in r.content.decode()


def test_another_sales_user_gets_404(web, cast, deal, make_user):
    contract = draft_contract(deal, cast)
    client = web.as_user(make_user("mallory", roles=["sales"]))
    assert client.get(f"/contracts/{contract.pk}/").status_code == 404
    assert client.get(f"/contracts/{contract.pk}/edit/").status_code == 404
    assert client.post(f"/contracts/{contract.pk}/transitions/sign/").status_code == 404
    assert client.post(f"/contracts/{contract.pk}/transitions/hand_over/", HANDOVER).status_code == 404
    assert client.get(f"/contracts/new/?opportunity={deal.pk}").status_code == 404
    assert contract.number not in client.get("/contracts/").content.decode()
    contract.refresh_from_db()
    assert contract.state == "draft"


def test_readers_without_the_right_to_change_get_no_edit_and_no_handover(web, cast, deal):
    contract = services.contract_transition(contract=draft_contract(deal, cast), name="sign", user=cast.owner)
    client = web.as_user(cast.finance)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="handover-form"' not in page and "You are not allowed to" in page
    assert client.get(f"/contracts/{contract.pk}/edit/").status_code == 403
    client.post(f"/contracts/{contract.pk}/transitions/hand_over/", HANDOVER)
    contract.refresh_from_db()
    assert contract.state == "signed"


def _bare_contract(owner, n):
    """A draft contract written straight to the database (for list sizes, not for behaviour)."""
    opp = OpportunityFactory(owner=owner)
    quote = Quote.objects.create(opportunity=opp, version=1, revenue=Decimal("1000"))
    contract = Contract.objects.create(
        opportunity=opp, number=f"BULK-{n}", value=Decimal("1000"), currency="CNY", quote=quote
    )
    PaymentMilestone.objects.bulk_create(
        [
            PaymentMilestone(contract=contract, position=i, name=f"M{i}", amount=Decimal("500"), trigger="on_signing")
            for i in range(2)
        ]
    )
    return contract


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["sales", "sales_director"])
def test_contract_list_runs_a_constant_number_of_queries(web, make_user, role):
    owner = make_user("owner", roles=["sales"])
    client = web.as_user(owner if role == "sales" else make_user("reader", roles=[role]))
    for n in range(2):
        _bare_contract(owner, n)
    few = _queries(client, "/contracts/")
    for n in range(2, 10):
        _bare_contract(owner, n)
    assert _queries(client, "/contracts/") == few
    page = client.get("/contracts/?state=draft").content.decode()
    assert "BULK-1" in page and "BULK-9" in page


def test_contract_list_offers_the_opportunities_ready_for_a_contract(web, cast, deal):
    page = web.as_user(cast.owner).get("/contracts/").content.decode()
    assert f"/contracts/new/?opportunity={deal.pk}" in page
    draft_contract(deal, cast)
    page = web.as_user(cast.owner).get("/contracts/").content.decode()
    assert f"/contracts/new/?opportunity={deal.pk}" not in page and "C-2026-001" in page
