"""Browser side of the control points: request a gate, decide a review, and the "my decisions" page.
Every subject page shows its gates with ``includes/gate_strip.html`` (context from ``gates_for``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core.fsm import TransitionRefused

from . import registry, selectors, services
from .models import Decision


def _back(request, fallback="home"):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _report(request, exc):
    if isinstance(exc, TransitionRefused):
        messages.error(request, " ".join([exc.detail, *map(str, exc.reasons)]))
    elif isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc) or _("You are not allowed to do this."))


def _evidence(text: str) -> list[str]:
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    validate = URLValidator(schemes=["http", "https"])
    for link in links:
        validate(link)
    return links


@login_required
@require_POST
def gate_request_view(request):
    st = registry.subject_types().get(request.POST.get("subject_type", ""))
    subject = None
    if st is not None and request.POST.get("subject_id", "").isdigit():
        subject = st.visible(request.user).filter(pk=int(request.POST["subject_id"])).first()
    if subject is None:
        messages.error(request, _("No such record."))
        return _back(request)
    try:
        review = services.gate_request(
            code=request.POST.get("gate", ""),
            subject=subject,
            user=request.user,
            comment=request.POST.get("comment", "").strip(),
            evidence=_evidence(request.POST.get("evidence", "")),
        )
    except ValidationError as exc:
        messages.error(
            request,
            _("Evidence must be web links (http or https), one per line.")
            if not hasattr(exc, "error_dict")
            else " ".join(exc.messages),
        )
    except (TransitionRefused, PermissionDenied) as exc:
        _report(request, exc)
    else:
        messages.success(
            request, _("%(gate)s requested; the deciding roles have been asked.") % {"gate": review.gate.code}
        )
    return _back(request)


@login_required
@require_POST
def gate_decide_view(request, pk):
    review = get_object_or_404(selectors.review_visible(request.user), pk=pk)
    decision = Decision.REJECT if request.POST.get("decision") == Decision.REJECT else Decision.APPROVE
    try:
        review = services.gate_decide(
            review=review,
            user=request.user,
            decision=decision,
            role=request.POST.get("role") or None,
            comment=request.POST.get("comment", ""),
        )
    except (TransitionRefused, PermissionDenied, ValidationError) as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("Your decision on %(gate)s is recorded; the review is %(state)s.")
            % {"gate": review.gate.code, "state": review.get_state_display()},
        )
    return _back(request)


@login_required
def my_decisions(request):
    reviews = selectors.reviews_waiting_for(request.user)
    for review in reviews:
        review.my_roles = selectors.decidable_roles(review, request.user)
    return render(request, "controls/my_decisions.html", {"reviews": reviews})
