"""Celery entry points of performance: thin, idempotent, taking ids and calling the scoring."""

from celery import shared_task
from django.utils import timezone

from ltc_portal.core.fsm import run_effect
from ltc_portal.core.outbox import on_give_up

from .models import AppraisalCycle, CycleState
from .scoring import score_cycle
from .services import cycles_score_ended


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_appraisal_cycle(cycle_id: int) -> str:
    """Score one cycle in ``scoring``; delivered again if the worker is lost mid-run (the appraisals are
    rewritten in one transaction, so a second delivery gives the same results)."""
    return score_cycle(cycle_id).state


@shared_task(acks_late=True)
def score_ended_cycles() -> int:
    """Beat, daily: cycles whose window has ended are scored."""
    return len(cycles_score_ended(day=timezone.localdate()))


@on_give_up(score_appraisal_cycle)
def scoring_given_up(*, cycle_id: int, error: str) -> None:
    """The outbox gave the job up: the cycle goes back to open with the error (score it again to re-run)."""
    cycle = AppraisalCycle.objects.get(pk=cycle_id)
    if cycle.state == CycleState.SCORING:
        run_effect(cycle, "scoring_failed", user=None, reason=error[:500], error=error)
