"""Every write on delivery projects (pre-sales part)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import apply_transition, lock, record_transition
from ltc_portal.core.roles import Role, has_role
from opportunities.models import Opportunity

from .models import Project, ProjectState

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
