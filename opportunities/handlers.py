"""How opportunities react to steps (connected in apps.py, run in the same transaction)."""

from django.dispatch import receiver
from django_fsm.signals import post_transition

from leads.models import Lead

from .models import Opportunity
from .services import opportunity_create_from_lead, quote_freeze_for_atb


@receiver(post_transition, sender=Lead, dispatch_uid="opportunities.lead_converted")
def lead_converted(sender, instance, name, method_kwargs=None, **kwargs):
    """A converted lead opens its opportunity in ``validating``."""
    if name == "convert":
        opportunity_create_from_lead(lead=instance, user=(method_kwargs or {}).get("by"))


@receiver(post_transition, sender=Opportunity, dispatch_uid="opportunities.atb_freezes_quote")
def atb_approved(sender, instance, name, **kwargs):
    """ATB approved: the quote it approved is frozen."""
    if name == "atb":
        quote_freeze_for_atb(opportunity=instance)
