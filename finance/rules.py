"""Budgets follow their project: who reads the project reads its budgets; its PM and the PMO draft
and submit them; finance reads all (and decides them at DR1)."""

import rules


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
