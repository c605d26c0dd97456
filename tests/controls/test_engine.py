"""The control-point engine through its services: requests, decisions, refusals, the guarded
transitions, margin escalation and history."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ltc_portal.controls import selectors as gate_reads
from ltc_portal.controls import services as gates
from ltc_portal.controls.models import GateDecision, GateDefinition, GateReview
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.models import TransitionLog
from opportunities import services
from tests.opportunities.factories import (
    Cast,
    OpportunityFactory,
    approve,
    pass_atb,
    pass_ati,
    pass_presales_bid_reviews,
)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def opp(cast):
    return OpportunityFactory(owner=cast.owner)


class TestRequest:
    def test_checklist_failure_names_every_failed_check(self, cast):
        opp = OpportunityFactory(
            owner=cast.owner,
            need_summary="",
            customer_budget=None,
            expected_close_date=None,
            expected_value=Decimal("0"),
        )
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        text = " ".join(refused.value.reasons)
        for word in ("need", "budget", "timeline", "greater than zero"):
            assert word in text
        assert len(refused.value.reasons) == 4
        assert not GateReview.objects.exists()

    def test_only_the_owner_requests(self, cast, opp):
        with pytest.raises(PermissionDenied):
            gates.gate_request(code="ATI", subject=opp, user=cast.director)

    def test_one_pending_review_at_a_time_and_not_after_approval(self, cast, opp):
        review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        with pytest.raises(TransitionRefused, match="cannot be requested"):
            gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        approve(review, cast.director)
        opp.refresh_from_db()
        with pytest.raises(TransitionRefused):
            gates.gate_request(code="ATI", subject=opp, user=cast.owner)

    def test_gate_of_the_wrong_subject_or_unknown_gate(self, cast, opp):
        with pytest.raises(ValidationError):
            gates.gate_request(code="DRA", subject=opp, user=cast.owner)
        with pytest.raises(ValidationError):
            gates.gate_request(code="NOPE", subject=opp, user=cast.owner)

    def test_atb_before_its_reviews_is_refused_with_reasons(self, cast, opp):
        opp = pass_ati(opp, cast)
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="ATB", subject=opp, user=cast.owner)
        text = " ".join(refused.value.reasons)
        assert "DTRB must be approved" in text and "DRA must be approved" in text and "Submit a quote" in text


class TestDecide:
    def test_approval_runs_the_guarded_transition_and_logs_it(self, cast, opp):
        review = gates.gate_request(
            code="ATI",
            subject=opp,
            user=cast.owner,
            comment="Strategic account",
            evidence=["https://wiki.example/ati/1"],
        )
        assert review.required_roles == ["sales_director"]
        review = gates.gate_decide(review=review, user=cast.director, decision="approve", comment="Go")
        opp.refresh_from_db()
        assert (review.state, opp.state) == ("approved", "analysis")
        log = TransitionLog.objects.for_subject(opp).get(transition="ati")
        assert (log.by, log.gate_review_id, log.source, log.target) == (
            cast.director,
            review.pk,
            "validating",
            "analysis",
        )
        assert opp.project.state == "analyze"

    def test_requester_never_decides_their_own_review(self, cast, make_user):
        boss = make_user("boss", roles=["sales", "sales_director"])
        opp = OpportunityFactory(owner=boss)
        review = gates.gate_request(code="ATI", subject=opp, user=boss)
        with pytest.raises(PermissionDenied, match="someone else"):
            gates.gate_decide(review=review, user=boss, decision="approve")
        assert not GateDecision.objects.exists()

    def test_wrong_role_is_refused(self, cast, opp):
        review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        with pytest.raises(PermissionDenied):
            gates.gate_decide(review=review, user=cast.finance, decision="approve")
        with pytest.raises(PermissionDenied, match="do not hold"):
            gates.gate_decide(review=review, user=cast.finance, decision="approve", role="sales_director")
        review.refresh_from_db()
        assert review.state == "pending"

    def test_role_not_required_is_a_validation_error(self, cast, opp):
        review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        with pytest.raises(ValidationError):
            gates.gate_decide(review=review, user=cast.finance, decision="approve", role="finance")

    def test_one_person_never_fills_two_roles(self, cast, make_user):
        both = make_user("both", roles=["sales_director", "finance"])
        opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
        pass_presales_bid_reviews(opp, cast)
        services.quote_transition(quote=opp.quotes.get(), name="submit", user=cast.owner)
        review = gates.gate_request(code="ATB", subject=opp, user=cast.owner)
        with pytest.raises(ValidationError, match="several deciding roles"):
            gates.gate_decide(review=review, user=both, decision="approve")
        gates.gate_decide(review=review, user=both, decision="approve", role="finance")
        with pytest.raises(PermissionDenied, match="one person cannot fill two roles"):
            gates.gate_decide(review=review, user=both, decision="approve", role="sales_director")
        review.refresh_from_db()
        assert review.state == "pending" and review.decisions.count() == 1

    def test_role_already_decided_is_409(self, cast, opp, make_user):
        review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        other_director = make_user("d2", roles=["sales_director"])
        approve(review, cast.director)
        with pytest.raises(TransitionRefused):
            gates.gate_decide(review=review, user=other_director, decision="approve")

    def test_reject_needs_a_comment_rejects_and_a_new_request_makes_a_new_review(self, cast, opp):
        review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
        with pytest.raises(ValidationError):
            gates.gate_decide(review=review, user=cast.director, decision="reject", comment=" ")
        review = gates.gate_decide(review=review, user=cast.director, decision="reject", comment="Budget unclear")
        opp.refresh_from_db()
        assert review.state == "rejected" and opp.state == "validating"
        status = {s.gate.code: s for s in gate_reads.gates_for(opp, cast.owner)}["ATI"]
        assert status.status == "rejected" and status.can_request
        second = gates.gate_request(code="ATI", subject=opp, user=cast.owner, comment="Budget confirmed")
        approve(second, cast.director)
        assert list(GateReview.objects.filter(object_id=opp.pk).order_by("id").values_list("state", flat=True)) == [
            "rejected",
            "approved",
        ]
        assert GateDecision.objects.get(review=review).comment == "Budget unclear"

    def test_decided_review_is_closed(self, cast, opp, make_user):
        review = approve(gates.gate_request(code="ATI", subject=opp, user=cast.owner), cast.director)
        with pytest.raises(TransitionRefused, match="already"):
            gates.gate_decide(
                review=review, user=make_user("d3", roles=["sales_director"]), decision="reject", comment="late"
            )

    def test_two_roles_both_needed(self, cast, opp):
        opp = pass_ati(opp, cast)
        pass_presales_bid_reviews(opp, cast)
        services.quote_transition(quote=opp.quotes.get(), name="submit", user=cast.owner)
        review = gates.gate_request(code="ATB", subject=opp, user=cast.owner)
        assert review.required_roles == ["sales_director", "finance"]
        gates.gate_decide(review=review, user=cast.director, decision="approve")
        opp.refresh_from_db()
        assert opp.state == "analysis"
        gates.gate_decide(review=review, user=cast.finance, decision="approve")
        opp.refresh_from_db()
        assert opp.state == "bidding" and opp.project.state == "plan"


class TestMargin:
    def test_low_margin_needs_the_executive(self, cast, opp):
        opp = pass_ati(opp, cast)
        pass_presales_bid_reviews(opp, cast, revenue=Decimal("1000000"), cost=Decimal("900000"))  # 10 %
        services.quote_transition(quote=opp.quotes.get(), name="submit", user=cast.owner)
        review = gates.gate_request(code="ATB", subject=opp, user=cast.owner)
        assert review.required_roles == ["sales_director", "finance", "executive"]
        approve(review, cast.director, cast.finance)
        opp.refresh_from_db()
        assert opp.state == "analysis"
        approve(review, cast.executive)
        opp.refresh_from_db()
        assert opp.state == "bidding"

    def test_healthy_margin_does_not(self, cast, opp):
        opp = pass_atb(pass_ati(opp, cast), cast)
        review = GateReview.objects.get(gate__code="ATB", object_id=opp.pk)
        assert "executive" not in review.required_roles

    def test_threshold_is_a_setting(self, cast, opp, settings):
        settings.MIN_GROSS_MARGIN = Decimal("50")
        opp = pass_ati(opp, cast)
        pass_presales_bid_reviews(opp, cast)  # 40 %
        services.quote_transition(quote=opp.quotes.get(), name="submit", user=cast.owner)
        assert "executive" in gates.gate_request(code="ATB", subject=opp, user=cast.owner).required_roles


def test_gates_for_lists_status_checklist_and_who_can_act(cast, opp):
    statuses = {s.gate.code: s for s in gate_reads.gates_for(opp, cast.owner)}
    assert set(statuses) == {"ATI", "ATB", "ATC"}
    ati = statuses["ATI"]
    assert ati.status == "not_requested" and ati.can_request and all(i.passed for i in ati.checklist)
    assert not statuses["ATB"].can_request and statuses["ATB"].request_blockers
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    director_view = {s.gate.code: s for s in gate_reads.gates_for(opp, cast.director)}["ATI"]
    assert director_view.status == "pending" and director_view.review == review
    assert director_view.decidable_roles == ["sales_director"]
    assert {s.gate.code: s for s in gate_reads.gates_for(opp, cast.owner)}["ATI"].decidable_roles == []


def test_an_approved_gate_keeps_the_checklist_it_passed(cast, opp):
    opp = pass_atb(pass_ati(opp, cast), cast)  # the project has moved from analyze to plan since DTRB/DRA
    statuses = {s.gate.code: s for s in gate_reads.gates_for(opp.project, cast.pm)}
    for code in ("DTRB", "DRA"):
        assert statuses[code].status == "approved"
        assert statuses[code].checklist and all(item.passed for item in statuses[code].checklist)
    assert not all(item.passed for item in statuses["DTRC"].checklist)  # not approved: evaluated now


def test_gate_definitions_refuse_unknown_roles_and_checks(db):
    gate = GateDefinition.objects.get(code="ATI")
    gate.required_roles = ["wizard"]
    with pytest.raises(ValidationError) as err:
        gate.full_clean()
    assert "required_roles" in err.value.message_dict
    gate.required_roles = ["sales_director"]
    gate.checklist = ["opportunity.moon_phase"]
    with pytest.raises(ValidationError) as err:
        gate.full_clean()
    assert "checklist" in err.value.message_dict
    gate.checklist = ["opportunity.need_recorded"]
    gate.full_clean()
