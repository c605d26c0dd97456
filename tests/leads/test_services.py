from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leads import selectors, services
from leads.models import Customer, Lead
from leads.normalize import normalize_company
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions
from ltc_portal.core.models import TransitionLog
from opportunities.models import Opportunity
from tests.leads.factories import CustomerFactory, LeadFactory


def steps(lead, user):
    return {t.name: t for t in describe_transitions(lead, user)}


class TestLifecycle:
    def test_new_lead_offers_contact_and_disqualify_only(self, sales):
        lead = LeadFactory(owner=sales)
        assert set(steps(lead, sales)) == {"contact", "disqualify"}

    def test_qualify_is_refused_until_need_budget_timeline_are_recorded(self, sales):
        lead = services.lead_transition(lead=LeadFactory(owner=sales), name="contact", user=sales)
        info = steps(lead, sales)["qualify"]
        assert not info.allowed
        assert len(info.reasons) == 1 and all(w in info.reasons[0] for w in ("need", "budget", "timeline"))
        with pytest.raises(TransitionRefused) as refused:
            services.lead_transition(lead=lead, name="qualify", user=sales)
        assert "need" in refused.value.reasons[0]
        lead.refresh_from_db()
        assert lead.state == "contacted"

        lead = services.lead_update(lead=lead, user=sales, data={"need": "SD-WAN", "budget_amount": Decimal("10")})
        assert steps(lead, sales)["qualify"].reasons == ["Record the timeline before qualifying."]
        lead = services.lead_update(lead=lead, user=sales, data={"timeline": "within_3_months"})
        lead = services.lead_transition(lead=lead, name="qualify", user=sales)
        assert lead.state == "qualified"

    def test_disqualify_needs_a_reason_and_reopen_returns_to_contacted(self, sales):
        lead = LeadFactory(owner=sales)
        with pytest.raises(ValidationError):
            services.lead_transition(lead=lead, name="disqualify", user=sales, reason="  ")
        lead = services.lead_transition(lead=lead, name="disqualify", user=sales, reason="No budget this year")
        assert (lead.state, lead.disqualify_reason, lead.score) == ("disqualified", "No budget this year", 0)
        assert set(steps(lead, sales)) == {"reopen"}
        lead = services.lead_transition(lead=lead, name="reopen", user=sales)
        assert lead.state == "contacted"
        log = list(TransitionLog.objects.for_subject(lead).values_list("transition", "reason"))
        assert log == [("disqualify", "No budget this year"), ("reopen", "")]

    def test_step_not_available_from_current_state_is_refused(self, sales):
        lead = LeadFactory(owner=sales)
        with pytest.raises(TransitionRefused, match="not possible from state"):
            services.lead_transition(lead=lead, name="convert", user=sales)

    def test_unknown_step(self, sales):
        with pytest.raises(UnknownTransition):
            services.lead_transition(lead=LeadFactory(owner=sales), name="teleport", user=sales)

    def test_other_sales_user_may_not_move_the_lead(self, sales, other_sales):
        lead = LeadFactory(owner=sales)
        assert steps(lead, other_sales)["contact"].reasons[0].startswith("You are not allowed")
        with pytest.raises(PermissionDenied):
            services.lead_transition(lead=lead, name="contact", user=other_sales)
        lead.refresh_from_db()
        assert lead.state == "new" and not TransitionLog.objects.for_subject(lead).exists()

    def test_director_may_move_anyones_lead_and_executive_may_not(self, sales, director, executive):
        lead = LeadFactory(owner=sales)
        with pytest.raises(PermissionDenied):
            services.lead_transition(lead=lead, name="contact", user=executive)
        assert services.lead_transition(lead=lead, name="contact", user=director).state == "contacted"

    def test_closed_leads_cannot_be_edited(self, sales):
        lead = services.lead_transition(lead=LeadFactory(owner=sales), name="disqualify", user=sales, reason="dup")
        with pytest.raises(ValidationError):
            services.lead_update(lead=lead, user=sales, data={"notes": "x"})


class TestConvert:
    def qualified(self, owner, **kw):
        lead = LeadFactory(owner=owner, ready=True, **kw)
        lead = services.lead_transition(lead=lead, name="contact", user=owner)
        return services.lead_transition(lead=lead, name="qualify", user=owner)

    def test_convert_creates_customer_contact_and_opportunity_in_one_go(self, sales):
        lead = self.qualified(sales, company_name="上海电信股份有限公司", contact_name="李雷", email="LI@telecom.cn")
        lead = services.lead_transition(lead=lead, name="convert", user=sales)
        assert lead.state == "converted"
        customer = lead.customer
        assert (customer.name, customer.name_normalized, customer.owner) == ("上海电信股份有限公司", "上海电信", sales)
        assert (lead.customer_contact.name, lead.customer_contact.email) == ("李雷", "li@telecom.cn")
        opp = Opportunity.objects.get(lead=lead)
        assert (opp.state, opp.customer, opp.owner, opp.expected_value, opp.currency) == (
            "validating",
            customer,
            sales,
            Decimal("250000.00"),
            "CNY",
        )
        assert list(TransitionLog.objects.for_subject(opp).values_list("transition", "target")) == [
            ("open", "validating")
        ]
        assert list(TransitionLog.objects.for_subject(lead).values_list("transition", flat=True)) == [
            "contact",
            "qualify",
            "convert",
        ]

    def test_convert_links_the_existing_deduplicated_customer(self, sales):
        existing = CustomerFactory(name="ACME Co., Ltd.")
        lead = services.lead_transition(lead=self.qualified(sales, company_name="Acme Ltd"), name="convert", user=sales)
        assert lead.customer == existing
        assert Customer.objects.filter(name_normalized="acme").count() == 1

    def test_failure_inside_convert_rolls_everything_back(self, sales, monkeypatch):
        lead = self.qualified(sales, company_name="Rollback Corp")

        def broken(**kwargs):
            raise RuntimeError("opportunity store down")

        monkeypatch.setattr("opportunities.handlers.opportunity_create_from_lead", broken)
        with pytest.raises(RuntimeError):
            services.lead_transition(lead=lead, name="convert", user=sales)
        lead.refresh_from_db()
        assert lead.state == "qualified" and lead.customer is None
        assert not Customer.objects.filter(name="Rollback Corp").exists()
        assert not TransitionLog.objects.for_subject(lead).filter(transition="convert").exists()


class TestCreateAndDuplicates:
    def test_owner_defaults_to_creator_and_score_is_computed(self, sales):
        lead = services.lead_create(user=sales, data={"company_name": "Foo", "need": "x", "source": "referral"})
        assert lead.owner == sales and lead.score == 15 + 10

    def test_sales_cannot_assign_someone_else(self, sales, other_sales):
        with pytest.raises(ValidationError) as err:
            services.lead_create(user=sales, data={"company_name": "Foo", "owner": other_sales})
        assert "owner" in err.value.message_dict

    def test_director_assigns_a_sales_user_but_not_a_finance_user(self, director, sales, finance):
        assert services.lead_create(user=director, data={"company_name": "Foo", "owner": sales}).owner == sales
        with pytest.raises(ValidationError):
            services.lead_create(user=director, data={"company_name": "Bar", "owner": finance})

    def test_roles_without_sales_cannot_create_leads(self, finance):
        with pytest.raises(PermissionDenied):
            services.lead_create(user=finance, data={"company_name": "Foo"})

    def test_bad_currency_and_negative_budget_are_refused(self, sales):
        with pytest.raises(ValidationError) as err:
            services.lead_create(
                user=sales, data={"company_name": "Foo", "budget_currency": "XYZ", "budget_amount": Decimal("-1")}
            )
        assert {"budget_currency", "budget_amount"} <= set(err.value.message_dict)
        assert not Lead.objects.exists()

    @pytest.mark.parametrize(
        "field,value",
        [("email", "DUP@Example.com "), ("phone", "+86 (139) 0000-0001"), ("company_name", "DupCo 有限公司")],
    )
    def test_duplicates_match_on_email_phone_or_normalised_company(self, sales, field, value):
        original = LeadFactory(owner=sales, email="dup@example.com", phone="13900000001", company_name="DupCo")
        found = list(selectors.lead_duplicates(**{field: value}))
        assert found == [original]

    def test_closed_leads_are_not_duplicates(self, sales):
        lead = LeadFactory(owner=sales, email="gone@example.com")
        services.lead_transition(lead=lead, name="disqualify", user=sales, reason="spam")
        assert not selectors.lead_duplicates(email="gone@example.com")


@pytest.mark.parametrize(
    "name,expected",
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术（有限公司）", "华为技术"),
        ("ＡＣＭＥ　Inc.", "acme"),
        ("ACME Co., Ltd.", "acme"),
        ("Northwind Logistics Ltd.", "northwindlogistics"),
        ("Ltd", "ltd"),
    ],
)
def test_normalize_company(name, expected):
    assert normalize_company(name) == expected
