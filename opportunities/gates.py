"""Checklist predicates of the sales gates (ATI, ATB, ATC) and the margin rule, registered with the
control-point engine in apps.ready. Each says in words what is missing."""

from django.utils.translation import gettext_lazy as _

from ltc_portal.controls import registry
from ltc_portal.core.fsm import check

from .models import ATB, ATC, Opportunity, QuoteState
from .selectors import accepted_quote, latest_quote, opportunity_visible


@check(
    _("Record the customer."),
    passed=_("Customer recorded."),
)
def customer_recorded(opp):
    return opp.customer_id is not None


@check(
    _("Record the customer's need (need summary)."),
    passed=_("Need recorded."),
)
def need_recorded(opp):
    return bool(opp.need_summary.strip())


@check(
    _("Record the customer's budget."),
    passed=_("Customer budget recorded."),
)
def budget_recorded(opp):
    return bool(opp.customer_budget)


@check(
    _("Record the timeline (expected close date)."),
    passed=_("Timeline recorded."),
)
def timeline_recorded(opp):
    return opp.expected_close_date is not None


@check(
    _("The expected value must be greater than zero."),
    passed=_("Expected value above zero."),
)
def value_positive(opp):
    return opp.expected_value > 0


@check(
    _("Submit a quote version with priced lines and an estimate (概算), so its gross margin is known."),
    passed=_("A submitted quote with estimate and gross margin."),
)
def quote_submitted(opp):
    q = latest_quote(opp)
    return bool(q and q.state == QuoteState.SUBMITTED and q.revenue > 0 and q.estimate_lines.exists())


@check(
    _("The customer must have accepted a quote version: that is the final quote."),
    passed=_("Final quote accepted by the customer."),
)
def final_quote(opp):
    return accepted_quote(opp) is not None


@check(
    _("Record the payment terms on the final quote."),
    passed=_("Payment terms recorded."),
)
def payment_terms_recorded(opp):
    q = accepted_quote(opp)
    return bool(q and q.payment_terms.strip())


def margin_rule(definition, opp, roles):
    """ATB and ATC also need an executive when the quote's margin is below the floor (Quote.below_margin)."""
    if definition.code == ATB:
        q = latest_quote(opp)
    elif definition.code == ATC:
        q = accepted_quote(opp)
    else:
        return roles
    if q is not None and q.below_margin:
        return roles if "executive" in roles else [*roles, "executive"]
    return roles


def can_request(opp, user) -> bool:
    return bool(user and user.is_authenticated and opp.owner_id == user.pk)


def register():
    registry.register_subject(
        "opportunity",
        Opportunity,
        can_request=can_request,
        requester=_("the opportunity's owner"),
        visible=opportunity_visible,
    )
    for key, c in {
        "opportunity.customer_recorded": customer_recorded,
        "opportunity.need_recorded": need_recorded,
        "opportunity.budget_recorded": budget_recorded,
        "opportunity.timeline_recorded": timeline_recorded,
        "opportunity.value_positive": value_positive,
        "opportunity.quote_submitted": quote_submitted,
        "opportunity.final_quote": final_quote,
        "opportunity.payment_terms": payment_terms_recorded,
    }.items():
        registry.register_check(key, c)
    registry.register_roles_rule(margin_rule)
