"""Who may see and change delivery projects, and the guards the services and pages share.

- The PM and `pmo` change the project (the PMO assigns the PM and sets the PM's change authority).
- `pmo`, `finance`, `executive`, `solution`, `sales_director` and superusers read every project
  (``PROJECT_READERS``, also used by ``selectors.project_visible``); the opportunity's owner reads
  its project; its PM and its team members read it.
- The owner of an issue (ITR) works it (start, resolve, close); the PM and the PMO still may.
- A closed or cancelled project takes no more changes (``project_writable``).
"""

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.guards import guard
from ltc_portal.core.roles import Role, is_pmo, is_superuser, user_roles

from .authority import has_authority
from .models import DelegationScope, ProjectState

#: roles that read every delivery project
PROJECT_READERS = frozenset({Role.PMO, Role.FINANCE, Role.EXECUTIVE, Role.SOLUTION, Role.SALES_DIRECTOR})
#: the phases in which the team raises change requests (DR2)
CHANGE_PHASES = (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER)


@rules.predicate
def is_pm(user, project):
    return project is not None and project.pm_id == user.pk


@rules.predicate
def is_team_member(user, project):
    return project is not None and project.team.filter(user_id=user.pk).exists()


@rules.predicate
def owns_opportunity(user, project):
    return project is not None and project.opportunity.owner_id == user.pk


@rules.predicate
def reads_all_projects(user):
    return bool(user_roles(user) & PROJECT_READERS)


@rules.predicate
def no_object(user, obj):
    return obj is None


@rules.predicate
def is_delivery(user):
    return Role.DELIVERY in user_roles(user)


rules.add_perm(
    "delivery.view_project",
    is_superuser
    | reads_all_projects
    | is_pm
    | owns_opportunity
    | is_team_member
    | (no_object & (is_delivery | rules.is_authenticated)),
)
rules.add_perm("delivery.change_project", is_superuser | is_pmo | is_pm)
rules.add_perm("delivery.assign_pm", is_superuser | is_pmo)
rules.add_perm("delivery.add_project", rules.always_deny)
rules.add_perm("delivery.delete_project", rules.always_deny)


# The project's records (team, delegations, milestones, risks, issues, changes, quality, meetings):
# whoever reads the project reads them; its PM and the PMO write them.
@rules.predicate
def reads_records_project(user, record):
    return record is None or user.has_perm("delivery.view_project", record.project)


@rules.predicate
def writes_records_project(user, record):
    if record is None:
        return bool(user_roles(user) & {Role.PMO, Role.DELIVERY}) or user.is_superuser
    return user.has_perm("delivery.change_project", record.project)


for _model in (
    "teammember",
    "delegation",
    "milestone",
    "risk",
    "projectissue",
    "changerequest",
    "qualitycheck",
    "meeting",
):
    rules.add_perm(f"delivery.view_{_model}", reads_records_project)
    rules.add_perm(f"delivery.change_{_model}", writes_records_project)
    rules.add_perm(f"delivery.add_{_model}", writes_records_project)
    rules.add_perm(f"delivery.delete_{_model}", rules.always_deny)
rules.add_perm("delivery.waive_milestone", is_superuser | is_pmo)


@rules.predicate
def may_accept_milestone(user, milestone):
    """The PM, or a holder of an active accept_milestone delegation (delivery.authority says why not)."""
    return milestone is not None and has_authority(
        project=milestone.project, user=user, scope=DelegationScope.ACCEPT_MILESTONE
    )


rules.add_perm("delivery.accept_milestone", may_accept_milestone)


@rules.predicate
def is_issue_owner(user, issue):
    return issue is not None and issue.owner_id == user.pk


rules.add_perm("delivery.work_projectissue", is_issue_owner | writes_records_project)


# Guards: the right and the project's state together, for services and pages alike ------------------


def finished_refusal(project) -> TransitionRefused:
    state = project.get_state_display()
    return TransitionRefused(
        _("The project is “%(state)s”: nothing on it changes any more.") % {"state": state},
        [_("The project is in state “%(state)s”.") % {"state": state}],
    )


@guard
def project_open(project, user=None):
    """Nothing on a closed or cancelled project changes any more (whoever asks)."""
    return finished_refusal(project) if project.is_finished else None


@guard
def project_writable(project, user):
    """The PM or the PMO change an open project and its records (team, plan, budget, registers)."""
    if not user.has_perm("delivery.change_project", project):
        return PermissionDenied(_("Only the project's PM or the PMO change this project and its records."))
    if project.is_finished:
        return finished_refusal(project)
    return None


@guard
def authority_grantable(project, user):
    """The PM (or the PMO) grants, narrows and revokes delegated authority on an open project."""
    if not (project.pm_id == user.pk or user.has_perm("delivery.assign_pm", project)):
        return PermissionDenied(_("Only the project's PM (or the PMO) grants and revokes authority."))
    if project.is_finished:
        return finished_refusal(project)
    return None


@guard
def change_raisable(project, user):
    """Any member of the team, its PM or the PMO raise a change while the project is in build,
    implement or handover."""
    if not (user.has_perm("delivery.change_project", project) or is_team_member(user, project)):
        return PermissionDenied(_("Only the project team raises changes."))
    if project.is_finished:
        return finished_refusal(project)
    if project.state not in CHANGE_PHASES:
        return TransitionRefused(
            _("Changes are raised while the project is in build, implement or handover."),
            [_("The project is in state “%(state)s”.") % {"state": project.get_state_display()}],
        )
    return None


@guard
def issue_workable(issue, user):
    """The issue's owner, the PM or the PMO work an issue of an open project."""
    if not user.has_perm("delivery.work_projectissue", issue):
        return PermissionDenied(_("Only the issue's owner, the project's PM or the PMO work this issue."))
    if issue.project.is_finished:
        return finished_refusal(issue.project)
    return None
