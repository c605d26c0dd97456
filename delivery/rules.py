"""Who may see and change delivery projects.

- The PM and `pmo` change the project (the PMO assigns the PM and sets the PM's change authority).
- `pmo`, `finance`, `executive`, `solution`, `sales_director` and superusers read every project;
  the opportunity's owner reads its project; its PM and its team members read it.
"""

import rules
from django.utils import timezone

from ltc_portal.core.roles import Role, is_pmo, is_superuser, user_roles


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
    return bool(user_roles(user) & {Role.PMO, Role.FINANCE, Role.EXECUTIVE, Role.SOLUTION, Role.SALES_DIRECTOR})


@rules.predicate
def no_object(user, obj):
    return obj is None


@rules.predicate
def is_delivery(user):
    return Role.DELIVERY in user_roles(user)


rules.add_perm("delivery.view_project", is_superuser | reads_all_projects | is_pm | owns_opportunity | is_team_member
               | (no_object & (is_delivery | rules.is_authenticated)))
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


for _model in ("teammember", "delegation", "milestone", "risk", "projectissue", "changerequest", "qualitycheck",
               "meeting"):
    rules.add_perm(f"delivery.view_{_model}", reads_records_project)
    rules.add_perm(f"delivery.change_{_model}", writes_records_project)
    rules.add_perm(f"delivery.add_{_model}", writes_records_project)
    rules.add_perm(f"delivery.delete_{_model}", rules.always_deny)
rules.add_perm("delivery.waive_milestone", is_superuser | is_pmo)


@rules.predicate
def may_accept_milestone(user, milestone):
    """The PM, or a holder of an active accept_milestone delegation (services.authority_check says why not)."""
    if milestone is None:
        return False
    today = timezone.localdate()
    return milestone.project.pm_id == user.pk or milestone.project.delegations.filter(
        grantee_id=user.pk, scope="accept_milestone", revoked_at__isnull=True, valid_from__lte=today,
        valid_to__gte=today).exists()


rules.add_perm("delivery.accept_milestone", may_accept_milestone)
