"""Contracts follow their opportunity: who sees the opportunity sees its contract; its owner, sales
directors and superusers change it."""

import rules


@rules.predicate
def sees_opportunity(user, contract):
    return contract is None or user.has_perm("opportunities.view_opportunity", contract.opportunity)


@rules.predicate
def changes_opportunity(user, contract):
    if contract is None:
        return user.has_perm("opportunities.change_opportunity")
    return user.has_perm("opportunities.change_opportunity", contract.opportunity)


rules.add_perm("contracts.view_contract", sees_opportunity)
rules.add_perm("contracts.add_contract", changes_opportunity)
rules.add_perm("contracts.change_contract", changes_opportunity)
rules.add_perm("contracts.delete_contract", rules.always_deny)
