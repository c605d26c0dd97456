"""The control-point engine: request a gate on a subject, decide it role by role, and on the last
approval run the subject's guarded transition in the same transaction."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import (
    Check,
    TransitionRefused,
    apply_transition,
    check,
    lock,
    record_transition,
    require_transition,
    unmet_conditions,
)
from ltc_portal.core.roles import Role, has_role

from . import registry
from .models import Decision, GateDecision, GateDefinition, GateReview, ReviewState

ROLE_LABELS = dict(Role.choices)


def role_label(code: str) -> str:
    if code in ROLE_LABELS:
        return str(ROLE_LABELS[code])
    return str(registry.subject_roles().get(code, (code,))[0])


# Reading the state of a subject's gates --------------------------------------------------------

def latest_review(subject, code: str) -> GateReview | None:
    return (GateReview.objects.filter(gate__code=code, content_type=ContentType.objects.get_for_model(type(subject)),
                                      object_id=subject.pk).order_by("-created_at", "-id").first())


def is_approved(subject, code: str) -> bool:
    return GateReview.objects.filter(gate__code=code, content_type=ContentType.objects.get_for_model(type(subject)),
                                     object_id=subject.pk, state=ReviewState.APPROVED).exists()


def gate_approved(code: str) -> Check:
    """Condition of a guarded transition: the gate has been approved for this subject."""

    @check(lambda subject: _("%(code)s must be approved first: request it and have every deciding role approve.")
           % {"code": code})
    def condition(subject):
        return is_approved(subject, code)

    condition.__name__ = f"{code.lower()}_approved"
    return condition


@dataclass
class ChecklistItem:
    check: str
    passed: bool
    message: str


def run_checklist(definition: GateDefinition, subject) -> list[ChecklistItem]:
    items = []
    for key in definition.checklist or []:
        c = registry.check(key)
        if c is None:
            items.append(ChecklistItem(key, False, _("This check is not available (unknown key %(key)s).") % {"key": key}))
            continue
        failures = c.failures(subject)
        doc = (c.__doc__ or key).strip().splitlines()[0]
        items.append(ChecklistItem(key, not failures, " ".join(failures) if failures else doc))
    return items


@dataclass
class GateStatus:
    gate: GateDefinition
    status: str  # not_requested | pending | approved | rejected
    review: GateReview | None
    checklist: list[ChecklistItem]
    required_roles: list[str]
    can_request: bool
    request_blockers: list[str] = field(default_factory=list)
    decidable_roles: list[str] = field(default_factory=list)


def gates_for(subject, user=None) -> list[GateStatus]:
    """Every active gate of the subject's type with its status, latest review, checklist, and what
    ``user`` may do now (request it, or decide it as which roles)."""
    st = registry.subject_type_of(subject)
    if st is None:
        return []
    definitions = list(GateDefinition.objects.filter(subject_type=st.code, active=True))
    ct = ContentType.objects.get_for_model(type(subject))
    latest: dict[int, GateReview] = {}
    for review in (GateReview.objects.filter(content_type=ct, object_id=subject.pk)
                   .select_related("requested_by").prefetch_related("decisions__decided_by")
                   .order_by("created_at", "id")):
        latest[review.gate_id] = review
    statuses = []
    for d in definitions:
        review = latest.get(d.pk)
        if review is not None and review.state == ReviewState.APPROVED and "checklist" in review.context:
            # as it stood when approved: the subject has moved on since (a project in plan is no longer
            # "in analyze"), which must not read as a failed check of a passed gate
            checklist = [ChecklistItem(**item) for item in review.context["checklist"]]
        else:
            checklist = run_checklist(d, subject)
        blockers = request_blockers(d, subject, user, review=review, checklist=checklist) if user else []
        statuses.append(GateStatus(
            gate=d, status=review.state if review else "not_requested", review=review, checklist=checklist,
            required_roles=review.required_roles if review else required_roles_for(d, subject),
            can_request=user is not None and not blockers, request_blockers=blockers,
            decidable_roles=decidable_roles(review, user) if (review and user) else [],
        ))
    return statuses


def required_roles_for(definition: GateDefinition, subject) -> list[str]:
    return registry.roles_for(definition, subject)


def holds_role(user, role: str, subject) -> bool:
    """A group role, or a role held through the subject (e.g. the PM's change authority)."""
    resolver = registry.subject_roles().get(role)
    if resolver is not None:
        return bool(user and user.is_authenticated and resolver[1](subject, user))
    return has_role(user, role)


def request_blockers(definition, subject, user, *, review=None, checklist=None) -> list[str]:
    """Why ``user`` cannot request this gate on this subject now (empty: they can)."""
    blockers = []
    st = registry.subject_type_of(subject)
    if review is None:
        review = latest_review(subject, definition.code)
    if review is not None and review.state == ReviewState.PENDING:
        blockers.append(_("A review of %(code)s is already pending.") % {"code": definition.code})
    elif review is not None and review.state == ReviewState.APPROVED:
        blockers.append(_("%(code)s is already approved.") % {"code": definition.code})
    if not st.can_request(subject, user):
        blockers.append(_("Only %(who)s may request %(code)s.") % {"who": st.requester, "code": definition.code})
    if definition.transition:
        blockers.extend(_state_blockers(subject, definition))
    checklist = run_checklist(definition, subject) if checklist is None else checklist
    blockers.extend(item.message for item in checklist if not item.passed)
    return blockers


def _state_blockers(subject, definition) -> list[str]:
    """Why the guarded transition could not run after approval (its own gate condition aside)."""
    return unmet_conditions(subject, definition.transition, skip={f"{definition.code.lower()}_approved"})


def decidable_roles(review: GateReview, user) -> list[str]:
    """The roles ``user`` could decide ``review`` as, right now."""
    if review.state != ReviewState.PENDING or user is None or user.pk == review.requested_by_id:
        return []
    decisions = list(review.decisions.all())
    if any(d.decided_by_id == user.pk for d in decisions):
        return []
    done = {d.role for d in decisions}
    return [r for r in review.required_roles if r not in done and holds_role(user, r, review.subject)]


# Requesting ------------------------------------------------------------------------------------

@transaction.atomic
def gate_request(*, code: str, subject, user, comment: str = "", evidence: list[str] | None = None,
                 context: dict | None = None) -> GateReview:
    """Request a gate on a subject. Only its owner (the PM for delivery gates) may; the checklist must
    pass, the subject must be where the gate applies, and no review of it may be pending or approved.
    The deciding roles are fixed now, margin escalation included."""
    definition = GateDefinition.objects.filter(code=code, active=True).first()
    if definition is None:
        raise ValidationError({"gate": [_("Unknown or inactive gate: %(code)s.") % {"code": code}]})
    st = registry.subject_type_of(subject)
    if st is None or st.code != definition.subject_type:
        raise ValidationError({"subject_type": [_("%(code)s is decided on a %(type)s.")
                                                % {"code": code, "type": definition.get_subject_type_display()}]})
    subject = lock(subject)
    if not st.can_request(subject, user):
        raise PermissionDenied(_("Only %(who)s may request %(code)s.") % {"who": st.requester, "code": code})
    blockers = request_blockers(definition, subject, user)
    if blockers:
        raise TransitionRefused(_("%(code)s cannot be requested yet.") % {"code": code}, blockers)
    try:
        with transaction.atomic():
            review = GateReview.objects.create(
                gate=definition, content_type=ContentType.objects.get_for_model(type(subject)), object_id=subject.pk,
                requested_by=user, comment=comment, evidence=list(evidence or []),
                required_roles=required_roles_for(definition, subject),
                context={**registry.request_context(definition, subject), **(context or {})},
                created_by=user, updated_by=user,
            )
    except IntegrityError as exc:
        raise TransitionRefused(_("A review of %(code)s is already pending.") % {"code": code}) from exc
    record_transition(review, "request", "", ReviewState.PENDING, user, reason=comment)
    return review


# Deciding --------------------------------------------------------------------------------------

def _pick_role(review: GateReview, user, role: str | None, decisions: list[GateDecision]) -> str:
    done = {d.role: d for d in decisions}
    if role:
        if role not in review.required_roles:
            raise ValidationError({"role": [_("%(role)s does not decide this review; it needs %(roles)s.")
                                            % {"role": role_label(role),
                                               "roles": ", ".join(map(role_label, review.required_roles))}]})
        if not holds_role(user, role, review.subject):
            raise PermissionDenied(_("You do not hold the role %(role)s.") % {"role": role_label(role)})
        if role in done:
            raise TransitionRefused(_("%(role)s has already decided this review.") % {"role": role_label(role)},
                                    [_("Decided by %(who)s.") % {"who": done[role].decided_by}])
        return role
    mine = [r for r in review.required_roles if holds_role(user, r, review.subject)]
    open_mine = [r for r in mine if r not in done]
    if not mine:
        raise PermissionDenied(_("This review is decided by %(roles)s; you hold none of these roles.")
                               % {"roles": ", ".join(map(role_label, review.required_roles))})
    if not open_mine:
        raise TransitionRefused(_("Your role has already decided this review."),
                                [_("%(role)s decided by %(who)s.") % {"role": role_label(r), "who": done[r].decided_by}
                                 for r in mine])
    if len(open_mine) > 1:
        raise ValidationError({"role": [_("You hold several deciding roles (%(roles)s): say which one you decide as.")
                                        % {"roles": ", ".join(map(role_label, open_mine))}]})
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
        raise PermissionDenied(_("You already decided this review as %(role)s; one person cannot fill two roles.")
                               % {"role": role_label(mine[0].role)})
    role = _pick_role(review, user, role, decisions)
    if decision == Decision.REJECT and not (comment or "").strip():
        raise ValidationError({"comment": [_("Say why you reject.")]})
    GateDecision.objects.create(review=review, role=role, decision=decision, decided_by=user, comment=comment)
    now = timezone.now()
    if decision == Decision.REJECT:
        review = apply_transition(review, "reject", user, reason=comment, data={"role": role})
        review.decided_at = now
        review.save(update_fields=["decided_at", "updated_at"])
        return review
    approved_roles = {d.role for d in decisions if d.decision == Decision.APPROVE} | {role}
    if not set(review.required_roles) <= approved_roles:
        return review
    _finalise_approval(review, user, comment)
    review.decided_at = now
    review.save(update_fields=["decided_at", "updated_at"])
    return review


def _finalise_approval(review: GateReview, user, comment: str) -> None:
    subject = lock(review.subject)
    failed = [item.message for item in run_checklist(review.gate, subject) if not item.passed]
    if failed:
        raise TransitionRefused(_("%(code)s cannot be approved: its checklist no longer passes.")
                                % {"code": review.gate.code}, failed)
    review.context = {**review.context, "checklist": [vars(item) for item in run_checklist(review.gate, subject)]}
    review.save(update_fields=["context"])
    apply_transition(review, "approve", user, reason=comment)
    if review.gate.transition:
        require_transition(subject, review.gate.transition, None)
        apply_transition(subject, review.gate.transition, user, reason=_("%(code)s approved") % {"code": review.gate.code},
                         gate_review_id=review.pk)

