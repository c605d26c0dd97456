"""How opportunities react to upstream steps (connected in apps.py, run in the same transaction)."""

from django.dispatch import receiver
from django_fsm.signals import post_transition

from leads.models import Lead

from .services import opportunity_create_from_lead


@receiver(post_transition, sender=Lead, dispatch_uid="opportunities.lead_converted")
def lead_converted(sender, instance, name, method_kwargs=None, **kwargs):
    """A converted lead opens its opportunity in ``validating``."""
    if name == "convert":
        opportunity_create_from_lead(lead=instance, user=(method_kwargs or {}).get("by"))
