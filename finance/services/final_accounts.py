"""Final accounts (决算, DOMAIN.md §5): at handover finance draws up a project's final accounts — the
estimate, every budget version, the actual cost by category, revenue, invoiced, collected, margin and
the variances, in base currency as of the day — explains them and prepares them; DR4 needs them
prepared. A draft's figures are drawn up afresh whenever it is saved and when it is prepared, so the
prepared figures are those of the day finance signed them off. Prepared accounts go back to draft
(``revise``, with a reason) only while the project is still at handover."""

from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from delivery.models import Project, ProjectState
from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_transition

from ..accounting import final_figures
from ..models import FinalAccount, FinalAccountState
from ..rules import is_finance_user

#: what a person writes on final accounts; every other field is drawn up by the portal
FINAL_ACCOUNT_INPUT = ("explanation",)


def _draw_up(final: FinalAccount) -> None:
    for name, value in final_figures(final.project, timezone.localdate()).items():
        setattr(final, name, value)


def _writable(final: FinalAccount | None, project: Project, user: User) -> None:
    if not is_finance_user(user):
        raise PermissionDenied(_("Only finance draws up final accounts."))
    if project.state != ProjectState.HANDOVER:
        raise TransitionRefused(
            _("Final accounts are drawn up at handover (after DR3); the project is “%(state)s”.")
            % {"state": project.get_state_display()}
        )
    if final is not None and final.state == FinalAccountState.PREPARED:
        raise TransitionRefused(
            _("The final accounts are prepared: revise them (with a reason) to change them."),
            [_("Prepared by %(who)s.") % {"who": final.prepared_by}],
        )


def _apply(final: FinalAccount, data: dict) -> None:
    unknown = set(data) - set(FINAL_ACCOUNT_INPUT)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set here.")] for f in sorted(unknown)})
    if "explanation" in data:
        final.explanation = (data["explanation"] or "").strip()


@transaction.atomic
def final_account_create(*, project: Project, user: User, data: dict | None = None) -> FinalAccount:
    """Draw up a project's final accounts (finance, at handover); one per project."""
    project = lock(project)
    _writable(None, project, user)
    if FinalAccount.objects.filter(project=project).exists():
        raise TransitionRefused(_("The project has its final accounts already: change those."))
    final = FinalAccount(project=project, created_by=user, updated_by=user)
    _apply(final, dict(data or {}))
    _draw_up(final)
    final.full_clean(exclude=["state"])
    final.save()
    log_created(final, user=user)
    return final


@transaction.atomic
def final_account_update(*, final: FinalAccount, user: User, data: dict) -> FinalAccount:
    """Change the explanation of draft final accounts; the figures are drawn up again as of today."""
    final = lock(final)
    _writable(final, final.project, user)
    _apply(final, dict(data))
    _draw_up(final)
    final.updated_by = user
    final.full_clean(exclude=["state"])
    final.save()
    return final


@transaction.atomic
def final_account_transition(*, final: FinalAccount, name: str, user: User, reason: str = "") -> FinalAccount:
    """``prepare`` (finance: explained, at handover; the figures are drawn up as it is prepared) or
    ``revise`` (finance, with a reason, before DR4 closes the project)."""

    def stamp(locked: FinalAccount) -> dict:
        if name == "prepare":
            _draw_up(locked)
            locked.prepared_by = user
            locked.prepared_at = timezone.now()
            return {"as_of": str(locked.as_of), "actual_cost": str(locked.actual_cost), "complete": locked.complete}
        return {}

    return run_transition(final, name, user=user, reason=reason, prepare=stamp)
