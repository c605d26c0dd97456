"""Writes on opportunities."""

from django.db import transaction
from django.utils.translation import gettext as _

from leads.models import Lead
from ltc_portal.core.fsm import record_transition

from .models import Opportunity, OpportunityState


@transaction.atomic
def opportunity_create_from_lead(*, lead: Lead, user) -> Opportunity:
    """Open the opportunity of a converted lead in ``validating``: same customer and owner, the
    lead's budget as expected value. Logged as the record's first transition (``open``)."""
    need = " ".join(lead.need.split())
    name = f"{lead.company_name} — {need[:80]}" if need else str(lead.company_name)
    opportunity = Opportunity.objects.create(
        customer=lead.customer, lead=lead, owner=lead.owner, name=name[:200],
        expected_value=lead.budget_amount or 0, currency=lead.budget_currency,
        created_by=user, updated_by=user,
    )
    record_transition(opportunity, "open", "", OpportunityState.VALIDATING, user,
                      reason=_("Converted from lead #%(id)s") % {"id": lead.pk}, data={"lead_id": lead.pk})
    return opportunity
