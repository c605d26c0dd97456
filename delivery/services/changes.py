"""Change requests (DR2): raised by the team while the project is built, implemented or handed
over; edited by whoever raised it (or the PM, PMO) while a draft and not under review; decided
through DR2 (the engine runs ``approve``); withdrawn with a reason."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import Contract
from ltc_portal.controls.models import ReviewState
from ltc_portal.controls.selectors import latest_review
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_transition
from ltc_portal.core.money import fit
from ltc_portal.core.services import assign_fields

from ..models import DR2, ChangeRequest, ChangeState, Project
from ..rules import change_raisable, project_open

VALUE = Contract._meta.get_field("value")
CHANGE_FIELDS = ("title", "reason", "scope_impact", "schedule_impact_days", "cost_impact", "contract_value_impact")


def _check_contract_value(change: ChangeRequest) -> None:
    """The contract's value after the change must fit its column (400 on the impact, not a DataError
    when DR2 records the amendment)."""
    contract = change.project.contract
    if change.contract_value_impact and contract is not None:
        fit(contract.current_value + change.contract_value_impact, VALUE, key="contract_value_impact")


@transaction.atomic
def change_request_create(*, project: Project, user: User, data: dict) -> ChangeRequest:
    """Any member of the team (or the PMO) raises a change; DR2 decides it."""
    project = lock(project)
    change_raisable.require(project, user)
    change = ChangeRequest(project=project, created_by=user, updated_by=user)
    assign_fields(change, data, CHANGE_FIELDS)
    change.full_clean()
    _check_contract_value(change)
    change.save()
    log_created(change, user=user)
    return change


@transaction.atomic
def change_request_update(*, change: ChangeRequest, user: User, data: dict) -> ChangeRequest:
    change = lock(change)
    if not (change.created_by_id == user.pk or user.has_perm("delivery.change_project", change.project)):
        raise PermissionDenied(_("Only whoever raised the change, its PM or the PMO edit it."))
    project_open.require(change.project)
    if change.state != ChangeState.DRAFT:
        raise TransitionRefused(_("A decided change is not edited; raise a new one."))
    review = latest_review(change, DR2)
    if review is not None and review.state == ReviewState.PENDING:
        raise TransitionRefused(_("DR2 is reviewing this change; wait for the decision."))
    assign_fields(change, data, CHANGE_FIELDS)
    change.updated_by = user
    change.full_clean()
    _check_contract_value(change)
    change.save()
    return change


def change_request_transition(*, change: ChangeRequest, name: str, user: User, reason: str = "") -> ChangeRequest:
    """``withdraw`` with a reason; ``approve`` runs through DR2 only (409 when called). Nothing on a
    closed or cancelled project changes."""
    project_open.require(change.project)
    return run_transition(change, name, user=user, reason=reason)
