"""The control-point engine: request a gate on a subject, decide it role by role, and on the last
approval run the subject's guarded transition in the same transaction."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ltc_portal.core.fsm import TransitionRefused, lock, log_created, run_effect, said

from . import registry
from .models import Decision, GateDecision, GateDefinition, GateReview, ReviewState
from .selectors import holds_role, request_blockers, required_roles_for, role_label, run_checklist

# Requesting ------------------------------------------------------------------------------------


@transaction.atomic
def gate_request(
    *, code: str, subject, user, comment: str = "", evidence: list[str] | None = None, context: dict | None = None
) -> GateReview:
    """Request a gate on a subject. Only its owner (the PM for delivery gates) may; the checklist must
    pass, the subject must be where the gate applies, and no review of it may be pending or approved.
    The deciding roles are fixed now, margin escalation included."""
    definition = GateDefinition.objects.filter(code=code, active=True).first()
    if definition is None:
        raise ValidationError({"gate": [_("Unknown or inactive gate: %(code)s.") % {"code": code}]})
    st = registry.subject_type_of(subject)
    if st is None or st.code != definition.subject_type:
        raise ValidationError(
            {
                "subject_type": [
                    _("%(code)s is decided on a %(type)s.")
                    % {"code": code, "type": definition.get_subject_type_display()}
                ]
            }
        )
    subject = lock(subject)
    if not st.can_request(subject, user):
        raise PermissionDenied(_("Only %(who)s may request %(code)s.") % {"who": st.requester, "code": code})
    checklist = run_checklist(definition, subject)
    blockers = request_blockers(definition, subject, user, checklist=checklist)
    if blockers:
        raise TransitionRefused(_("%(code)s cannot be requested yet.") % {"code": code}, blockers)
    try:
        with transaction.atomic():
            review = GateReview.objects.create(
                gate=definition,
                content_type=ContentType.objects.get_for_model(type(subject)),
                object_id=subject.pk,
                requested_by=user,
                comment=comment,
                evidence=list(evidence or []),
                required_roles=required_roles_for(definition, subject),
                context={
                    **registry.request_context(definition, subject),
                    **(context or {}),
                    # what passed at the request, for the deciders' list ("checklist" is kept at approval)
                    "checklist_requested": [vars(item) for item in checklist],
                },
                created_by=user,
                updated_by=user,
            )
    except IntegrityError as exc:
        raise TransitionRefused(_("A review of %(code)s is already pending.") % {"code": code}) from exc
    log_created(review, user=user, reason=comment)
    return review


# Deciding --------------------------------------------------------------------------------------


def _pick_role(review: GateReview, user, role: str | None, decisions: list[GateDecision]) -> str:
    done = {d.role: d for d in decisions}
    if role:
        if role not in review.required_roles:
            raise ValidationError(
                {
                    "role": [
                        _("%(role)s does not decide this review; it needs %(roles)s.")
                        % {"role": role_label(role), "roles": ", ".join(map(role_label, review.required_roles))}
                    ]
                }
            )
        if not holds_role(user, role, review.subject):
            raise PermissionDenied(_("You do not hold the role %(role)s.") % {"role": role_label(role)})
        if role in done:
            raise TransitionRefused(
                _("%(role)s has already decided this review.") % {"role": role_label(role)},
                [_("Decided by %(who)s.") % {"who": done[role].decided_by}],
            )
        return role
    mine = [r for r in review.required_roles if holds_role(user, r, review.subject)]
    open_mine = [r for r in mine if r not in done]
    if not mine:
        raise PermissionDenied(
            _("This review is decided by %(roles)s; you hold none of these roles.")
            % {"roles": ", ".join(map(role_label, review.required_roles))}
        )
    if not open_mine:
        raise TransitionRefused(
            _("Your role has already decided this review."),
            [_("%(role)s decided by %(who)s.") % {"role": role_label(r), "who": done[r].decided_by} for r in mine],
        )
    if len(open_mine) > 1:
        raise ValidationError(
            {
                "role": [
                    _("You hold several deciding roles (%(roles)s): say which one you decide as.")
                    % {"roles": ", ".join(map(role_label, open_mine))}
                ]
            }
        )
    return open_mine[0]


@transaction.atomic
def gate_decide(*, review: GateReview, user, decision: str, role: str | None = None, comment: str = "") -> GateReview:
    """Record one required role's decision. A rejection rejects the review. The last approval
    approves it and runs the subject's guarded transition in this transaction (the subject row is
    locked); if the checklist or the transition fails then, nothing is recorded.
    Refusals: the requester deciding (403), a role the user lacks (403), one person filling a second
    role (403), a role already decided or a review no longer pending (409), rejecting without a
    comment (400)."""
    if decision not in Decision.values:
        raise ValidationError({"decision": [_("Approve or reject.")]})
    review = GateReview.objects.select_for_update().select_related("gate").get(pk=review.pk)
    if review.state != ReviewState.PENDING:
        raise TransitionRefused(_("This review is already %(state)s.") % {"state": review.get_state_display()})
    if user.pk == review.requested_by_id:
        raise PermissionDenied(_("You requested this review; someone else must decide it."))
    decisions = list(review.decisions.select_related("decided_by"))
    mine = [d for d in decisions if d.decided_by_id == user.pk]
    if mine:
        raise PermissionDenied(
            _("You already decided this review as %(role)s; one person cannot fill two roles.")
            % {"role": role_label(mine[0].role)}
        )
    role = _pick_role(review, user, role, decisions)
    if decision == Decision.REJECT and not (comment or "").strip():
        raise ValidationError({"comment": [_("Say why you reject.")]})
    GateDecision.objects.create(review=review, role=role, decision=decision, decided_by=user, comment=comment)
    now = timezone.now()
    if decision == Decision.REJECT:
        GateReview.objects.filter(pk=review.pk).update(decided_at=now)
        return run_effect(review, "reject", user=user, reason=comment, data={"role": role})
    approved_roles = {d.role for d in decisions if d.decision == Decision.APPROVE} | {role}
    if not set(review.required_roles) <= approved_roles:
        return review
    GateReview.objects.filter(pk=review.pk).update(decided_at=now)
    return _finalise_approval(review, user, comment)


def _finalise_approval(review: GateReview, user, comment: str) -> GateReview:
    """The last approval: re-run the checklist on the locked subject, keep it on the review, approve
    the review, then run the subject's guarded step as its effect (both logged and published)."""
    subject = lock(review.subject)
    checklist = run_checklist(review.gate, subject)
    failed = [item.message for item in checklist if not item.passed]
    if failed:
        raise TransitionRefused(
            _("%(code)s cannot be approved: its checklist no longer passes.") % {"code": review.gate.code}, failed
        )
    GateReview.objects.filter(pk=review.pk).update(
        context={**review.context, "checklist": [vars(item) for item in checklist]}
    )
    review = run_effect(review, "approve", user=user, reason=comment)
    if review.gate.transition:
        run_effect(
            subject,
            review.gate.transition,
            user=user,
            reason=said(gettext_noop("%(code)s approved"), code=review.gate.code),
            gate_review_id=review.pk,
        )
    return review


# Definitions -----------------------------------------------------------------------------------


@transaction.atomic
def gate_definition_save(*, definition: GateDefinition, user) -> GateDefinition:
    """Save a gate definition changed in the admin: superusers only; its roles, checklist and step
    validated, and a gate the code relies on not deactivated while subjects wait at it."""
    if not (user and user.is_superuser):
        raise PermissionDenied(_("Only a superuser changes gate definitions."))
    definition.full_clean()
    definition.save()
    return definition
