"""Delivery after the contract: DR1 with the budget, staffing and planning, milestones with
acceptance and delegated authority, DR2 routing, DR3 and DR4."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contracts.models import PaymentMilestone
from delivery import services
from delivery.models import ProjectIssue, TeamMember
from finance import selectors as finance_reads
from finance import services as finance
from finance.gates import FINAL_ACCOUNTS_NEEDED
from finance.models import Budget
from ltc_portal.controls import selectors as gate_reads
from ltc_portal.controls import services as gates
from ltc_portal.core.fsm import TransitionRefused
from notifications.models import Notification
from tests.finance.factories import invoice_every_payment, prepare_final_accounts
from tests.opportunities.factories import Cast, approve, project_in_plan_with_contract

TODAY = timezone.localdate()


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_plan_with_contract(cast)


def pass_dr1(project, cast):
    budget = project.budgets.get(version=1)
    finance.budget_transition(budget=budget, name="submit", user=cast.pm)
    approve(gates.gate_request(code="DR1", subject=project, user=cast.pm), cast.finance, cast.pmo)
    project.refresh_from_db()
    return project


def staff_and_plan(project, cast, engineer):
    services.team_member_add(project=project, user=cast.pm, data={"user": cast.pm, "role": "pm", "start_date": TODAY})
    services.team_member_add(
        project=project,
        user=cast.pm,
        data={"user": engineer, "role": "engineer", "allocation_percent": 50, "start_date": TODAY},
    )
    return services.milestone_create(
        project=project,
        user=cast.pm,
        data={"name": "Core network live", "planned_start": TODAY, "planned_end": TODAY + datetime.timedelta(days=30)},
    )


class TestDR1:
    def test_refused_without_submitted_budget_then_approves_it(self, project, cast):
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="DR1", subject=project, user=cast.pm)
        assert "Submit the project's budget" in " ".join(refused.value.reasons)
        project = pass_dr1(project, cast)
        assert project.state == "build"
        budget = project.budgets.get(version=1)
        assert budget.state == "approved" and finance_reads.budget_current(project) == budget
        review = gate_reads.latest_review(project, "DR1")
        assert review.context["budget_total"] == "600000.00" and review.context["estimate_total"] == "600000.00"
        assert review.context["variance"] == "0.00"
        with pytest.raises(TransitionRefused, match="never edited"):
            finance.budget_update(budget=budget, user=cast.pm, data={"lines": []})

    def test_refused_without_handover(self, cast):
        from tests.opportunities.factories import (
            OpportunityFactory,
            draft_contract,
            pass_atb,
            pass_atc,
            pass_ati,
        )

        opp = pass_atc(pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast), cast)
        draft_contract(opp, cast)
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="DR1", subject=opp.project, user=cast.pm)
        assert "handed over" in " ".join(refused.value.reasons)


class TestBuildToImplement:
    def test_start_implementation_needs_team_and_baseline(self, project, cast, make_user):
        project = pass_dr1(project, cast)
        with pytest.raises(TransitionRefused) as refused:
            services.project_transition(project=project, name="start_implementation", user=cast.pm)
        assert len(refused.value.reasons) == 2
        staff_and_plan(project, cast, make_user("eng", roles=["delivery"]))
        assert (
            services.project_transition(project=project, name="start_implementation", user=cast.pm).state == "implement"
        )

    def test_only_pm_or_pmo_change_the_team(self, project, cast):
        with pytest.raises(PermissionDenied):
            services.team_member_add(
                project=project, user=cast.owner, data={"user": cast.owner, "role": "ar", "start_date": TODAY}
            )
        with pytest.raises(ValidationError):
            services.team_member_add(
                project=project,
                user=cast.pmo,
                data={"user": cast.owner, "role": "ar", "allocation_percent": 0, "start_date": TODAY},
            )

    def test_nobody_inactive_or_off_role_is_put_in_a_members_place(self, project, cast, make_user):
        eng = make_user("team-eng", roles=["delivery"])
        member = services.team_member_add(
            project=project, user=cast.pm, data={"user": eng, "role": "engineer", "start_date": TODAY}
        )
        gone = make_user("team-gone", roles=["delivery"])
        gone.is_active = False
        gone.save()
        with pytest.raises(ValidationError) as refused:
            services.team_member_update(member=member, user=cast.pm, data={"user": gone})
        assert refused.value.message_dict["user"] == ["This person is no longer active."]
        with pytest.raises(ValidationError) as refused:
            services.team_member_update(member=member, user=cast.pm, data={"user": make_user("team-hr", roles=["hr"])})
        assert "join a project team" in refused.value.message_dict["user"][0]
        assert TeamMember.objects.get(pk=member.pk).user_id == eng.pk  # nothing changed
        # a member who has since left can still have their allocation corrected
        eng.is_active = False
        eng.save()
        member = services.team_member_update(member=member, user=cast.pm, data={"allocation_percent": 50})
        assert member.allocation_percent == 50


class TestMilestonesAndAuthority:
    def test_pm_accepts_and_the_payment_falls_due(self, project, cast, make_user):
        project = pass_dr1(project, cast)
        milestone = staff_and_plan(project, cast, make_user("eng", roles=["delivery"]))
        payment = PaymentMilestone.objects.get(contract=project.contract, trigger="on_acceptance")
        PaymentMilestone.objects.filter(pk=payment.pk).update(milestone=milestone.pk)
        with pytest.raises(ValidationError):
            services.milestone_accept(milestone=milestone, user=cast.pm, signed_by="", date=TODAY, document_ref="")
        milestone = services.milestone_accept(
            milestone=milestone, user=cast.pm, signed_by="Mr Wang (CIO)", date=TODAY, document_ref="ACC-001"
        )
        payment.refresh_from_db()
        assert (milestone.state, milestone.acceptance.document_ref, payment.state) == ("accepted", "ACC-001", "due")

    def test_delegated_acceptance_window_limit_and_revocation(self, project, cast, make_user):
        eng = make_user("eng", roles=["delivery"])
        milestone = staff_and_plan(project, cast, eng)
        with pytest.raises(PermissionDenied, match="no delegated authority"):
            services.milestone_accept(milestone=milestone, user=eng, signed_by="x", date=TODAY, document_ref="A")
        expired = services.delegation_grant(
            project=project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "accept_milestone",
                "limit_amount": Decimal("0"),
                "valid_from": TODAY - datetime.timedelta(days=10),
                "valid_to": TODAY - datetime.timedelta(days=1),
            },
        )
        with pytest.raises(PermissionDenied, match="outside its validity window"):
            services.milestone_accept(milestone=milestone, user=eng, signed_by="x", date=TODAY, document_ref="A")
        current = services.delegation_grant(
            project=project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "accept_milestone",
                "limit_amount": Decimal("0"),
                "valid_from": TODAY,
                "valid_to": TODAY + datetime.timedelta(days=30),
            },
        )
        services.delegation_revoke(delegation=current, user=cast.pm)
        with pytest.raises(PermissionDenied):
            services.milestone_accept(milestone=milestone, user=eng, signed_by="x", date=TODAY, document_ref="A")
        services.delegation_grant(
            project=project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "accept_milestone",
                "limit_amount": Decimal("0"),
                "valid_from": TODAY,
                "valid_to": TODAY + datetime.timedelta(days=30),
            },
        )
        assert (
            services.milestone_accept(milestone=milestone, user=eng, signed_by="x", date=TODAY, document_ref="A").state
            == "accepted"
        )
        assert project.delegations.count() == 3 and expired.revoked_at is None

    def test_grants_only_to_team_members_and_only_by_the_pm(self, project, cast, make_user):
        outsider = make_user("outsider", roles=["delivery"])
        with pytest.raises(ValidationError):
            services.delegation_grant(
                project=project,
                user=cast.pm,
                data={
                    "grantee": outsider,
                    "scope": "approve_cost",
                    "limit_amount": Decimal("10"),
                    "valid_from": TODAY,
                    "valid_to": TODAY,
                },
            )
        with pytest.raises(PermissionDenied):
            services.delegation_grant(project=project, user=cast.owner, data={})

    def test_narrowing_revokes_and_replaces(self, project, cast, make_user):
        eng = make_user("eng", roles=["delivery"])
        staff_and_plan(project, cast, eng)
        grant = services.delegation_grant(
            project=project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "approve_change",
                "limit_amount": Decimal("50000"),
                "valid_from": TODAY,
                "valid_to": TODAY + datetime.timedelta(days=90),
            },
        )
        with pytest.raises(ValidationError):
            services.delegation_narrow(delegation=grant, user=cast.pm, limit_amount=Decimal("60000"))
        narrower = services.delegation_narrow(delegation=grant, user=cast.pm, limit_amount=Decimal("20000"))
        grant.refresh_from_db()
        assert grant.revoked_at is not None and narrower.replaces == grant and narrower.limit_amount == Decimal("20000")

    def test_waive_needs_pmo_and_reason(self, project, cast, make_user):
        milestone = staff_and_plan(project, cast, make_user("eng", roles=["delivery"]))
        with pytest.raises(PermissionDenied):
            services.milestone_waive(milestone=milestone, user=cast.pm, reason="not needed")
        with pytest.raises(ValidationError):
            services.milestone_waive(milestone=milestone, user=cast.pmo, reason="")
        assert (
            services.milestone_waive(milestone=milestone, user=cast.pmo, reason="Customer dropped it").state == "waived"
        )


class TestDR2:
    def setup_change(self, project, cast, eng, cost):
        project = pass_dr1(project, cast)
        staff_and_plan(project, cast, eng)
        services.project_update(project=project, user=cast.pmo, data={"pm_change_limit": Decimal("50000")})
        return services.change_request_create(
            project=project,
            user=eng,
            data={
                "title": "Extra access points",
                "reason": "Customer asked",
                "scope_impact": "+20 APs",
                "schedule_impact_days": 5,
                "cost_impact": cost,
            },
        )

    def test_within_the_pm_limit_the_pm_decides(self, project, cast, make_user):
        eng = make_user("eng", roles=["delivery"])
        change = self.setup_change(project, cast, eng, Decimal("30000"))
        review = gates.gate_request(code="DR2", subject=change, user=eng)
        assert review.required_roles == ["change_authority"]
        # the PM holds the change authority and is told; finance, who does not decide it, is not
        waiting = Notification.objects.filter(kind="gate_waiting", subject_id=review.pk)
        assert {n.recipient for n in waiting} == {cast.pm}
        with pytest.raises(PermissionDenied):
            gates.gate_decide(review=review, user=cast.finance, decision="approve")
        gates.gate_decide(review=review, user=cast.pm, decision="approve")
        change.refresh_from_db()
        assert change.state == "approved"
        v2 = Budget.objects.get(project=change.project, version=2)
        assert v2.state == "approved" and v2.total == Decimal("630000.00")  # DR2's decision approved it
        assert finance_reads.budget_current(change.project) == v2  # the accounting's BAC follows the change

    def test_above_the_limit_finance_decides(self, project, cast, make_user):
        eng = make_user("eng", roles=["delivery"])
        change = self.setup_change(project, cast, eng, Decimal("80000"))
        review = gates.gate_request(code="DR2", subject=change, user=eng)
        assert review.required_roles == ["finance"]
        waiting = Notification.objects.filter(kind="gate_waiting", subject_id=review.pk)
        assert {n.recipient for n in waiting} == {cast.finance}
        with pytest.raises(PermissionDenied):
            gates.gate_decide(review=review, user=cast.pm, decision="approve")
        gates.gate_decide(review=review, user=cast.finance, decision="approve")
        change.refresh_from_db()
        assert change.state == "approved"

    def test_a_delegate_with_enough_authority_decides_the_pms_own_change(self, project, cast, make_user):
        eng = make_user("eng", roles=["delivery"])
        change = self.setup_change(project, cast, eng, Decimal("-10000"))
        pm_change = services.change_request_create(
            project=change.project,
            user=cast.pm,
            data={
                "title": "Drop a site",
                "reason": "Scope cut",
                "scope_impact": "-1 site",
                "cost_impact": Decimal("-10000"),
            },
        )
        review = gates.gate_request(code="DR2", subject=pm_change, user=cast.pm)
        with pytest.raises(PermissionDenied):
            gates.gate_decide(review=review, user=cast.pm, decision="approve")
        services.delegation_grant(
            project=change.project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "approve_change",
                "limit_amount": Decimal("5000"),
                "valid_from": TODAY,
                "valid_to": TODAY,
            },
        )
        with pytest.raises(PermissionDenied):
            gates.gate_decide(review=review, user=eng, decision="approve")  # 10,000 is above the delegate's 5,000
        services.delegation_grant(
            project=change.project,
            user=cast.pm,
            data={
                "grantee": eng,
                "scope": "approve_change",
                "limit_amount": Decimal("20000"),
                "valid_from": TODAY,
                "valid_to": TODAY,
            },
        )
        gates.gate_decide(review=review, user=eng, decision="approve")
        v2 = Budget.objects.get(project=change.project, version=2)
        assert v2.total == Decimal("590000.00")


class TestDR3AndDR4:
    def test_handover_and_closure(self, project, cast, make_user):
        project = pass_dr1(project, cast)
        eng = make_user("eng", roles=["delivery"])
        milestone = staff_and_plan(project, cast, eng)
        final_payment = project.contract.payment_milestones.get(trigger="on_acceptance")
        services.milestone_update(milestone=milestone, user=cast.pm, data={"payment_milestone": final_payment})
        project = services.project_transition(project=project, name="start_implementation", user=cast.pm)
        ProjectIssue.objects.create(
            project=project,
            title="Core switch fails",
            source="internal",
            severity="critical",
            owner=eng,
            due_date=TODAY,
        )
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="DR3", subject=project, user=cast.pm)
        text = " ".join(refused.value.reasons)
        assert "Core network live" in text and "critical issues" in text
        services.milestone_accept(milestone=milestone, user=cast.pm, signed_by="CIO", date=TODAY, document_ref="A1")
        final_payment.refresh_from_db()
        assert final_payment.state == "due"  # the acceptance of its milestone made it due
        ProjectIssue.objects.filter(project=project).delete()
        approve(gates.gate_request(code="DR3", subject=project, user=cast.pm), cast.pmo)
        project.refresh_from_db()
        assert project.state == "handover"
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="DR4", subject=project, user=cast.pm)
        text = " ".join(refused.value.reasons)
        assert len(refused.value.reasons) == 4
        assert "final accounts" in text and "Invoice every payment milestone in full first: Advance (0" in text
        services.project_update(
            project=project,
            user=cast.pm,
            data={
                "final_acceptance_date": TODAY,
                "final_acceptance_by": "Mr Wang",
                "final_acceptance_ref": "FA-9",
                "lessons_learned": "Book track access early",
            },
        )
        invoice_every_payment(project, cast)
        with pytest.raises(TransitionRefused) as refused:
            gates.gate_request(code="DR4", subject=project, user=cast.pm)
        assert [str(r) for r in refused.value.reasons] == [str(FINAL_ACCOUNTS_NEEDED)]
        prepare_final_accounts(project, cast)
        approve(gates.gate_request(code="DR4", subject=project, user=cast.pm), cast.finance, cast.pmo)
        project.refresh_from_db()
        assert project.state == "closed"


def test_a_change_of_contract_value_records_the_amendment(cast, make_user, web):
    project = pass_dr1(project_in_plan_with_contract(cast), cast)
    eng = make_user("eng", roles=["delivery"])
    staff_and_plan(project, cast, eng)
    change = services.change_request_create(
        project=project,
        user=eng,
        data={
            "title": "Two more stations",
            "reason": "Customer order",
            "scope_impact": "+2 stations",
            "cost_impact": Decimal("0"),
            "contract_value_impact": Decimal("120000"),
        },
    )
    approve(gates.gate_request(code="DR2", subject=change, user=eng), cast.pm)
    contract = project.contract
    contract.refresh_from_db()
    amendment = contract.amendments.get()
    assert (amendment.value_change, amendment.change_request_id) == (Decimal("120000.00"), change.pk)
    assert contract.current_value == Decimal("1120000.00") and contract.value == Decimal("1000000.00")
    # the contract page shows the signed value, the current value and the amendment with its change
    page = web.as_user(cast.finance).get(f"/contracts/{contract.pk}/").content.decode()
    assert "1,000,000.00" in page and 'id="current-value">1,120,000.00' in page
    assert 'id="amendments"' in page and "+120,000.00" in page and f"/projects/changes/{change.pk}/" in page
