"""Helpers every app's browser pages share: paging, and turning a service's refusal into words on
the page (form errors or a message)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .fsm import TransitionRefused, UnknownTransition
from .paging import CappedCountPaginator

PAGE_SIZE = 25
#: what a service refuses with: each becomes a message in its own words on the page
REFUSALS = (TransitionRefused, UnknownTransition, PermissionDenied, ValidationError)


def page_of(request, qs, size: int = PAGE_SIZE):
    return CappedCountPaginator(qs, size).get_page(request.GET.get("page"))


def form_errors_from(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its own fields where they match, the rest as
    errors of the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def refusal_text(exc) -> str:
    """A refused action in words for a page message: the reason and every unmet condition."""
    if isinstance(exc, TransitionRefused):
        return " ".join([exc.detail, *map(str, exc.reasons)])
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
        return " ".join(exc.messages)
    if isinstance(exc, UnknownTransition):
        return _("No such step.")
    return str(exc) or _("You are not allowed to do this.")


def run_then_redirect(request, action, *, done: str, back: str):
    """A page's POST that runs one service call: success says ``done``, a refusal says the service's
    words; either way the user goes ``back``."""
    try:
        action()
    except REFUSALS as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, done)
    return redirect(back)
