"""Who may see opportunities (for now the lead rules: the owner, directors, executives)."""

import rules

from ltc_portal.core.roles import is_executive, is_sales, is_sales_director, is_superuser


@rules.predicate
def is_opportunity_owner(user, opportunity):
    return opportunity is None or opportunity.owner_id == user.pk


rules.add_perm("opportunities.view_opportunity",
               is_superuser | is_sales_director | is_executive | (is_sales & is_opportunity_owner))
rules.add_perm("opportunities.change_opportunity", rules.always_deny)
rules.add_perm("opportunities.add_opportunity", rules.always_deny)
rules.add_perm("opportunities.delete_opportunity", rules.always_deny)
