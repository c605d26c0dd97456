"""How delivery reacts to the sales side and to its own decisions (connected in apps.py, run in the
same transaction): ATI approved opens the pre-sales project; ATB approved moves it to plan; a lost or
abandoned opportunity cancels it; a signed contract is linked to it; an approved change that changes
the contract value records the amendment."""

from django.dispatch import receiver
from django.utils.translation import gettext as _
from django_fsm.signals import post_transition

from contracts.models import Contract
from contracts.services import contract_amend
from opportunities.models import Opportunity

from .models import ChangeRequest, Project, ProjectState
from .services import project_move, project_open_for


def _project(opportunity):
    return Project.objects.filter(opportunity=opportunity).first()


@receiver(post_transition, sender=Opportunity, dispatch_uid="delivery.opportunity_moved")
def opportunity_moved(sender, instance, name, method_kwargs=None, **kwargs):
    by = (method_kwargs or {}).get("by")
    if name == "ati":
        project_open_for(opportunity=instance, user=by)
    elif name == "atb":
        project = _project(instance)
        if project is not None and project.state == ProjectState.ANALYZE:
            project_move(project=project, name="plan", user=by, reason=_("ATB approved"))
    elif name in ("lose", "abandon"):
        project = _project(instance)
        if project is not None and project.state in (ProjectState.ANALYZE, ProjectState.PLAN):
            reason = (method_kwargs or {}).get("reason", "")
            project_move(project=project, name="cancel", user=by,
                         reason=_("Opportunity %(step)s: %(reason)s") % {"step": instance.get_state_display(),
                                                                          "reason": reason})


@receiver(post_transition, sender=Contract, dispatch_uid="delivery.contract_signed")
def contract_signed(sender, instance, name, **kwargs):
    if name == "sign":
        Project.objects.filter(opportunity_id=instance.opportunity_id, contract__isnull=True).update(contract=instance)


@receiver(post_transition, sender=ChangeRequest, dispatch_uid="delivery.change_amends_contract")
def change_approved(sender, instance, name, method_kwargs=None, **kwargs):
    """An approved change that changes the contract value records the contract amendment."""
    if name == "approve" and instance.contract_value_impact and instance.project.contract_id:
        contract_amend(contract=instance.project.contract, value_change=instance.contract_value_impact,
                       reason=_("Change #%(id)s: %(title)s") % {"id": instance.pk, "title": instance.title},
                       user=(method_kwargs or {}).get("by"), change_request_id=instance.pk)
