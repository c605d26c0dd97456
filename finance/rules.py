"""Budgets follow their project: who reads the project reads its budgets; its PM and the PMO draft
and submit them; finance reads all (and decides them at DR1)."""

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from delivery.authority import authority_refusal
from delivery.models import DelegationScope
from ltc_portal.core.guards import guard
from ltc_portal.core.roles import Role, has_role, is_finance, is_superuser


@rules.predicate
def reads_project(user, budget):
    return budget is None or user.has_perm("delivery.view_project", budget.project)


@rules.predicate
def changes_project(user, budget):
    return budget is not None and user.has_perm("delivery.change_project", budget.project)


rules.add_perm("finance.view_budget", reads_project)
rules.add_perm("finance.change_budget", changes_project)
rules.add_perm("delivery.change_project_budget", changes_project)
rules.add_perm("finance.delete_budget", rules.always_deny)


# Cost actuals, rates, periods and the accounting -------------------------------------------------
# Finance keeps the rates and the periods; whoever reads a project reads its cost entries and its
# monthly accounts; its team, PM and PMO record cost entries (approval: finance.services).

rules.add_perm("finance.close_period", is_superuser | is_finance)
rules.add_perm("finance.view_accountingperiod", rules.is_authenticated)
rules.add_perm("finance.change_exchangerate", is_superuser | is_finance)
rules.add_perm("finance.add_exchangerate", is_superuser | is_finance)
rules.add_perm("finance.view_exchangerate", rules.is_authenticated)
rules.add_perm("finance.run_accounting", is_superuser | is_finance)


@rules.predicate
def reads_entry_project(user, record):
    return record is None or user.has_perm("delivery.view_project", record.project)


rules.add_perm("finance.view_costentry", reads_entry_project)
rules.add_perm("finance.view_monthlyaccount", reads_entry_project)
rules.add_perm("finance.delete_costentry", rules.always_deny)
rules.add_perm("finance.view_finalaccount", reads_entry_project)
rules.add_perm("finance.prepare_finalaccount", is_superuser | is_finance)
rules.add_perm("finance.delete_finalaccount", rules.always_deny)


def is_finance_user(user) -> bool:
    """Finance people and integration accounts holding the finance role (and superusers)."""
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, Role.FINANCE)))


@guard
def cost_decidable(entry, user):
    """Who approves or rejects a pending cost entry: finance; the project's PM; a member whose
    approve_cost delegation covers the amount (entries in the project's currency). Never whoever
    entered it."""
    if entry.entered_by_id == user.pk:
        return PermissionDenied(_("You entered this cost; someone else approves it."))
    if is_finance_user(user):
        return None
    if entry.currency != entry.project.currency:
        return PermissionDenied(
            _("An entry in %(cur)s (not the project's %(project_cur)s) is approved by finance.")
            % {"cur": entry.currency, "project_cur": entry.project.currency}
        )
    return authority_refusal(
        project=entry.project, user=user, scope=DelegationScope.APPROVE_COST, amount=abs(entry.amount)
    )


@rules.predicate
def decides_cost(user, entry):
    return entry is not None and cost_decidable.allows(entry, user)


rules.add_perm("finance.decide_costentry", decides_cost)


# Invoices and receipts: finance issues and collects; whoever reads the contract reads its invoices
# (sales their own customers', HR none).
rules.add_perm("finance.issue_invoice", is_superuser | is_finance)
rules.add_perm("finance.add_receipt", is_superuser | is_finance)
