"""How opportunities react to steps upstream and their own gates (domain events, run in the same
transaction): a converted lead opens its opportunity; ATB approved freezes the quote it approved."""

from leads.models import Lead
from ltc_portal.core.events import Event, on

from .models import Opportunity
from .services import opportunity_create_from_lead, quote_freeze_for_atb


@on(Lead, "convert")
def lead_converted(event: Event) -> None:
    """A converted lead opens its opportunity in ``validating``."""
    opportunity_create_from_lead(lead=event.subject, user=event.user)


@on(Opportunity, "atb")
def atb_approved(event: Event) -> None:
    """ATB approved: the quote it approved is frozen."""
    quote_freeze_for_atb(opportunity=event.subject)
