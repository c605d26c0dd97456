"""The control points' panels on the home page: the decisions waiting for you (decide from the list,
with the checklist and the evidence at hand) and the gate requests you made. Each costs a constant
number of queries."""

from django.db.models import Case, Value, When
from django.utils import timezone

from .models import GateReview, ReviewState
from .selectors import decidable_roles, reviews_waiting_for, role_label, stored_checklist, web_evidence

#: reviews shown in a panel (the "My decisions" page has them all)
SHOWN = 10


def decisions_context(request) -> dict | None:
    waiting = reviews_waiting_for(request.user)
    if not waiting:
        return None
    today = timezone.localdate()
    rows = []
    for review in waiting[:SHOWN]:
        rows.append(
            {
                "review": review,
                "roles": [role_label(r) for r in decidable_roles(review, request.user)],
                # calendar days in the reader's time zone: yesterday 23:00 is "1 day ago", not "today"
                "days": (today - timezone.localdate(review.created_at)).days,
                # what was checked at the request, said in the reader's language
                "checklist": stored_checklist(
                    [i for i in review.context.get("checklist_requested") or [] if isinstance(i, dict) and "check" in i]
                ),
                "evidence": web_evidence(review),
            }
        )
    return {"decisions": rows, "decisions_more": max(0, len(waiting) - SHOWN)}


def requests_context(request) -> dict | None:
    """The person's gate requests: those still waiting first, then the latest decided."""
    waiting_first = Case(When(state=ReviewState.PENDING, then=Value(0)), default=Value(1))
    mine = list(
        GateReview.objects.filter(requested_by=request.user)
        .select_related("gate", "content_type")
        .prefetch_related("subject")
        .order_by(waiting_first, "-created_at", "-id")[:SHOWN]
    )
    if not mine:
        return None
    return {"my_requests": mine}
