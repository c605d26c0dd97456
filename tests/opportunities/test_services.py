import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.models import TransitionLog
from opportunities import selectors, services
from opportunities.models import Quote
from tests.opportunities.factories import (
    Cast,
    OpportunityFactory,
    pass_atb,
    pass_atc,
    pass_ati,
    pass_presales_bid_reviews,
    quote_data,
)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


class TestLifecycle:
    def test_gated_steps_cannot_be_run_directly(self, cast):
        opp = OpportunityFactory(owner=cast.owner)
        with pytest.raises(TransitionRefused) as refused:
            services.opportunity_transition(opportunity=opp, name="ati", user=cast.owner)
        assert "ATI must be approved first" in refused.value.reasons[0]

    def test_win_only_through_the_contract(self, cast):
        opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
        with pytest.raises(TransitionRefused, match="not a step you run yourself"):
            services.opportunity_transition(opportunity=opp, name="win", user=cast.owner)

    def test_lose_needs_a_reason_and_cancels_the_project(self, cast):
        opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
        with pytest.raises(ValidationError):
            services.opportunity_transition(opportunity=opp, name="lose", user=cast.owner, reason="")
        opp = services.opportunity_transition(opportunity=opp, name="lose", user=cast.owner, reason="Price")
        assert (opp.state, opp.loss_reason) == ("lost", "Price")
        project = opp.project
        project.refresh_from_db()
        assert project.state == "cancelled" and "Price" in project.cancel_reason
        log = TransitionLog.objects.for_subject(project).get(transition="cancel")
        assert log.by == cast.owner

    def test_abandon_from_validating_has_no_project_to_cancel(self, cast):
        opp = services.opportunity_transition(
            opportunity=OpportunityFactory(owner=cast.owner), name="abandon", user=cast.owner, reason="No budget"
        )
        assert opp.state == "abandoned" and not hasattr(opp, "project")

    def test_lose_is_not_possible_from_validating(self, cast):
        with pytest.raises(TransitionRefused):
            services.opportunity_transition(
                opportunity=OpportunityFactory(owner=cast.owner), name="lose", user=cast.owner, reason="x"
            )

    def test_other_sales_user_cannot_lose_it(self, cast, make_user):
        opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
        with pytest.raises(PermissionDenied):
            services.opportunity_transition(
                opportunity=opp, name="lose", user=make_user("other", roles=["sales"]), reason="x"
            )

    def test_customer_and_currency_fixed_after_ati(self, cast):
        opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
        with pytest.raises(ValidationError) as err:
            services.opportunity_update(opportunity=opp, user=cast.owner, data={"currency": "USD"})
        assert "currency" in err.value.message_dict


class TestQuotes:
    def test_totals_and_margin(self, cast):
        opp = OpportunityFactory(owner=cast.owner)
        q = services.quote_create(
            opportunity=opp,
            user=cast.owner,
            data={
                "lines": [
                    {
                        "description": "A",
                        "category": "equipment",
                        "quantity": Decimal("2"),
                        "unit_price": Decimal("100.00"),
                        "discount_percent": Decimal("10"),
                        "unit_cost": Decimal("50"),
                    },
                    {
                        "description": "B",
                        "category": "service",
                        "quantity": Decimal("3"),
                        "unit_price": Decimal("33.33"),
                        "discount_percent": Decimal("0"),
                        "unit_cost": Decimal("0"),
                    },
                ],
                "estimate_lines": [
                    {"category": "labour", "amount": Decimal("150.00")},
                    {"category": "risk_reserve", "amount": Decimal("9.99")},
                ],
            },
        )
        assert (q.version, q.state, q.revenue, q.cost) == (1, "draft", Decimal("279.99"), Decimal("159.99"))
        assert q.gross_margin == Decimal("120.00") and q.margin_percent == Decimal("42.86")

    @pytest.mark.parametrize(
        "line,field",
        [
            ({"quantity": Decimal("-1")}, "quantity"),
            ({"unit_price": Decimal("-1")}, "unit_price"),
            ({"discount_percent": Decimal("101")}, "discount_percent"),
            ({"currency": "USD"}, "lines"),
        ],
    )
    def test_bad_lines_are_refused_and_nothing_saved(self, cast, line, field):
        opp = OpportunityFactory(owner=cast.owner)
        data = quote_data()
        data["lines"][0].update(line)
        with pytest.raises(ValidationError) as err:
            services.quote_create(opportunity=opp, user=cast.owner, data=data)
        assert field in str(err.value)
        assert not Quote.objects.exists()

    def test_currency_mismatch_with_the_opportunity(self, cast):
        with pytest.raises(ValidationError):
            services.quote_create(
                opportunity=OpportunityFactory(owner=cast.owner),
                user=cast.owner,
                data={**quote_data(), "currency": "EUR"},
            )

    def test_new_version_supersedes_and_submitted_is_not_edited(self, cast):
        opp = OpportunityFactory(owner=cast.owner)
        v1 = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
        v1 = services.quote_transition(quote=v1, name="submit", user=cast.owner)
        with pytest.raises(TransitionRefused, match="make a new version"):
            services.quote_update(quote=v1, user=cast.owner, data={"notes": "x"})
        v2 = services.quote_create(opportunity=opp, user=cast.owner, data=quote_data(cost=Decimal("700000")))
        v1.refresh_from_db()
        assert (v1.state, v2.version, v2.state) == ("superseded", 2, "draft")

    def test_submit_needs_lines_and_estimate(self, cast):
        q = services.quote_create(opportunity=OpportunityFactory(owner=cast.owner), user=cast.owner, data={})
        with pytest.raises(TransitionRefused, match="not possible yet"):
            services.quote_transition(quote=q, name="submit", user=cast.owner)

    def test_customer_answer_only_while_bidding(self, cast):
        q = services.quote_create(opportunity=OpportunityFactory(owner=cast.owner), user=cast.owner, data=quote_data())
        q = services.quote_transition(quote=q, name="submit", user=cast.owner)
        with pytest.raises(TransitionRefused):
            services.quote_transition(quote=q, name="accept", user=cast.owner)

    def test_quote_frozen_after_atb_and_no_new_version_while_atb_pending(self, cast):
        opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
        pass_presales_bid_reviews(opp, cast)
        quote = services.quote_transition(quote=opp.quotes.get(), name="submit", user=cast.owner)
        review = gates.gate_request(code="ATB", subject=opp, user=cast.owner)
        with pytest.raises(TransitionRefused, match="ATB is being reviewed"):
            services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
        gates.gate_decide(review=review, user=cast.director, decision="approve")
        gates.gate_decide(review=review, user=cast.finance, decision="approve")
        quote.refresh_from_db()
        opp.refresh_from_db()
        assert quote.frozen and opp.bid_quote == quote and opp.state == "bidding"
        with pytest.raises(TransitionRefused):
            services.quote_update(quote=quote, user=cast.owner, data={"notes": "sneaky"})

    def test_only_the_owner_quotes(self, cast, make_user):
        with pytest.raises(PermissionDenied):
            services.quote_create(
                opportunity=OpportunityFactory(owner=cast.owner),
                user=make_user("o2", roles=["sales"]),
                data=quote_data(),
            )


def test_weighted_forecast_by_month(cast, make_user):
    month = datetime.date(2027, 3, 15)
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("1000"), probability=50, expected_close_date=month)
    OpportunityFactory(owner=cast.owner, expected_value=Decimal("333.33"), probability=10, expected_close_date=month)
    OpportunityFactory(
        owner=cast.owner, expected_value=Decimal("500"), probability=100, currency="USD", expected_close_date=month
    )
    lost = pass_ati(OpportunityFactory(owner=cast.owner, expected_close_date=month), cast)
    services.opportunity_transition(opportunity=lost, name="lose", user=cast.owner, reason="x")
    rows = selectors.weighted_forecast(cast.director)
    assert [(r["month"], r["currency"], r["count"], r["weighted_value"]) for r in rows] == [
        ("2027-03", "CNY", 2, Decimal("533.33")),
        ("2027-03", "USD", 1, Decimal("500.00")),
    ]
    assert selectors.weighted_forecast(make_user("nobody-sales", roles=["sales"])) == []
