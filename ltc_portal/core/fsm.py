"""Lifecycle helpers shared by every app: self-explaining conditions, the transitions list, and
running a transition with its row lock, permission check and log entry.

A transition's ``conditions`` are ``Check`` objects (see ``check``): each says in words why it fails.
Its ``permission`` is a callable ``(instance, user) -> bool``; ``may(perm)`` builds one from a
rules permission name. ``custom`` may carry ``label`` (button text), ``needs_reason``, and
``internal`` (a sentence): the step is run by the portal as the effect of another (a gate approval,
a signed contract), never by a user; users calling it get 409 with that sentence.
"""

import inspect
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from .models import TransitionLog


class TransitionRefused(Exception):
    """A transition cannot run now (a condition fails or the state moved). API: 409."""

    def __init__(self, detail: str, reasons: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.reasons = list(reasons or [])


class UnknownTransition(Exception):
    """The record's lifecycle has no transition of that name. API: 404."""


class Check:
    """A condition that explains itself.

    ``func(instance)`` returns True (passes), False (fails with ``message``), or a list of problems
    in words (passes when empty). ``message`` may be a callable ``(instance) -> str``.
    """

    def __init__(self, func, message):
        self.func = func
        self.message = message
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def __call__(self, instance) -> bool:
        return not self.failures(instance)

    def failures(self, instance) -> list[str]:
        result = self.func(instance)
        if result is True or result is None:
            return []
        if result is False:
            return [str(self.message(instance) if callable(self.message) else self.message)]
        return [str(r) for r in result]


def check(message):
    """Decorator: turn a predicate into a ``Check`` with the sentence shown when it fails."""

    def decorate(func):
        return Check(func, message)

    return decorate


def may(perm: str):
    """A transition permission from a rules permission name, checked on the object."""

    def permission(instance, user) -> bool:
        return bool(user and user.is_authenticated and user.has_perm(perm, instance))

    permission.perm = perm
    return permission


@dataclass
class TransitionInfo:
    name: str
    target: str
    label: str
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    needs_reason: bool = False


def _state_field(model):
    return model._meta.get_field("state")


def transition_names(model) -> set[str]:
    return {t.name for t in _state_field(model).get_all_transitions(model)}


def transition_labels(model) -> dict[str, str]:
    """Every transition name of the model's lifecycle with its human label."""
    return {t.name: str(t.custom.get("label") or t.name) for t in _state_field(model).get_all_transitions(model)}


def state_label(instance) -> str:
    return str(dict(_state_field(type(instance)).choices).get(instance.state, instance.state))


#: steps that are not transitions but are logged as such: the record's creation in its first state
LOG_ONLY_STEPS = {"open": _lazy("Opened")}


def _transitions_from(instance):
    """The Transition objects leaving the instance's current state, one per name."""
    meta_field = _state_field(type(instance))
    current = instance.state
    seen = {}
    for t in meta_field.get_all_transitions(type(instance)):
        if t.name in seen:
            continue
        meta = getattr(type(instance), t.name)._django_fsm
        if meta.has_transition(current):
            seen[t.name] = meta.get_transition(current)
    return seen


def _condition_failures(instance, t, skip=frozenset()) -> list[str]:
    reasons = []
    for condition in t.conditions:
        if getattr(condition, "__name__", "") in skip:
            continue
        if isinstance(condition, Check):
            reasons.extend(condition.failures(instance))
        elif not condition(instance):
            reasons.append(_("Condition not met: %(name)s.") % {"name": getattr(condition, "__name__", "?")})
    return reasons


def _reasons(instance, t, user) -> list[str]:
    reasons = []
    if user is not None and t.custom.get("internal"):
        # a step the portal runs itself as the effect of another (a gate approval, a contract signed)
        return [str(t.custom["internal"])]
    if user is not None and not t.has_perm(instance, user):
        label = t.custom.get("label") or t.name
        reasons.append(_("You are not allowed to %(action)s this record.") % {"action": str(label).lower()})
    return reasons + _condition_failures(instance, t)


def describe_transitions(instance, user) -> list[TransitionInfo]:
    """Every transition from the current state, with whether ``user`` may run it now and why not."""
    infos = []
    for name, t in _transitions_from(instance).items():
        reasons = _reasons(instance, t, user)
        infos.append(
            TransitionInfo(
                name=name,
                target=str(t.target),
                label=str(t.custom.get("label") or name),
                allowed=not reasons,
                reasons=reasons,
                needs_reason=bool(t.custom.get("needs_reason")),
            )
        )
    return infos


def require_transition(instance, name: str, user) -> None:
    """Raise unless ``user`` may run ``name`` on ``instance`` now.

    UnknownTransition (404) for a name the lifecycle lacks, PermissionDenied (403) without the right,
    TransitionRefused (409) with every unmet condition otherwise.
    """
    labels = transition_labels(type(instance))
    if name not in labels:
        raise UnknownTransition(name)
    t = _transitions_from(instance).get(name)
    state = state_label(instance)
    if t is None:
        raise TransitionRefused(
            _("“%(name)s” is not possible from state “%(state)s”.") % {"name": labels[name], "state": state},
            [_("The record is in state “%(state)s”.") % {"state": state}],
        )
    if user is not None and t.custom.get("internal"):
        raise TransitionRefused(_("“%(name)s” is not a step you run yourself.") % {"name": labels[name]},
                                [str(t.custom["internal"])])
    if user is not None and not t.has_perm(instance, user):
        raise PermissionDenied(_("You do not have permission to run “%(name)s” on this record.") % {"name": labels[name]})
    reasons = _reasons(instance, t, None)
    if reasons:
        raise TransitionRefused(_("“%(name)s” is not possible yet.") % {"name": labels[name]}, reasons)


def unmet_conditions(instance, name: str, *, skip: set[str] = frozenset()) -> list[str]:
    """Why transition ``name`` could not run now, in words, leaving out the conditions named in
    ``skip`` (permissions are not considered)."""
    t = _transitions_from(instance).get(name)
    if t is None:
        return [_("Not possible while the record is “%(state)s”.") % {"state": state_label(instance)}]
    return _condition_failures(instance, t, skip)


def lock(instance):
    """Re-read the record with a row lock (inside the caller's transaction)."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def apply_transition(instance, name: str, user, *, reason: str = "", data: dict | None = None,
                     gate_review_id: int | None = None, **kwargs):
    """Run the transition method, save, and write the log row. Call inside ``transaction.atomic``
    after ``lock`` and ``require_transition``."""
    source = instance.state
    method = getattr(instance, name)
    params = inspect.signature(method).parameters
    # transitions that keep their reason on the record (disqualify, lose) or need who did it
    # (convert: the handlers it triggers record the user) declare these parameters
    if "reason" in params:
        kwargs.setdefault("reason", reason)
    if "by" in params:
        kwargs.setdefault("by", user)
    try:
        method(**kwargs)
        instance.save()
    except TransitionNotAllowed as exc:
        raise TransitionRefused(_("“%(name)s” is not possible now.") % {"name": name}, [str(exc)]) from exc
    except ConcurrentTransition as exc:
        raise TransitionRefused(
            _("The record changed while you were working on it; reload and try again."), [str(exc)]
        ) from exc
    record_transition(instance, name, source, instance.state, user, reason=reason, data=data,
                      gate_review_id=gate_review_id)
    return instance


def record_transition(instance, name, source, target, user, *, reason="", data=None, gate_review_id=None):
    return TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        transition=name,
        source=source,
        target=target,
        by=user if (user is not None and user.is_authenticated) else None,
        reason=reason or "",
        data=data or {},
        gate_review_id=gate_review_id,
    )


@transaction.atomic
def run_transition(instance, name: str, *, user, reason: str = "", needs_reason: bool | None = None, **kwargs):
    """Lock, check, run, save and log one plain transition. Returns the fresh record."""
    locked = lock(instance)
    require_transition(locked, name, user)
    t = _transitions_from(locked)[name]
    if (t.custom.get("needs_reason") if needs_reason is None else needs_reason) and not (reason or "").strip():
        raise ValidationError({"reason": [_("A reason is required.")]})
    return apply_transition(locked, name, user, reason=reason, **kwargs)


def history(instance) -> list[TransitionLog]:
    """The transition log of one record, oldest first, with who did it and readable labels."""
    model = type(instance)
    states = {str(k): str(v) for k, v in _state_field(model).choices}
    steps = {**{k: str(v) for k, v in LOG_ONLY_STEPS.items()}, **transition_labels(model)}
    entries = list(TransitionLog.objects.for_subject(instance).select_related("by"))
    for e in entries:
        e.source_label = states.get(e.source, e.source)
        e.target_label = states.get(e.target, e.target)
        e.transition_label = steps.get(e.transition, e.transition)
    return entries
