"""How finance reacts to delivery's decisions (domain events, run in the same transaction):
DR1 approved approves the budget version its deciders were shown (others waiting are set aside); DR1
rejected rejects that version; an approved change with a cost impact makes the next budget version,
approved by that decision."""

from django.utils.translation import gettext_noop

from delivery.models import DR1, ChangeRequest, Project
from ltc_portal.controls.models import GateReview
from ltc_portal.controls.selectors import latest_review
from ltc_portal.core.events import Event, on
from ltc_portal.core.fsm import said

from .services import budget_approve_submitted, budget_reject_submitted, budget_version_for_change


@on(Project, "dr1")
def dr1_approved(event: Event) -> None:
    budget_approve_submitted(
        project=event.subject,
        user=event.user,
        reason=said(gettext_noop("DR1 approved")),
        review=latest_review(event.subject, DR1),  # approved a moment ago
    )


@on(GateReview, "reject")
def dr1_rejected(event: Event) -> None:
    review = event.subject
    if review.gate.code == DR1 and isinstance(review.subject, Project):
        budget_reject_submitted(
            project=review.subject,
            user=event.user,
            reason=said(gettext_noop("DR1 rejected: %(why)s"), why=event.reason),
            review=review,
        )


@on(ChangeRequest, "approve")
def change_approved(event: Event) -> None:
    if event.subject.cost_impact:
        budget_version_for_change(change=event.subject, user=event.user)
