"""Milestones and their acceptance: the PM plans them; the customer's acceptance certificate is
recorded by the PM or an accept_milestone delegate, and makes the contract payments it triggers due;
waiving needs the PMO and a reason."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import PaymentMilestone
from contracts.services import payment_milestone_link, payments_due_on_acceptance
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_transition
from ltc_portal.core.services import assign_fields

from ..authority import require_authority
from ..models import AcceptanceCertificate, DelegationScope, Milestone, MilestoneState, Project
from ..rules import project_open, project_writable

MILESTONE_FIELDS = ("name", "deliverables", "planned_start", "planned_end", "actual_end", "weight")


def _link_payment(milestone: Milestone, payment: PaymentMilestone | None, user: User) -> None:
    """Make ``payment`` (an on-acceptance payment of the project's contract, or None) the one this
    milestone's acceptance makes due; a payment linked to it before is let go."""
    if payment is not None and payment.contract_id != milestone.project.contract_id:
        raise ValidationError({"payment_milestone": [_("This is not a payment of the project's contract.")]})
    for previous in PaymentMilestone.objects.filter(milestone=milestone.pk).exclude(
        pk=payment.pk if payment is not None else None
    ):
        payment_milestone_link(payment=previous, milestone_id=None, user=user)
    if payment is not None:
        payment_milestone_link(payment=payment, milestone_id=milestone.pk, user=user)


@transaction.atomic
def milestone_create(*, project: Project, user: User, data: dict) -> Milestone:
    """A milestone of the plan; ``payment_milestone`` (optional) is the contract's on-acceptance
    payment its acceptance makes due."""
    project = lock(project)
    project_writable.require(project, user)
    data = dict(data)
    payment = data.pop("payment_milestone", None)
    milestone = Milestone(project=project, created_by=user, updated_by=user)
    assign_fields(milestone, data, MILESTONE_FIELDS)
    milestone.full_clean()
    milestone.save()
    if payment is not None:
        _link_payment(milestone, payment, user)
    log_created(milestone, user=user)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user: User, data: dict) -> Milestone:
    milestone = lock(milestone)
    project_writable.require(milestone.project, user)
    data = dict(data)
    asked = "payment_milestone" in data
    payment = data.pop("payment_milestone", None)
    current = PaymentMilestone.objects.filter(milestone=milestone.pk).values_list("pk", flat=True).first()
    relink = asked and (payment.pk if payment is not None else None) != current  # the same link is no change
    if milestone.state != MilestoneState.PLANNED and (set(data) - {"actual_end"} or relink):
        raise TransitionRefused(_("An accepted or waived milestone keeps its plan; only its actual end can be set."))
    assign_fields(milestone, data, MILESTONE_FIELDS)
    milestone.updated_by = user
    milestone.full_clean()
    milestone.save()
    if relink:
        _link_payment(milestone, payment, user)
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
    """Waiving needs the PMO and a reason. A contract payment its acceptance would have made due is
    let go (it can be linked to another milestone; otherwise it would never fall due)."""
    if not user.has_perm("delivery.waive_milestone", milestone):
        raise PermissionDenied(_("Only the PMO waives a milestone."))
    project_open.require(milestone.project)
    waived = run_transition(milestone, "waive", user=user, reason=reason)
    for payment in PaymentMilestone.objects.filter(milestone=milestone.pk, state="planned"):
        payment_milestone_link(payment=payment, milestone_id=None, user=user)
    return waived


def milestone_transition(*, milestone: Milestone, name: str, user: User, reason: str = "", **data) -> Milestone:
    if name == "accept":
        return milestone_accept(milestone=milestone, user=user, reason=reason, **data)
    if name == "waive":
        return milestone_waive(milestone=milestone, user=user, reason=reason)
    project_open.require(milestone.project)
    return run_transition(milestone, name, user=user, reason=reason)
