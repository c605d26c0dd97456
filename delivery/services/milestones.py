"""Milestones and their acceptance: the PM plans them; the customer's acceptance certificate is
recorded by the PM or an accept_milestone delegate, and makes the contract payments it triggers due;
waiving needs the PMO and a reason."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.services import payments_due_on_acceptance
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_transition
from ltc_portal.core.services import assign_fields

from ..authority import require_authority
from ..models import AcceptanceCertificate, DelegationScope, Milestone, MilestoneState, Project
from ..rules import project_open, project_writable

MILESTONE_FIELDS = ("name", "deliverables", "planned_start", "planned_end", "actual_end", "weight")


@transaction.atomic
def milestone_create(*, project: Project, user: User, data: dict) -> Milestone:
    project = lock(project)
    project_writable.require(project, user)
    milestone = Milestone(project=project, created_by=user, updated_by=user)
    assign_fields(milestone, data, MILESTONE_FIELDS)
    milestone.full_clean()
    milestone.save()
    log_created(milestone, user=user)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user: User, data: dict) -> Milestone:
    milestone = lock(milestone)
    project_writable.require(milestone.project, user)
    if milestone.state != MilestoneState.PLANNED and set(data) - {"actual_end"}:
        raise TransitionRefused(_("An accepted or waived milestone keeps its plan; only its actual end can be set."))
    assign_fields(milestone, data, MILESTONE_FIELDS)
    milestone.updated_by = user
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def milestone_accept(
    *,
    milestone: Milestone,
    user: User,
    signed_by: str,
    date,
    document_ref: str,
    remarks: str = "",
    satisfaction: int | None = None,
    reason: str = "",
) -> Milestone:
    """Record the customer's acceptance certificate (by the PM or a holder of accept_milestone
    authority): the milestone is accepted, and the contract payments triggered by it become due
    (contracts.services.payments_due_on_acceptance, called once the step is logged)."""
    milestone = lock(milestone)
    project_open.require(milestone.project)
    require_authority(project=milestone.project, user=user, scope=DelegationScope.ACCEPT_MILESTONE)
    missing = {
        k: [_("Required for the acceptance.")]
        for k, v in {"signed_by": signed_by, "date": date, "document_ref": document_ref}.items()
        if not v or (isinstance(v, str) and not v.strip())
    }
    if missing:
        raise ValidationError(missing)

    def record_certificate(locked: Milestone) -> dict:
        certificate = AcceptanceCertificate(
            milestone=locked,
            signed_by=signed_by.strip(),
            date=date,
            document_ref=document_ref.strip(),
            remarks=remarks,
            satisfaction=satisfaction,
            recorded_by=user,
        )
        certificate.full_clean(exclude=["milestone"])
        certificate.save()
        if locked.actual_end is None:
            locked.actual_end = date
        return {"document_ref": document_ref, "signed_by": signed_by}

    milestone = run_transition(milestone, "accept", user=user, reason=reason, prepare=record_certificate)
    payments_due_on_acceptance(milestone=milestone, user=user)
    return milestone


@transaction.atomic
def milestone_waive(*, milestone: Milestone, user: User, reason: str) -> Milestone:
    """Waiving needs the PMO and a reason."""
    if not user.has_perm("delivery.waive_milestone", milestone):
        raise PermissionDenied(_("Only the PMO waives a milestone."))
    project_open.require(milestone.project)
    return run_transition(milestone, "waive", user=user, reason=reason)


def milestone_transition(*, milestone: Milestone, name: str, user: User, reason: str = "", **data) -> Milestone:
    if name == "accept":
        return milestone_accept(milestone=milestone, user=user, reason=reason, **data)
    if name == "waive":
        return milestone_waive(milestone=milestone, user=user, reason=reason)
    project_open.require(milestone.project)
    return run_transition(milestone, name, user=user, reason=reason)
