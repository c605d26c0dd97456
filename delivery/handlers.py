"""How delivery reacts to the sales side and to its own decisions (domain events, run in the same
transaction): ATI approved opens the pre-sales project; ATB approved moves it to plan; a lost or
abandoned opportunity cancels it; a signed contract is linked to it; an approved change that changes
the contract value records the amendment."""

from django.utils.translation import gettext_noop

from contracts.models import Contract
from contracts.services import contract_amend
from ltc_portal.core.events import Event, on
from ltc_portal.core.fsm import said
from opportunities.models import Opportunity

from .models import ChangeRequest
from .services import project_cancel_for, project_link_contract, project_open_for, project_plan_for


@on(Opportunity, "ati")
def ati_approved(event: Event) -> None:
    project_open_for(opportunity=event.subject, user=event.user)


@on(Opportunity, "atb")
def atb_approved(event: Event) -> None:
    project_plan_for(opportunity=event.subject, user=event.user)


@on(Opportunity, "lose", "abandon")
def opportunity_closed(event: Event) -> None:
    project_cancel_for(opportunity=event.subject, user=event.user, reason=event.reason)


@on(Contract, "sign")
def contract_signed(event: Event) -> None:
    project_link_contract(contract=event.subject)


@on(ChangeRequest, "approve")
def change_approved(event: Event) -> None:
    """An approved change that changes the contract value records the contract amendment."""
    change = event.subject
    if change.contract_value_impact and change.project.contract_id:
        contract_amend(
            contract=change.project.contract,
            value_change=change.contract_value_impact,
            reason=said(gettext_noop("Change #%(id)s: %(title)s"), id=change.pk, title=change.title),
            user=event.user,
            change_request_id=change.pk,
        )
