"""How finance reacts to delivery's decisions (connected in apps.py, same transaction):
DR1 approved approves the submitted budget; an approved change with a cost impact makes the next
budget version (submitted)."""

from django.dispatch import receiver
from django_fsm.signals import post_transition

from delivery.models import ChangeRequest, Project

from .services import budget_approve_submitted, budget_version_for_change


@receiver(post_transition, sender=Project, dispatch_uid="finance.dr1_approves_budget")
def project_moved(sender, instance, name, method_kwargs=None, **kwargs):
    if name == "dr1":
        budget_approve_submitted(project=instance, user=(method_kwargs or {}).get("by"), reason="DR1")


@receiver(post_transition, sender=ChangeRequest, dispatch_uid="finance.change_budget_version")
def change_approved(sender, instance, name, method_kwargs=None, **kwargs):
    if name == "approve" and instance.cost_impact:
        budget_version_for_change(change=instance, user=(method_kwargs or {}).get("by"))
