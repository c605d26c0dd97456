"""The project itself: opened by ATI, its pre-sales record and PM, its own step, and the steps it
takes as the effect of the sales side (plan on ATB, cancel on a lost or abandoned opportunity)."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts.models import Contract
from ltc_portal.core.fsm import lock, log_created, run_effect, run_transition, said
from ltc_portal.core.roles import Role, has_role
from opportunities.models import Opportunity, OpportunityState

from ..models import Project, ProjectState
from ..rules import project_writable

PM_FIELDS = (
    "name",
    "currency",
    "technical_solution",
    "delivery_approach",
    "key_risks",
    "final_scope",
    "delivery_plan",
    "lessons_learned",
    "final_acceptance_date",
    "final_acceptance_by",
    "final_acceptance_ref",
)
PMO_FIELDS = ("pm", "pm_change_limit")


@transaction.atomic
def project_open_for(*, opportunity: Opportunity, user: User | None) -> Project:
    """ATI approved: open the opportunity's delivery project in ``analyze`` (idempotent)."""
    existing = Project.objects.filter(opportunity=opportunity).first()
    if existing:
        return existing
    project = Project.objects.create(
        opportunity=opportunity, name=opportunity.name, currency=opportunity.currency, created_by=user, updated_by=user
    )
    log_created(
        project, user=user, reason=said(gettext_noop("ATI approved for opportunity #%(id)s"), id=opportunity.pk)
    )
    return project


@transaction.atomic
def project_update(*, project: Project, user: User, data: dict) -> Project:
    """The PM (or PMO) records the pre-sales work; only the PMO assigns the PM (a member of the
    `delivery` group) and sets the PM's change authority. A closed or cancelled project is not
    changed."""
    project = lock(project)
    project_writable.require(project, user)
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
    for k, v in data.items():
        setattr(project, k, v)
    project.updated_by = user
    project.full_clean()
    project.save()
    return project


def project_transition(*, project: Project, name: str, user: User, reason: str = "") -> Project:
    """``start_implementation`` (the team staffed and a baseline plan); the DR steps run through their
    gate reviews and ``plan``/``cancel`` follow the opportunity, so calling them is refused (409)."""
    return run_transition(project, name, user=user, reason=reason)


def project_plan_for(*, opportunity: Opportunity, user: User | None) -> Project | None:
    """ATB approved: the opportunity's project, still in analyze, moves to plan."""
    project = Project.objects.filter(opportunity=opportunity, state=ProjectState.ANALYZE).first()
    if project is None:
        return None
    return run_effect(project, "plan", user=user, reason=said(gettext_noop("ATB approved")))


def project_cancel_for(*, opportunity: Opportunity, user: User | None, reason: str) -> Project | None:
    """The opportunity was lost or abandoned: its pre-sales project is cancelled with the reason."""
    project = Project.objects.filter(
        opportunity=opportunity, state__in=(ProjectState.ANALYZE, ProjectState.PLAN)
    ).first()
    if project is None:
        return None
    return run_effect(
        project,
        "cancel",
        user=user,
        reason=said(
            gettext_noop("Opportunity %(step)s: %(reason)s"),
            step=OpportunityState(opportunity.state).label,
            reason=reason,
        ),
    )


def project_link_contract(*, contract: Contract) -> int:
    """The opportunity's contract was signed: the project records it (not a step of the project)."""
    return Project.objects.filter(opportunity_id=contract.opportunity_id, contract__isnull=True).update(
        contract=contract
    )
