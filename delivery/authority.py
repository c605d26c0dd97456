"""Delegated authority (DOMAIN.md §6): the one home of "may this person act in this scope, for this
amount, on this project today".

The PM acts in every scope on their project, except that approving a change is limited to the PM's
change authority (``pm_change_limit``, set by the PMO). Anyone else acts through a delegation the PM
granted them: in scope, not revoked, inside its window, and with a limit that covers the amount.

Everything here works over ``project.delegations.all()`` so that a list that prefetches the
delegations (the decisions page, the cockpit) costs no query per row. The rules predicate, the DR2
deciding role and the services all ask here.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.money import money_text

from .models import DelegationScope


def _grants(project, user, scope) -> list:
    return [d for d in project.delegations.all() if d.grantee_id == user.pk and d.scope == scope]


def authority_refusal(*, project, user, scope: str, amount=Decimal("0"), day=None) -> PermissionDenied | None:
    """None when ``user`` may act in ``scope`` for ``amount`` on ``project`` on ``day`` (today by
    default); otherwise the PermissionDenied that says why: no authority, revoked or outside its
    window, or above its limit."""
    if user is None or not user.is_authenticated:
        return PermissionDenied(_("Sign in first."))
    day = day or timezone.localdate()
    amount = abs(Decimal(amount or 0))
    if project.pm_id == user.pk and (scope != DelegationScope.APPROVE_CHANGE or amount <= project.pm_change_limit):
        return None
    grants = _grants(project, user, scope)
    active = [g for g in grants if g.active_on(day)]
    if any(g.limit_amount >= amount for g in active):
        return None
    label = str(DelegationScope(scope).label).lower()
    if project.pm_id == user.pk and not grants:
        return PermissionDenied(
            _("%(amount)s is above your change authority as PM (up to %(limit)s).")
            % {
                "amount": money_text(amount, project.currency),
                "limit": money_text(project.pm_change_limit, project.currency),
            }
        )
    if not grants:
        return PermissionDenied(_("You hold no delegated authority to %(scope)s on this project.") % {"scope": label})
    if not active:
        return PermissionDenied(
            _("Your authority to %(scope)s is revoked or outside its validity window.") % {"scope": label}
        )
    return PermissionDenied(
        _("%(amount)s is above your authority to %(scope)s (up to %(limit)s).")
        % {
            "amount": money_text(amount, project.currency),
            "scope": label,
            "limit": money_text(max(g.limit_amount for g in active), project.currency),
        }
    )


def has_authority(*, project, user, scope: str, amount=Decimal("0"), day=None) -> bool:
    return authority_refusal(project=project, user=user, scope=scope, amount=amount, day=day) is None


def require_authority(*, project, user, scope: str, amount=Decimal("0"), day=None) -> None:
    refusal = authority_refusal(project=project, user=user, scope=scope, amount=amount, day=day)
    if refusal is not None:
        raise refusal
