"""The team and delegated authority: only the PM (or the PMO) staffs the team and grants authority;
a grant is never edited (narrowing revokes it and grants a new one that replaces it)."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import TransitionRefused, lock
from ltc_portal.core.roles import user_roles
from ltc_portal.core.services import assign_fields

from ..models import Delegation, Project, TeamMember
from ..rules import authority_grantable, project_writable
from ..selectors import team_role_refusal

TEAM_FIELDS = ("user", "role", "allocation_percent", "start_date", "end_date")
DELEGATION_FIELDS = ("grantee", "scope", "limit_amount", "valid_from", "valid_to")


def _require_team_person(member: TeamMember, before: int | None = None) -> None:
    """Whoever joins a team (added, or put in a member's place) is active and holds one of the roles in
    TEAM_MEMBER_ROLES (being on a team lets one read the project). A member who stays the same person
    is not checked again: a member who has left can still have their dates or allocation corrected."""
    if not member.user_id or member.user_id == before:
        return
    if not member.user.is_active:
        raise ValidationError({"user": [_("This person is no longer active.")]})
    if not (user_roles(member.user) & set(settings.TEAM_MEMBER_ROLES)):
        raise ValidationError({"user": [team_role_refusal()]})


@transaction.atomic
def team_member_add(*, project: Project, user: User, data: dict) -> TeamMember:
    """Only the PM (or PMO) staffs the team of an open project, with active people."""
    project = lock(project)
    project_writable.require(project, user)
    member = TeamMember(project=project, created_by=user, updated_by=user)
    assign_fields(member, data, TEAM_FIELDS)
    _require_team_person(member)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def team_member_update(*, member: TeamMember, user: User, data: dict) -> TeamMember:
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    project_writable.require(member.project, user)
    before = member.user_id
    assign_fields(member, data, TEAM_FIELDS)
    _require_team_person(member, before)
    member.updated_by = user
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def delegation_grant(*, project: Project, user: User, data: dict, replaces: Delegation | None = None) -> Delegation:
    """The PM grants a team member a scope up to an amount for a time window."""
    project = lock(project)
    authority_grantable.require(project, user)
    delegation = Delegation(project=project, created_by=user, updated_by=user, replaces=replaces)
    assign_fields(delegation, data, DELEGATION_FIELDS)
    if delegation.grantee_id and not project.team.filter(user_id=delegation.grantee_id).exists():
        raise ValidationError({"grantee": [_("Authority is granted to members of the project team.")]})
    delegation.full_clean()
    delegation.save()
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation, user: User) -> Delegation:
    """Revoke; the grant and its revocation stay on record."""
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    authority_grantable.require(delegation.project, user)
    if delegation.revoked_at is not None:
        raise TransitionRefused(_("This delegation is already revoked."))
    Delegation.objects.filter(pk=delegation.pk).update(revoked_at=timezone.now(), revoked_by=user)
    delegation.refresh_from_db()
    return delegation


@transaction.atomic
def delegation_narrow(*, delegation: Delegation, user: User, limit_amount=None, valid_to=None) -> Delegation:
    """Narrow an authority (lower limit, earlier end): the old grant is revoked and a new one replaces it."""
    if limit_amount is not None and limit_amount > delegation.limit_amount:
        raise ValidationError({"limit_amount": [_("Narrowing cannot raise the limit; grant a new authority.")]})
    if valid_to is not None and valid_to > delegation.valid_to:
        raise ValidationError({"valid_to": [_("Narrowing cannot extend the window; grant a new authority.")]})
    old = delegation_revoke(delegation=delegation, user=user)
    return delegation_grant(
        project=old.project,
        user=user,
        replaces=old,
        data={
            "grantee": old.grantee,
            "scope": old.scope,
            "valid_from": old.valid_from,
            "limit_amount": old.limit_amount if limit_amount is None else limit_amount,
            "valid_to": old.valid_to if valid_to is None else valid_to,
        },
    )
