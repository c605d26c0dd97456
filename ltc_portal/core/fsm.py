"""Lifecycle helpers shared by every app: self-explaining conditions, the transitions list, and the
one path through which a state changes.

Two doors, one path (``_step``: lock, check, run, save, log, publish the event):
- ``run_transition``: a step a person takes (the API, a page, an admin action all reach it through
  the app's service): permission, conditions, reason where needed;
- ``run_effect``: a step the portal runs as the effect of another (a gate approval runs DR1, a
  signature wins the opportunity, a lost opportunity cancels its project): conditions checked, no
  permission asked of the acting user, ``internal`` steps allowed.
Records are born with ``log_created`` (their ``open`` row); records without a lifecycle field log
their small steps with ``log_step``. Nothing else writes the transition log or changes a state.

A transition's ``conditions`` are ``Check`` objects (see ``check``): each says in words why it fails.
Its ``permission`` is a callable ``(instance, user) -> bool``; ``may(perm)`` builds one from a
rules permission name. ``custom`` may carry ``label`` (button text), ``needs_reason`` (a reason is
required, and the transition method receives it as ``reason=`` to keep it on the record), and
``internal`` (a sentence): the step is run by the portal as the effect of another, never by a user;
users calling it get 409 with that sentence.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition, FSMFieldMixin, TransitionNotAllowed

from . import events
from .bulk import update_many
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
    in words (passes when empty). ``message`` may be a callable ``(instance) -> str``. ``passed`` is
    the (translated) sentence a checklist shows when it passes; every check a gate lists has one.
    """

    def __init__(self, func, message, passed=None):
        self.func = func
        self.message = message
        self.passed = passed
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


def check(message, *, passed=None):
    """Decorator: turn a predicate into a ``Check`` with the sentence shown when it fails (and, for a
    gate's checklist, the one shown when it passes)."""

    def decorate(func):
        return Check(func, message, passed)

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
    #: ``ready`` (the user may run it now), ``blocked`` (theirs to run once ``reasons`` are met),
    #: ``automatic`` (the portal runs it as the effect of another step, ``reasons`` say which) or
    #: ``not_yours`` (the user lacks the permission; pages leave it out)
    kind: str = "ready"


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
LOG_ONLY_STEPS = {"open": pgettext_lazy("step", "Opened"), "reassign": pgettext_lazy("step", "Reassigned")}


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


def _run_on_gate_approval(t) -> bool:
    """A step with no permission of its own, guarded by a gate's approval: the control-point engine
    runs it when the gate's last role approves, so no one presses it."""
    return t.permission is None and any(getattr(c, "gate", None) for c in t.conditions)


def describe_transitions(instance, user, *, names: set[str] | None = None) -> list[TransitionInfo]:
    """Every transition from the current state (or only those in ``names``), with whether ``user``
    may run it now and why not."""
    infos = []
    for name, t in _transitions_from(instance).items():
        if names is not None and name not in names:
            continue
        if names is None and t.custom.get("unlisted"):
            continue  # a step only another step's effect runs, never to be waited for on the page
        reasons = _reasons(instance, t, user)
        if user is not None and (t.custom.get("internal") or _run_on_gate_approval(t)):
            kind = "automatic"
        elif user is not None and not t.has_perm(instance, user):
            kind = "not_yours"
        else:
            kind = "blocked" if reasons else "ready"
        infos.append(
            TransitionInfo(
                name=name,
                target=str(t.target),
                label=str(t.custom.get("label") or name),
                allowed=not reasons,
                reasons=reasons,
                needs_reason=bool(t.custom.get("needs_reason")),
                kind=kind,
            )
        )
    return infos


def _refuse_unless_allowed(instance, name: str, user, *, internal: bool):
    """The Transition object for ``name`` if ``user`` may run it on ``instance`` now, else raise:
    UnknownTransition (404) for a name the lifecycle lacks, PermissionDenied (403) without the right,
    TransitionRefused (409) with every unmet condition otherwise. ``internal``: the step is run by the
    portal as the effect of another; the permission is not the acting user's to hold."""
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
    if not internal:
        if t.custom.get("internal"):
            raise TransitionRefused(
                _("“%(name)s” is not a step you run yourself.") % {"name": labels[name]}, [str(t.custom["internal"])]
            )
        if not t.has_perm(instance, user):
            raise PermissionDenied(
                _("You do not have permission to run “%(name)s” on this record.") % {"name": labels[name]}
            )
    reasons = _condition_failures(instance, t)
    if reasons:
        raise TransitionRefused(_("“%(name)s” is not possible yet.") % {"name": labels[name]}, reasons)
    return t


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


class Said(str):
    """A reason the portal writes itself (not one a person typed): the text in the language of the
    moment, with its message id and values, so that the history says it again in the reader's language
    (``reason_text``). Build it with ``said(gettext_noop("…%(x)s…"), x=…)``. A value that is itself
    a translatable label (a lazy string such as a state's label) is kept as its message id and said
    again in the reader's language too; every other value is kept as its text."""

    msgid: str
    params: dict
    labels: tuple

    def __new__(cls, msgid: str, params: dict, labels=()):
        obj = super().__new__(cls, _say(msgid, params, labels))
        obj.msgid, obj.params, obj.labels = msgid, params, tuple(labels)
        return obj

    def __reduce__(self):  # copy and pickle rebuild it from its message and values
        return (Said, (self.msgid, self.params, self.labels))

    @property
    def kept(self) -> list:
        """What to store to say it again later (``say_again``)."""
        return [self.msgid, self.params, list(self.labels)] if self.labels else [self.msgid, self.params]


def _say(msgid: str, params: dict, labels=()) -> str:
    if not params:
        return _(msgid)
    return _(msgid) % {k: (_(v) if k in labels else v) for k, v in params.items()}


def said(msgid: str, **params) -> Said:
    """A portal-written sentence. Pass a state's or choice's label as the lazy label itself
    (``State(x).label``), not ``get_x_display()`` (already text in the writer's language)."""
    kept, labels = {}, []
    for key, value in params.items():
        if isinstance(value, Promise):
            with translation.override(None):  # no language: the message id itself
                kept[key] = str(value)
            labels.append(key)
        else:
            kept[key] = str(value)
    return Said(msgid, kept, labels)


def _log_data(reason, data) -> dict:
    if isinstance(reason, Said):
        return {**(data or {}), "said": reason.kept}
    return data or {}


def say_again(kept, fallback: str = "") -> str:
    """A sentence kept as ``[msgid, params]`` or ``[msgid, params, labels]`` (``Said.kept``) in the
    active language; ``fallback`` when there is none or it no longer fits its message."""
    if kept:
        try:
            msgid, params, *rest = kept
            return _say(msgid, params, rest[0] if rest else ())
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return fallback


def reason_text(entry) -> str:
    """A log row's reason in the active language (a reason the portal wrote), else as it was typed."""
    return say_again((entry.data or {}).get("said") if isinstance(entry.data, dict) else None, entry.reason)


def _log(instance, name, source, target, user, *, reason="", data=None, gate_review_id=None) -> TransitionLog:
    return TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        transition=name,
        source=source,
        target=target,
        by=user if (user is not None and user.is_authenticated) else None,
        reason=reason or "",
        data=_log_data(reason, data),
        gate_review_id=gate_review_id,
    )


def _step(instance, name, user, *, internal, reason, data, gate_review_id, prepare, kwargs):
    """The one place a state changes: lock, check, prepare, run, save, log, publish."""
    with transaction.atomic():
        locked = lock(instance)
        t = _refuse_unless_allowed(locked, name, user, internal=internal)
        if t.custom.get("needs_reason") and not (reason or "").strip():
            raise ValidationError({"reason": [_("A reason is required.")]})
        data = dict(data or {})
        if prepare is not None:
            data.update(prepare(locked) or {})
        if t.custom.get("needs_reason"):
            kwargs = {"reason": reason, **kwargs}
        source = locked.state
        try:
            getattr(locked, name)(**kwargs)
            if user is not None and user.is_authenticated and hasattr(locked, "updated_by"):
                locked.updated_by = user
            locked.save()
        except TransitionNotAllowed as exc:
            raise TransitionRefused(_("“%(name)s” is not possible now.") % {"name": name}, [str(exc)]) from exc
        except ConcurrentTransition as exc:
            raise TransitionRefused(
                _("The record changed while you were working on it; reload and try again."), [str(exc)]
            ) from exc
        _log(locked, name, source, locked.state, user, reason=reason, data=data, gate_review_id=gate_review_id)
        events.publish(locked, name, user=user, reason=reason, data=data)
        return locked


def run_transition(instance, name: str, *, user, reason: str = "", data: dict | None = None, prepare=None, **kwargs):
    """The door for a step a person takes: lock the record, check the permission and every
    condition (403/409 in words), require a reason where the step needs one (400), run ``prepare``
    (``(locked) -> dict | None``: work the step implies before it runs, e.g. recording an
    acceptance certificate; its dict is added to the log's data), run the step, save, write the log
    row and publish the step's event. Returns the fresh record. ``kwargs`` go to the transition
    method; a step that needs a reason also receives ``reason``."""
    return _step(
        instance,
        name,
        user,
        internal=False,
        reason=reason,
        data=data,
        gate_review_id=None,
        prepare=prepare,
        kwargs=kwargs,
    )


def run_effect(
    instance, name: str, *, user, reason: str, data: dict | None = None, gate_review_id: int | None = None, **kwargs
):
    """The door for a step the portal runs as the effect of another (a gate approval, a contract
    signed, an opportunity lost): locked, its conditions checked, saved, logged and published like any
    step, but the acting user's permission for it is not asked (the cause was permitted) and steps
    marked ``internal`` are allowed. ``user`` is whoever caused it; ``reason`` says what caused it."""
    return _step(
        instance,
        name,
        user,
        internal=True,
        reason=reason,
        data=data,
        gate_review_id=gate_review_id,
        prepare=None,
        kwargs=kwargs,
    )


def log_created(instance, *, user, reason: str = "", data: dict | None = None) -> TransitionLog:
    """Log a record's creation in its first state (the ``open`` row every lifecycle starts with) and
    publish it as the ``open`` event. Call after saving the new record."""
    state = getattr(instance, "state", "")
    entry = _log(instance, events.CREATED, "", state, user, reason=reason, data=data)
    events.publish(instance, events.CREATED, user=user, reason=reason, data=data)
    return entry


def log_created_many(instances, *, user, reason: str = "") -> None:
    """``log_created`` for records made in bulk (an import): one INSERT for their log rows. Bulk
    creations publish no event (nothing downstream reacts to them)."""
    instances = list(instances)
    if not instances:
        return
    ct = ContentType.objects.get_for_model(type(instances[0]))
    by = user if (user is not None and user.is_authenticated) else None
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                content_type=ct,
                object_id=i.pk,
                transition=events.CREATED,
                source="",
                target=getattr(i, "state", ""),
                by=by,
                reason=reason or "",
                data=_log_data(reason, None),
            )
            for i in instances
        ],
        batch_size=1000,
    )


def run_effect_many(instances, name: str, *, user, reason: str, update_fields=()) -> int:
    """The door for one step the portal takes on many records at once (a job scoring thousands of
    appraisals): the step must be ``internal`` and without conditions, and every record must be in one
    of its source states (else TransitionRefused, nothing written). Their state and ``update_fields``
    are written with one bulk UPDATE and their log rows with one INSERT. No event is published (a bulk
    step has no handlers). Call inside the caller's transaction, with the records locked or otherwise
    safe from concurrent steps. Returns how many records moved."""
    instances = list(instances)
    if not instances:
        return 0
    model = type(instances[0])
    state_field = _state_field(model)
    steps = [t for t in state_field.get_all_transitions(model) if t.name == name]
    if not steps:
        raise UnknownTransition(name)
    t = steps[0]
    if not t.custom.get("internal") or any(step.conditions for step in steps):
        raise TypeError(f"{model.__name__}.{name} is not an internal step without conditions")
    field = state_field.name
    sources = {step.source for step in steps}
    wrong = [i for i in instances if "*" not in sources and getattr(i, field) not in sources]
    if wrong:
        raise TransitionRefused(
            _("“%(name)s” is not possible from state “%(state)s”.")
            % {"name": t.custom.get("label") or name, "state": getattr(wrong[0], field)},
            [str(w) for w in wrong[:10]],
        )
    moves = [(i.pk, getattr(i, field)) for i in instances]
    for i in instances:
        i.__dict__[field] = t.target  # the protected field, set by its transition's door
    update_many(model, instances, [field, *update_fields], batch_size=1000)
    for i in instances:  # the optimistic lock of a later save() compares against the new state
        if hasattr(i, "_update_initial_state"):
            i._update_initial_state()
    ct = ContentType.objects.get_for_model(model)
    by = user if (user is not None and user.is_authenticated) else None
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                content_type=ct,
                object_id=pk,
                transition=name,
                source=source,
                target=t.target,
                by=by,
                reason=reason,
                data=_log_data(reason, None),
            )
            for pk, source in moves
        ],
        batch_size=1000,
    )
    return len(instances)


def log_step(instance, name: str, *, source: str, target: str, user, reason: str = "") -> TransitionLog:
    """Log a step of a record that has no lifecycle field (a defect closed, a meeting action done)
    and publish it. Lifecycle records change state only through ``run_transition``/``run_effect``."""
    if any(isinstance(f, FSMFieldMixin) for f in type(instance)._meta.fields):
        raise TypeError(f"{type(instance).__name__} has a lifecycle: use run_transition or run_effect")
    entry = _log(instance, name, source, target, user, reason=reason)
    events.publish(instance, name, user=user, reason=reason)
    return entry


def log_change(instance, name: str, *, user, reason: str = "", data: dict | None = None) -> TransitionLog:
    """Log a change of a record that is not a step of its lifecycle but that others follow (an issue
    given to another owner), in its current state, and publish it. Call after saving the change."""
    field = next((f for f in type(instance)._meta.fields if isinstance(f, FSMFieldMixin)), None)
    state = getattr(instance, field.attname) if field is not None else ""
    if field is not None and name in transition_names(type(instance)):
        raise TypeError(f"{name} is a step of {type(instance).__name__}: use run_transition or run_effect")
    entry = _log(instance, name, state, state, user, reason=reason, data=data)
    events.publish(instance, name, user=user, reason=reason, data=data)
    return entry


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
        e.reason_text = reason_text(e)
    return entries
