"""Who may see and change leads, customers and contacts (object rules, autodiscovered by `rules`).

- A `sales` user sees and edits the leads and customers they own (and reads the customers their
  own leads were converted into).
- `sales_director`, `executive` and superusers see everything; directors and superusers edit it.
- Every other role reads customers and contacts but not leads.
- Nobody deletes a lead or a customer: leads are disqualified, customers kept for the record.
The same rules back the list querysets in ``leads.selectors`` (pages, API and admin alike).
"""

import rules

from ltc_portal.core.roles import Role, is_executive, is_sales, is_sales_director, is_superuser, user_roles


@rules.predicate
def is_lead_owner(user, lead):
    return lead is not None and lead.owner_id == user.pk


@rules.predicate
def is_customer_owner(user, customer):
    return customer is not None and customer.owner_id == user.pk


@rules.predicate
def reads_all_customers(user):
    """Every role but plain sales reads all customers."""
    return bool(user_roles(user) - {Role.SALES})


@rules.predicate
def customer_linked_by_own_lead(user, customer):
    return customer is not None and customer.leads.filter(owner_id=user.pk).exists()


@rules.predicate
def no_object(user, obj):
    return obj is None


sees_all = is_superuser | is_sales_director | is_executive
edits_all = is_superuser | is_sales_director

rules.add_perm("leads.view_lead", sees_all | (is_sales & (no_object | is_lead_owner)))
rules.add_perm("leads.add_lead", edits_all | is_sales)
rules.add_perm("leads.change_lead", edits_all | (is_sales & (no_object | is_lead_owner)))
rules.add_perm("leads.delete_lead", rules.always_deny)

rules.add_perm(
    "leads.view_customer",
    sees_all | reads_all_customers | (is_sales & (no_object | is_customer_owner | customer_linked_by_own_lead)),
)
rules.add_perm("leads.add_customer", edits_all | is_sales)
rules.add_perm("leads.change_customer", edits_all | (is_sales & (no_object | is_customer_owner)))
rules.add_perm("leads.delete_customer", rules.always_deny)


@rules.predicate
def contact_customer_visible(user, contact):
    return contact is None or user.has_perm("leads.view_customer", contact.customer)


@rules.predicate
def contact_customer_editable(user, contact):
    return contact is None or user.has_perm("leads.change_customer", contact.customer)


rules.add_perm("leads.view_contact", contact_customer_visible & (sees_all | reads_all_customers | is_sales))
rules.add_perm("leads.add_contact", edits_all | is_sales)
rules.add_perm("leads.change_contact", (edits_all | is_sales) & contact_customer_editable)
rules.add_perm("leads.delete_contact", rules.always_deny)

rules.add_perm("leads.view_leadimport", edits_all | is_sales)
rules.add_perm("leads.add_leadimport", edits_all | is_sales)
