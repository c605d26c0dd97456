"""Every write on delivery projects: the pre-sales part, the team and delegated authority, milestones
and acceptance, change requests and the project's own steps."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.services import payments_due_on_acceptance
from ltc_portal.controls.services import latest_review as gates_latest_review
from ltc_portal.core.fsm import (
    TransitionRefused,
    apply_transition,
    lock,
    record_transition,
    require_transition,
    run_transition,
)
from ltc_portal.core.roles import Role, has_role
from ltc_portal.core.services import assign_fields
from opportunities.models import Opportunity

from .models import (
    AcceptanceCertificate,
    ChangeRequest,
    ChangeState,
    Delegation,
    DelegationScope,
    Milestone,
    MilestoneState,
    Project,
    ProjectState,
    TeamMember,
)

PM_FIELDS = ("name", "currency", "technical_solution", "delivery_approach", "key_risks", "final_scope",
             "delivery_plan", "lessons_learned", "final_acceptance_date", "final_acceptance_by",
             "final_acceptance_ref")
PMO_FIELDS = ("pm", "pm_change_limit")


@transaction.atomic
def project_open_for(*, opportunity: Opportunity, user) -> Project:
    """ATI approved: open the opportunity's delivery project in ``analyze`` (idempotent)."""
    existing = Project.objects.filter(opportunity=opportunity).first()
    if existing:
        return existing
    project = Project.objects.create(opportunity=opportunity, name=opportunity.name, currency=opportunity.currency,
                                     created_by=user, updated_by=user)
    record_transition(project, "open", "", ProjectState.ANALYZE, user,
                      reason=_("ATI approved for opportunity #%(id)s") % {"id": opportunity.pk})
    return project


@transaction.atomic
def project_update(*, project: Project, user, data: dict) -> Project:
    """The PM (or PMO) records the pre-sales work; only the PMO assigns the PM (a member of the
    `delivery` group) and sets the PM's change authority."""
    project = lock(project)
    if not user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO change this project."))
    data = dict(data)
    unknown = set(data) - set(PM_FIELDS) - set(PMO_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    pmo_changes = [f for f in PMO_FIELDS if f in data and data[f] != getattr(project, f)]
    if pmo_changes and not user.has_perm("delivery.assign_pm", project):
        raise PermissionDenied(_("Only the PMO assigns the PM and sets the PM's change authority."))
    pm = data.get("pm")
    if pm is not None and not has_role(pm, Role.DELIVERY):
        raise ValidationError({"pm": [_("The project manager must be in the delivery group.")]})
    if project.state in (ProjectState.CLOSED, ProjectState.CANCELLED):
        raise ValidationError(_("This project is %(state)s.") % {"state": project.get_state_display()})
    for k, v in data.items():
        setattr(project, k, v)
    project.updated_by = user
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_move(*, project: Project, name: str, user, reason: str = "") -> Project:
    """Run an internal step of the project (``plan`` on ATB, ``cancel`` on a lost opportunity)."""
    project = lock(project)
    return apply_transition(project, name, user, reason=reason)


def project_transition(project: Project, name: str, *, user, reason: str = "") -> Project:
    """``start_implementation`` (the team staffed and a baseline plan); the DR steps run through their
    gate reviews and ``plan``/``cancel`` follow the opportunity, so calling them is refused (409)."""
    return run_transition(project, name, user=user, reason=reason)


# Team ------------------------------------------------------------------------------------------

TEAM_FIELDS = ("user", "role", "allocation_percent", "start_date", "end_date")


def _require_project_writer(project, user):
    if not user.has_perm("delivery.change_project", project):
        raise PermissionDenied(_("Only the project's PM or the PMO change its team and plan."))


@transaction.atomic
def team_member_add(*, project: Project, user, data: dict) -> TeamMember:
    """Only the PM (or PMO) staffs the team."""
    project = lock(project)
    _require_project_writer(project, user)
    member = TeamMember(project=project, created_by=user, updated_by=user)
    assign_fields(member, data, TEAM_FIELDS)
    if member.user_id and not member.user.is_active:
        raise ValidationError({"user": [_("This person is no longer active.")]})
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def team_member_update(*, member: TeamMember, user, data: dict) -> TeamMember:
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    _require_project_writer(member.project, user)
    assign_fields(member, {k: v for k, v in data.items() if k != "project"}, TEAM_FIELDS)
    member.updated_by = user
    member.full_clean()
    member.save()
    return member


# Delegated authority ---------------------------------------------------------------------------

DELEGATION_FIELDS = ("grantee", "scope", "limit_amount", "valid_from", "valid_to")


def _require_pm(project, user):
    if not (project.pm_id == user.pk or user.has_perm("delivery.assign_pm", project)):
        raise PermissionDenied(_("Only the project's PM (or the PMO) grants and revokes authority."))


@transaction.atomic
def delegation_grant(*, project: Project, user, data: dict, replaces: Delegation | None = None) -> Delegation:
    """The PM grants a team member a scope up to an amount for a time window."""
    project = lock(project)
    _require_pm(project, user)
    delegation = Delegation(project=project, created_by=user, updated_by=user, replaces=replaces)
    assign_fields(delegation, data, DELEGATION_FIELDS)
    if delegation.grantee_id and not project.team.filter(user_id=delegation.grantee_id).exists():
        raise ValidationError({"grantee": [_("Authority is granted to members of the project team.")]})
    delegation.full_clean()
    delegation.save()
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation, user) -> Delegation:
    """Revoke; the grant and its revocation stay on record."""
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    _require_pm(delegation.project, user)
    if delegation.revoked_at is not None:
        raise TransitionRefused(_("This delegation is already revoked."))
    Delegation.objects.filter(pk=delegation.pk).update(revoked_at=timezone.now(), revoked_by=user)
    delegation.refresh_from_db()
    return delegation


@transaction.atomic
def delegation_narrow(*, delegation: Delegation, user, limit_amount=None, valid_to=None) -> Delegation:
    """Narrow an authority (lower limit, earlier end): the old grant is revoked and a new one replaces it."""
    if limit_amount is not None and limit_amount > delegation.limit_amount:
        raise ValidationError({"limit_amount": [_("Narrowing cannot raise the limit; grant a new authority.")]})
    if valid_to is not None and valid_to > delegation.valid_to:
        raise ValidationError({"valid_to": [_("Narrowing cannot extend the window; grant a new authority.")]})
    old = delegation_revoke(delegation=delegation, user=user)
    return delegation_grant(project=old.project, user=user, replaces=old, data={
        "grantee": old.grantee, "scope": old.scope, "valid_from": old.valid_from,
        "limit_amount": old.limit_amount if limit_amount is None else limit_amount,
        "valid_to": old.valid_to if valid_to is None else valid_to})


def authority_check(*, project: Project, user, scope: str, amount=Decimal("0"), day=None) -> None:
    """Raise PermissionDenied, saying why, unless ``user`` may act in ``scope`` for ``amount`` today:
    the PM (for changes up to the PM's change limit) or the holder of an active delegation."""
    day = day or timezone.localdate()
    if project.pm_id == user.pk and (scope != DelegationScope.APPROVE_CHANGE or amount <= project.pm_change_limit):
        return
    grants = list(project.delegations.filter(grantee=user, scope=scope))
    if any(g.active_on(day) and g.limit_amount >= amount for g in grants):
        return
    label = DelegationScope(scope).label
    if not grants:
        raise PermissionDenied(_("You hold no delegated authority to %(scope)s on this project.")
                               % {"scope": str(label).lower()})
    if not any(g.active_on(day) for g in grants):
        raise PermissionDenied(_("Your authority to %(scope)s is revoked or outside its validity window.")
                               % {"scope": str(label).lower()})
    raise PermissionDenied(_("%(amount)s is above your authority to %(scope)s (up to %(limit)s).")
                           % {"amount": amount, "scope": str(label).lower(),
                              "limit": max(g.limit_amount for g in grants if g.active_on(day))})


# Milestones and acceptance -----------------------------------------------------------------------

MILESTONE_FIELDS = ("name", "deliverables", "planned_start", "planned_end", "actual_end")


@transaction.atomic
def milestone_create(*, project: Project, user, data: dict) -> Milestone:
    project = lock(project)
    _require_project_writer(project, user)
    milestone = Milestone(project=project, created_by=user, updated_by=user)
    assign_fields(milestone, data, MILESTONE_FIELDS)
    milestone.full_clean()
    milestone.save()
    record_transition(milestone, "open", "", MilestoneState.PLANNED, user)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user, data: dict) -> Milestone:
    milestone = lock(milestone)
    _require_project_writer(milestone.project, user)
    if milestone.state != MilestoneState.PLANNED and set(data) - {"actual_end"}:
        raise TransitionRefused(_("An accepted or waived milestone keeps its plan; only its actual end can be set."))
    assign_fields(milestone, {k: v for k, v in data.items() if k != "project"}, MILESTONE_FIELDS)
    milestone.updated_by = user
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def milestone_accept(*, milestone: Milestone, user, signed_by: str, date, document_ref: str, remarks: str = "",
                     reason: str = "") -> Milestone:
    """Record the customer's acceptance certificate (by the PM or a holder of accept_milestone
    authority): the milestone is accepted and the contract payments triggered by it become due."""
    milestone = lock(milestone)
    authority_check(project=milestone.project, user=user, scope=DelegationScope.ACCEPT_MILESTONE)
    missing = {k: [_("Required for the acceptance.")] for k, v in
               {"signed_by": signed_by, "date": date, "document_ref": document_ref}.items()
               if not v or (isinstance(v, str) and not v.strip())}
    if missing:
        raise ValidationError(missing)
    require_transition(milestone, "accept", None)
    AcceptanceCertificate.objects.create(milestone=milestone, signed_by=signed_by.strip(), date=date,
                                         document_ref=document_ref.strip(), remarks=remarks, recorded_by=user)
    if milestone.actual_end is None:
        milestone.actual_end = date
    milestone = apply_transition(milestone, "accept", user, reason=reason,
                                 data={"document_ref": document_ref, "signed_by": signed_by})
    payments_due_on_acceptance(milestone=milestone, user=user)
    return milestone


@transaction.atomic
def milestone_waive(*, milestone: Milestone, user, reason: str) -> Milestone:
    """Waiving needs the PMO and a reason."""
    if not user.has_perm("delivery.waive_milestone", milestone):
        raise PermissionDenied(_("Only the PMO waives a milestone."))
    return run_transition(milestone, "waive", user=user, reason=reason)


def milestone_transition(milestone: Milestone, name: str, *, user, reason: str = "", **data) -> Milestone:
    if name == "accept":
        return milestone_accept(milestone=milestone, user=user, reason=reason, **data)
    if name == "waive":
        return milestone_waive(milestone=milestone, user=user, reason=reason)
    return run_transition(milestone, name, user=user, reason=reason)


# Change requests (DR2) ---------------------------------------------------------------------------

CHANGE_FIELDS = ("title", "reason", "scope_impact", "schedule_impact_days", "cost_impact", "contract_value_impact")


@transaction.atomic
def change_request_create(*, project: Project, user, data: dict) -> ChangeRequest:
    """Any member of the team (or the PMO) raises a change; DR2 decides it."""
    project = lock(project)
    if not (user.has_perm("delivery.change_project", project) or project.team.filter(user=user).exists()):
        raise PermissionDenied(_("Only the project team raises changes."))
    if project.state not in (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER):
        raise TransitionRefused(_("Changes are raised while the project is in build, implement or handover."))
    change = ChangeRequest(project=project, created_by=user, updated_by=user)
    assign_fields(change, data, CHANGE_FIELDS)
    change.full_clean()
    change.save()
    record_transition(change, "open", "", ChangeState.DRAFT, user)
    return change


@transaction.atomic
def change_request_update(*, change: ChangeRequest, user, data: dict) -> ChangeRequest:
    change = lock(change)
    if not (change.created_by_id == user.pk or user.has_perm("delivery.change_project", change.project)):
        raise PermissionDenied(_("Only whoever raised the change, its PM or the PMO edit it."))
    if change.state != ChangeState.DRAFT:
        raise TransitionRefused(_("A decided change is not edited; raise a new one."))
    review = gates_latest_review(change, "DR2")
    if review is not None and review.state == "pending":
        raise TransitionRefused(_("DR2 is reviewing this change; wait for the decision."))
    assign_fields(change, {k: v for k, v in data.items() if k != "project"}, CHANGE_FIELDS)
    change.updated_by = user
    change.full_clean()
    change.save()
    return change


def change_request_transition(change: ChangeRequest, name: str, *, user, reason: str = "") -> ChangeRequest:
    return run_transition(change, name, user=user, reason=reason)
