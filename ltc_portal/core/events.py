"""Domain events: how an upstream step reaches the apps downstream of it without importing them.

A step is published by the transition path (``fsm.run_transition`` / ``fsm.run_effect``) and by
``fsm.log_created`` *after* the record is saved and its log row written, with a fixed signature::

    Event(subject, transition, user, reason, data)

Downstream apps subscribe in one visible module, ``<app>/handlers.py``, with ``@on(Model, "step")``;
the module is imported by the app's ``apps.ready``. An upstream app that must follow a downstream
record's step (contracts closing when finance's invoices are paid) names the model by its label,
``@on("finance.Invoice", "pay")``, so it imports nothing downstream. Handlers run synchronously, in the transaction of
the step, in the order the apps are installed (upstream first), so a handler's own steps are locked,
checked and logged like any other, and a failure in a handler undoes the step that caused it.

Work that leaves the database is never done in a handler directly: a Celery job (a webhook too) goes
through the outbox (``ltc_portal.core.outbox.enqueue``, published once the step is committed); other
work (an e-mail) is queued with ``after_commit`` so it runs only once the step is committed.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import send_mass_mail
from django.db import models, transaction

logger = logging.getLogger("ltc_portal.mail")

#: the step name published when a record is created in its first state (logged as "open")
CREATED = "open"


@dataclass(frozen=True)
class Event:
    """One step that happened: ``subject`` moved by ``transition``, done by ``user`` (None when the
    portal did it on its own), with the ``reason`` given and the step's ``data`` (as logged)."""

    subject: models.Model
    transition: str
    user: Any = None
    reason: str = ""
    data: dict = field(default_factory=dict)


Handler = Callable[[Event], None]

_HANDLERS: dict[tuple[str, str], list[Handler]] = defaultdict(list)


def _label(model: type | str) -> str:
    return model if isinstance(model, str) else model._meta.label


def on(model: type | str, *transitions: str) -> Callable[[Handler], Handler]:
    """Subscribe the decorated ``handler(event)`` to these steps of ``model`` (a model class, or its
    label ``"app_label.ModelName"``)."""

    def decorate(handler: Handler) -> Handler:
        for name in transitions:
            if handler not in _HANDLERS[(_label(model), name)]:
                _HANDLERS[(_label(model), name)].append(handler)
        return handler

    return decorate


def handlers_for(model: type, transition: str) -> list[Handler]:
    found = []
    for klass in model.__mro__:
        meta = getattr(klass, "_meta", None)
        if meta is not None and not meta.abstract:
            found.extend(_HANDLERS.get((meta.label, transition), ()))
    return found


def publish(subject: models.Model, transition: str, *, user=None, reason: str = "", data: dict | None = None) -> Event:
    """Run every handler of this step now, in the caller's transaction. Called by the transition
    path once the step is saved and logged; apps do not call it themselves."""
    event = Event(subject=subject, transition=transition, user=user, reason=reason or "", data=dict(data or {}))
    for handler in handlers_for(type(subject), transition):
        handler(event)
    return event


def after_commit(func: Callable[[], Any]) -> None:
    """Queue work that leaves the database (an e-mail; Celery jobs go through ``outbox.enqueue``) to
    run once the current transaction commits; never if it rolls back."""
    transaction.on_commit(func)


#: who asked for no e-mail: ``func(addresses) -> those of them muted``, registered by the app that
#: keeps the person's setting (notifications); the portal's own mailers ask ``mail_wanted`` first
_MUTERS: list[Callable[[set[str]], set[str]]] = []


def mutes_mail(func: Callable[[set[str]], set[str]]) -> Callable[[set[str]], set[str]]:
    """Register a source of muted addresses (decorator)."""
    _MUTERS.append(func)
    return func


def mail_wanted(addresses) -> set[str]:
    """The addresses among ``addresses`` whose people still want the portal's e-mails (one query per
    registered source, whatever their number)."""
    wanted = {a for a in addresses if a}
    for muted in _MUTERS:
        if wanted:
            wanted -= muted(wanted)
    return wanted


def mail_after_commit(messages: list[tuple]) -> None:
    """Send ``(subject, body, from, recipients)`` messages once the transaction commits. A mail server
    that fails is logged, never turned into an error of the step that is already committed."""
    if not messages:
        return

    def send():
        try:
            send_mass_mail(messages, fail_silently=False)
        except Exception:  # noqa: BLE001 - the step is committed; the failure is for the log
            logger.exception("Could not send %s e-mail(s)", len(messages))

    transaction.on_commit(send)
