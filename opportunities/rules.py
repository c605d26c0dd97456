"""Who may see and change opportunities and their quotes.

- The owner (AR) edits their opportunities and quotes and requests ATI/ATB/ATC.
- `sales_director` and superusers see and edit all; solution, delivery, PMO and finance read all (they
  review the bid) and so do executives; HR does not.
- A `sales` user sees the opportunities they own or are the solution owner of.
"""

import rules

from ltc_portal.core.roles import Role, is_sales_director, is_superuser, user_roles


@rules.predicate
def is_opportunity_owner(user, opportunity):
    return opportunity is not None and opportunity.owner_id == user.pk


@rules.predicate
def is_solution_owner(user, opportunity):
    return opportunity is not None and opportunity.solution_owner_id == user.pk


@rules.predicate
def no_object(user, obj):
    return obj is None


#: roles that read every opportunity (HR works on people, not deals)
OPPORTUNITY_READERS = {Role.SALES_DIRECTOR, Role.EXECUTIVE, Role.FINANCE, Role.PMO, Role.SOLUTION, Role.DELIVERY}


@rules.predicate
def reads_all_opportunities(user):
    return bool(user_roles(user) & OPPORTUNITY_READERS)


@rules.predicate
def is_sales_user(user):
    return Role.SALES in user_roles(user)


rules.add_perm(
    "opportunities.view_opportunity",
    is_superuser | reads_all_opportunities | (is_sales_user & (no_object | is_opportunity_owner | is_solution_owner)),
)
rules.add_perm("opportunities.add_opportunity", is_superuser | is_sales_director | is_sales_user)
rules.add_perm(
    "opportunities.change_opportunity",
    is_superuser | is_sales_director | (is_sales_user & (no_object | is_opportunity_owner)),
)
rules.add_perm("opportunities.delete_opportunity", rules.always_deny)


@rules.predicate
def changes_quote_opportunity(user, quote):
    if quote is None:
        return user.has_perm("opportunities.change_opportunity")
    return user.has_perm("opportunities.change_opportunity", quote.opportunity)


@rules.predicate
def sees_quote_opportunity(user, quote):
    return quote is None or user.has_perm("opportunities.view_opportunity", quote.opportunity)


rules.add_perm("opportunities.view_quote", sees_quote_opportunity)
rules.add_perm("opportunities.change_quote", changes_quote_opportunity)
rules.add_perm("opportunities.delete_quote", rules.always_deny)
