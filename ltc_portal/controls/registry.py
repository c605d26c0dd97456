"""What the apps tell the control-point engine, in their ``apps.ready``:

- ``register_subject``: a model that gates are requested on (``opportunity``, ``project``,
  ``change_request``) and who may request a gate on it (the owner; the PM for delivery gates);
- ``register_check``: a checklist predicate (a ``Check``) under a key that gate definitions list;
  a downstream app registers its checks on an upstream gate (delivery adds "DRA and DTRB approved"
  to ATB) without the upstream app importing it;
- ``register_roles_rule``: a rule that sets a review's deciding roles when it is requested (the
  margin rule: ATB and ATC also need ``executive`` below ``MIN_GROSS_MARGIN``; DR2 goes to the PM's
  change authority within the PM's limit, else to finance);
- ``register_subject_role``: a deciding role that is not a group but a relation to the subject
  (``change_authority``: the project's PM or a delegate with enough approve_change authority);
- ``uses_gate``: a gate code the code relies on (``gate_approved`` conditions register theirs; a
  check that reads another gate's outcome registers it too). Codes are names; the definitions (data)
  decide roles, checklist and the step on approval. The system check (controls/checks.py) requires a
  definition for every used code, and a used gate cannot be deactivated while subjects wait at it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ltc_portal.core.fsm import Check


@dataclass(frozen=True)
class SubjectType:
    code: str
    model: type
    can_request: Callable  # (subject, user) -> bool
    requester: str  # who may request, in words
    visible: Callable  # (user) -> QuerySet of the subjects the user may see
    prefetch: Callable | None = None  # () -> QuerySet used to load subjects in lists (their relations)


_SUBJECTS: dict[str, SubjectType] = {}
_CHECKS: dict[str, Check] = {}
_ROLES_RULES: list[Callable] = []
_SUBJECT_ROLES: dict[str, tuple[str, Callable]] = {}
_ROLE_CANDIDATES: dict[str, Callable] = {}
_REQUEST_CONTEXT: list[Callable] = []
_USED_GATES: dict[str, Callable | None] = {}


def register_subject(
    code: str,
    model: type,
    *,
    can_request: Callable,
    requester: str,
    visible: Callable,
    prefetch: Callable | None = None,
) -> None:
    _SUBJECTS[code] = SubjectType(code, model, can_request, requester, visible, prefetch)


def register_check(key: str, check: Check) -> None:
    if not isinstance(check, Check):
        raise TypeError(f"{key}: register a ltc_portal.core.fsm.Check")
    if check.passed is None:
        raise TypeError(f"{key}: a checklist item needs the sentence shown when it passes (check(..., passed=_(...)))")
    _CHECKS[key] = check


def register_roles_rule(rule: Callable) -> None:
    """``rule(gate_definition, subject, roles) -> list[str]``: the deciding roles of a new review."""
    _ROLES_RULES.append(rule)


def register_subject_role(code: str, label, holds: Callable, candidates: Callable | None = None) -> None:
    """A deciding role held through the subject: ``holds(subject, user) -> bool``; ``candidates(subject)``
    lists the people who might hold it (those ``holds`` accepts are told a decision waits for them)."""
    _SUBJECT_ROLES[code] = (label, holds)
    if candidates is not None:
        _ROLE_CANDIDATES[code] = candidates


def subject_role_holders(code: str, subject) -> list:
    """The people who hold the subject role ``code`` on ``subject`` now (empty when it names none)."""
    label_holds = _SUBJECT_ROLES.get(code)
    candidates = _ROLE_CANDIDATES.get(code)
    if label_holds is None or candidates is None:
        return []
    return [u for u in candidates(subject) if u.is_active and label_holds[1](subject, u)]


def register_request_context(rule: Callable) -> None:
    """``rule(gate_definition, subject) -> dict`` added to a new review's context (what the deciders
    see, e.g. DR1's budget variance against the estimate)."""
    _REQUEST_CONTEXT.append(rule)


def request_context(definition, subject) -> dict:
    context = {}
    for rule in _REQUEST_CONTEXT:
        context.update(rule(definition, subject) or {})
    return context


def subject_roles() -> dict[str, tuple[str, Callable]]:
    return dict(_SUBJECT_ROLES)


def subject_types() -> dict[str, SubjectType]:
    return dict(_SUBJECTS)


def subject_type_of(instance) -> SubjectType | None:
    for st in _SUBJECTS.values():
        if isinstance(instance, st.model):
            return st
    return None


def check(key: str) -> Check | None:
    return _CHECKS.get(key)


def passed_sentence(key: str) -> str:
    """What a checklist says of the check ``key`` when it passes, in the active language."""
    c = _CHECKS.get(key)
    return str(c.passed) if c is not None and c.passed is not None else key


def check_keys() -> list[str]:
    return sorted(_CHECKS)


def roles_for(definition, subject) -> list[str]:
    roles = list(definition.required_roles)
    for rule in _ROLES_RULES:
        roles = list(rule(definition, subject, roles))
    return roles


def uses_gate(code: str, *, waiting: Callable | None = None) -> str:
    """Declare that the code relies on gate ``code``; returns the code (``DR2 = uses_gate("DR2")``).
    ``waiting() -> QuerySet`` gives the subjects waiting at a gate that runs no step itself (DTRB
    waits on projects in analyze); for a gate that runs a step, the subjects in that step's source
    states are the ones waiting."""
    if waiting is not None or code not in _USED_GATES:
        _USED_GATES[code] = waiting
    return code


def used_gates() -> dict[str, Callable | None]:
    return dict(_USED_GATES)


def waiting_subjects(definition):
    """The subjects waiting at ``definition`` now (a QuerySet), or None when the code does not rely
    on the gate. For a gate that runs a step: the subjects in that step's source states."""
    if definition.code not in _USED_GATES:
        return None
    waiting = _USED_GATES[definition.code]
    if waiting is not None:
        return waiting()
    st = _SUBJECTS.get(definition.subject_type)
    method = getattr(st.model, definition.transition, None) if st and definition.transition else None
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    sources = [s for s in meta.transitions if isinstance(s, str) and s not in ("*", "+")]
    return st.model._default_manager.filter(state__in=sources)
