"""What the apps tell the control-point engine, in their ``apps.ready``:

- ``register_subject``: a model that gates are requested on (``opportunity``, ``project``,
  ``change_request``) and who may request a gate on it (the owner; the PM for delivery gates);
- ``register_check``: a checklist predicate (a ``Check``) under a key that gate definitions list;
  a downstream app registers its checks on an upstream gate (delivery adds "DRA and DTRB approved"
  to ATB) without the upstream app importing it;
- ``register_extra_roles``: a rule adding required roles to a review when it is requested (the
  margin rule: ATB and ATC also need ``executive`` below ``MIN_GROSS_MARGIN``).
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


_SUBJECTS: dict[str, SubjectType] = {}
_CHECKS: dict[str, Check] = {}
_EXTRA_ROLES: list[Callable] = []


def register_subject(code: str, model: type, *, can_request: Callable, requester: str, visible: Callable) -> None:
    _SUBJECTS[code] = SubjectType(code, model, can_request, requester, visible)


def register_check(key: str, check: Check) -> None:
    if not isinstance(check, Check):
        raise TypeError(f"{key}: register a ltc_portal.core.fsm.Check")
    _CHECKS[key] = check


def register_extra_roles(rule: Callable) -> None:
    """``rule(gate_definition, subject) -> set[str]`` of roles to add to a new review."""
    _EXTRA_ROLES.append(rule)


def subject_types() -> dict[str, SubjectType]:
    return dict(_SUBJECTS)


def subject_type_of(instance) -> SubjectType | None:
    for st in _SUBJECTS.values():
        if isinstance(instance, st.model):
            return st
    return None


def check(key: str) -> Check | None:
    return _CHECKS.get(key)


def check_keys() -> list[str]:
    return sorted(_CHECKS)


def extra_roles(definition, subject) -> set[str]:
    roles: set[str] = set()
    for rule in _EXTRA_ROLES:
        roles |= set(rule(definition, subject) or ())
    return roles
