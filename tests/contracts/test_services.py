import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contracts import services
from contracts.models import Contract
from ltc_portal.core.fsm import TransitionRefused
from tests.opportunities.factories import (
    Cast,
    OpportunityFactory,
    draft_contract,
    pass_atb,
    pass_atc,
    pass_ati,
)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def contracting(cast):
    return pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)


HANDOVER = {
    "date": datetime.date(2026, 12, 1),
    "attendees": "PM, AR, customer CIO",
    "key_terms": "Penalty 0.5%/week",
    "risks": "Tight cut-over window",
    "open_questions": "Spare parts location",
}


def test_contract_takes_value_and_currency_from_the_accepted_quote(cast, contracting):
    contract = draft_contract(contracting, cast)
    assert (contract.value, contract.currency, contract.state) == (Decimal("1000000.00"), "CNY", "draft")
    assert contract.quote.state == "accepted"


def test_not_before_atc(cast):
    opp = pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast)
    with pytest.raises(TransitionRefused, match="once ATC is approved"):
        services.contract_create(opportunity=opp, user=cast.owner, data={"number": "X", "payment_milestones": []})


@pytest.mark.parametrize(
    "milestones",
    [
        [{"name": "All", "amount": Decimal("999999.99"), "trigger": "on_signing"}],
        [{"name": "Half", "percent": Decimal("50"), "trigger": "on_signing"}],
        [],
        [{"name": "Dated", "amount": Decimal("1000000"), "trigger": "on_date"}],
    ],
)
def test_milestones_must_add_up_exactly(cast, contracting, milestones):
    with pytest.raises(ValidationError) as err:
        services.contract_create(
            opportunity=contracting, user=cast.owner, data={"number": "C-1", "payment_milestones": milestones}
        )
    assert "payment_milestones" in err.value.message_dict
    assert not Contract.objects.exists()


def test_percent_milestones(cast, contracting):
    contract = services.contract_create(
        opportunity=contracting,
        user=cast.owner,
        data={
            "number": "C-2",
            "signed_date": timezone.localdate(),
            "payment_milestones": [
                {"name": "Advance", "percent": Decimal("30"), "trigger": "on_signing"},
                {"name": "Rest", "percent": Decimal("70"), "trigger": "on_acceptance"},
            ],
        },
    )
    assert [m.amount for m in contract.payment_milestones.all()] == [Decimal("300000.00"), Decimal("700000.00")]


def test_sign_wins_the_opportunity_links_the_project_and_makes_signing_payments_due(cast, contracting):
    contract = services.contract_transition(contract=draft_contract(contracting, cast), name="sign", user=cast.owner)
    contracting.refresh_from_db()
    assert contract.state == "signed" and contracting.state == "won"
    assert contracting.project.contract == contract
    assert dict(contract.payment_milestones.values_list("trigger", "state")) == {
        "on_signing": "due",
        "on_acceptance": "planned",
    }


def test_sign_needs_a_signing_date(cast, contracting):
    contract = draft_contract(contracting, cast)
    services.contract_update(contract=contract, user=cast.owner, data={"signed_date": None})
    with pytest.raises(TransitionRefused) as refused:
        services.contract_transition(contract=contract, name="sign", user=cast.owner)
    assert "signing date" in " ".join(refused.value.reasons)


def test_handover_requires_every_field(cast, contracting):
    contract = services.contract_transition(contract=draft_contract(contracting, cast), name="sign", user=cast.owner)
    with pytest.raises(ValidationError) as err:
        services.contract_transition(contract=contract, name="hand_over", user=cast.owner, **{**HANDOVER, "risks": " "})
    assert set(err.value.message_dict) == {"risks"}
    contract = services.contract_transition(contract=contract, name="hand_over", user=cast.owner, **HANDOVER)
    assert (contract.state, contract.handover_attendees) == ("handed_over", "PM, AR, customer CIO")


def test_terminate_needs_reason_and_signed_contract_is_not_edited(cast, contracting):
    contract = services.contract_transition(contract=draft_contract(contracting, cast), name="sign", user=cast.owner)
    with pytest.raises(TransitionRefused):
        services.contract_update(contract=contract, user=cast.owner, data={"number": "NEW"})
    with pytest.raises(ValidationError):
        services.contract_transition(contract=contract, name="terminate", user=cast.owner, reason="")
    assert (
        services.contract_transition(
            contract=contract, name="terminate", user=cast.owner, reason="Customer insolvent"
        ).state
        == "terminated"
    )


def test_one_live_contract_per_opportunity_and_only_the_owner(cast, contracting, make_user):
    draft_contract(contracting, cast)
    with pytest.raises(TransitionRefused, match="already has a contract"):
        draft_contract(contracting, cast, number="C-OTHER")
    with pytest.raises(PermissionDenied):
        services.contract_create(opportunity=contracting, user=make_user("s9", roles=["sales"]), data={})


def test_amount_and_percent_must_agree(cast, contracting):
    with pytest.raises(ValidationError, match="is not 30"):
        services.contract_create(
            opportunity=contracting,
            user=cast.owner,
            data={
                "number": "C-3",
                "payment_milestones": [
                    {"name": "Advance", "percent": Decimal("30"), "amount": Decimal("200000"), "trigger": "on_signing"},
                    {"name": "Rest", "amount": Decimal("800000"), "trigger": "on_acceptance"},
                ],
            },
        )
