"""Reads of the control-point engine: the state of a subject's gates (latest review, approved or
not, checklist, who may request or decide now), the decisions queue, and the reviews a user sees."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ltc_portal.core.fsm import Check, check, say_again, unmet_conditions
from ltc_portal.core.roles import Role, has_role, user_roles

from . import registry
from .models import GateDefinition, GateReview, ReviewState

ROLE_LABELS = dict(Role.choices)


def role_label(code: str) -> str:
    if code in ROLE_LABELS:
        return str(ROLE_LABELS[code])
    return str(registry.subject_roles().get(code, (code,))[0])


def role_labels(codes) -> str:
    return ", ".join(role_label(c) for c in codes or [])


# Reading the state of a subject's gates --------------------------------------------------------


def latest_review(subject, code: str) -> GateReview | None:
    return (
        GateReview.objects.filter(
            gate__code=code, content_type=ContentType.objects.get_for_model(type(subject)), object_id=subject.pk
        )
        .order_by("-created_at", "-id")
        .first()
    )


def is_approved(subject, code: str) -> bool:
    return GateReview.objects.filter(
        gate__code=code,
        content_type=ContentType.objects.get_for_model(type(subject)),
        object_id=subject.pk,
        state=ReviewState.APPROVED,
    ).exists()


def gate_approved(code: str) -> Check:
    """Condition of a guarded transition: the gate has been approved for this subject. Registers
    ``code`` as a gate the code relies on (the system check requires its definition)."""
    registry.uses_gate(code)

    @check(
        lambda subject: (
            _("%(code)s must be approved first: request it and have every deciding role approve.") % {"code": code}
        )
    )
    def condition(subject):
        return is_approved(subject, code)

    condition.__name__ = f"{code.lower()}_approved"
    condition.gate = code  # a step guarded only by its gate is run by the engine on approval
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
            items.append(
                ChecklistItem(key, False, _("This check is not available (unknown key %(key)s).") % {"key": key})
            )
            continue
        failures = c.failures(subject)
        items.append(
            ChecklistItem(key, not failures, " ".join(failures) if failures else registry.passed_sentence(key))
        )
    return items


def stored_checklist(items: list[dict]) -> list[ChecklistItem]:
    """A checklist kept on an approved review, in the reader's language: a passed line is said again from
    its check's sentence (the stored text is in the language of whoever approved)."""
    return [
        ChecklistItem(
            item["check"],
            item["passed"],
            registry.passed_sentence(item["check"])
            if item["passed"] and registry.check(item["check"]) is not None
            else item["message"],
        )
        for item in items
    ]


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
    may_request: bool = False  # the user is who requests this gate (whether or not it can be requested now)

    @property
    def other_blockers(self) -> list[str]:
        """What stops the request beyond the checklist's failed lines (shown once, in the checklist)."""
        failed = {item.message for item in self.checklist if not item.passed}
        return [b for b in self.request_blockers if b not in failed]


def gates_for(subject, user=None) -> list[GateStatus]:
    """Every active gate of the subject's type with its status, latest review, checklist, and what
    ``user`` may do now (request it, or decide it as which roles)."""
    st = registry.subject_type_of(subject)
    if st is None:
        return []
    definitions = list(GateDefinition.objects.filter(subject_type=st.code, active=True))
    ct = ContentType.objects.get_for_model(type(subject))
    latest: dict[int, GateReview] = {}
    for review in (
        GateReview.objects.filter(content_type=ct, object_id=subject.pk)
        .select_related("requested_by")
        .prefetch_related("decisions__decided_by")
        .order_by("created_at", "id")
    ):
        latest[review.gate_id] = review
    statuses = []
    for d in definitions:
        review = latest.get(d.pk)
        if review is not None and review.state == ReviewState.APPROVED and "checklist" in review.context:
            # as it stood when approved: the subject has moved on since (a project in plan is no longer
            # "in analyze"), which must not read as a failed check of a passed gate
            checklist = stored_checklist(review.context["checklist"])
        else:
            checklist = run_checklist(d, subject)
        blockers = request_blockers(d, subject, user, review=review, checklist=checklist) if user else []
        statuses.append(
            GateStatus(
                gate=d,
                status=review.state if review else "not_requested",
                review=review,
                checklist=checklist,
                required_roles=review.required_roles if review else required_roles_for(d, subject),
                can_request=user is not None and not blockers,
                request_blockers=blockers,
                decidable_roles=decidable_roles(review, user) if (review and user) else [],
                may_request=bool(user is not None and st.can_request(subject, user)),
            )
        )
    return statuses


def _what_comes_next(items: list, state_of: Callable) -> list:
    """Among a subject's gates in their order: the pending ones, else the first not yet approved."""
    pending = [i for i in items if state_of(i) == ReviewState.PENDING]
    return pending or [i for i in items if state_of(i) != ReviewState.APPROVED][:1]


def next_gates(statuses: list[GateStatus]) -> tuple[list[GateStatus], list[GateStatus]]:
    """Split a subject's gates into what comes next (the pending ones, else the first not yet approved)
    and the rest (approved ones and those further on), for a page that shows another record's gates."""
    shown = _what_comes_next(statuses, lambda g: g.status)
    return shown, [g for g in statuses if g not in shown]


@dataclass(frozen=True)
class NextGate:
    gate: GateDefinition
    status: str  # not_requested | pending | rejected

    @property
    def status_label(self) -> str:
        return str(ReviewState(self.status).label) if self.status in ReviewState.values else _("Not requested")


def next_gates_of(subjects: list) -> dict[int, list[NextGate]]:
    """What ``next_gates`` shows for each of many subjects of one type (a list page), in two queries
    whatever their number: subject pk → its next gates with their state."""
    if not subjects:
        return {}
    st = registry.subject_type_of(subjects[0])
    if st is None:
        return {}
    definitions = list(GateDefinition.objects.filter(subject_type=st.code, active=True))
    latest: dict[tuple[int, int], str] = {}
    for object_id, gate_id, state in (
        GateReview.objects.filter(
            content_type=ContentType.objects.get_for_model(type(subjects[0])),
            object_id__in=[s.pk for s in subjects],
            gate__in=definitions,
        )
        .order_by("created_at", "id")
        .values_list("object_id", "gate_id", "state")
    ):
        latest[(object_id, gate_id)] = state
    return {
        s.pk: [
            NextGate(d, latest.get((s.pk, d.pk), "not_requested"))
            for d in _what_comes_next(definitions, lambda d, pk=s.pk: latest.get((pk, d.pk), "not_requested"))
        ]
        for s in subjects
    }


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


def subjects_prefetch() -> GenericPrefetch:
    """Load the reviews' subjects with what each subject type needs in lists (e.g. a change request's
    project and its delegations, which decide who holds the change authority)."""
    return GenericPrefetch(
        "subject", [(st.prefetch or st.model._default_manager.all)() for st in registry.subject_types().values()]
    )


def reviews_waiting_for(user) -> list[GateReview]:
    """Pending reviews that one of the user's roles must still decide, oldest first. The requester
    and anyone who already decided the review are left out (they may not decide it)."""
    roles = set(user_roles(user))
    subject_roles = registry.subject_roles()
    qs = (
        GateReview.objects.filter(state=ReviewState.PENDING)
        .exclude(requested_by=user)
        .exclude(decisions__decided_by=user)
        .select_related("gate", "requested_by", "content_type")
        .prefetch_related("decisions__decided_by", subjects_prefetch())
        .order_by("created_at", "id")
    )
    waiting = []
    for review in qs:
        open_roles = set(review.required_roles) - {d.role for d in review.decisions.all()}
        if open_roles & roles or any(
            subject_roles[r][1](review.subject, user) for r in open_roles & set(subject_roles)
        ):
            waiting.append(review)
    return waiting


def review_summary(review: GateReview) -> str:
    """What the deciders are shown of the subject when it was requested (DR1's budget against the
    estimate, DR2's impacts), in the reader's language."""
    context = review.context if isinstance(review.context, dict) else {}
    sentences = context.get("sentences")
    if isinstance(sentences, list) and sentences:
        return " ".join(say_again(kept, "") for kept in sentences).strip() or context.get("summary", "")
    return context.get("summary", "")


def web_evidence(review: GateReview) -> list[str]:
    """The review's evidence links a page may show as links: web addresses only (never javascript:)."""
    return [e for e in review.evidence or [] if isinstance(e, str) and e.startswith(("https://", "http://"))]


def review_visible(user, qs: QuerySet | None = None) -> QuerySet:
    """Reviews on subjects the user may see (each subject type says which), and those they requested."""
    qs = GateReview.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    match = Q(requested_by=user)
    for st in registry.subject_types().values():
        match |= Q(
            content_type=ContentType.objects.get_for_model(st.model), object_id__in=st.visible(user).values("pk")
        )
    return qs.filter(match)
