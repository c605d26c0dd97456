"""HR's panel on the home page: the cycles under way with their state and scoring progress, the
grade distribution of the latest scored cycle (chart) and the appeals waiting. Constant queries."""

from django.db.models import Count
from django.utils.translation import gettext as _

from .models import AppealState, Appraisal, AppraisalCycle, AppraisalState, CycleState
from .rules import is_hr_user
from .selectors import appeal_list, cycle_distribution


def _count_progress(cycles) -> None:
    """Each cycle's people, how many are settled (acknowledged, or final: an appeal decided or the cycle
    closed) and how many appealed and wait for the decision: one query."""
    counts: dict[int, dict[str, int]] = {}
    for row in Appraisal.objects.filter(cycle__in=cycles).order_by().values("cycle", "state").annotate(n=Count("pk")):
        counts.setdefault(row["cycle"], {})[row["state"]] = row["n"]
    for c in cycles:
        by_state = counts.get(c.pk, {})
        c.people = sum(by_state.values())
        c.done = by_state.get(AppraisalState.ACKNOWLEDGED, 0) + by_state.get(AppraisalState.FINAL, 0)
        c.appealed = by_state.get(AppraisalState.APPEALED, 0)


def hr_context(request) -> dict | None:
    if not is_hr_user(request.user):
        return None
    cycles = list(AppraisalCycle.objects.exclude(state=CycleState.CLOSED).order_by("-end", "-pk")[:5])
    _count_progress(cycles)
    latest = next((c for c in cycles if c.state in (CycleState.CALIBRATING, CycleState.PUBLISHED)), None)
    distribution = cycle_distribution(latest) if latest is not None else None
    appeals = appeal_list(request.user).filter(state=AppealState.OPEN)
    return {
        "cycles": cycles,
        "latest": latest,
        "appeals_open": appeals.count(),
        "distribution_chart": None
        if distribution is None
        else {
            "type": "bar",
            "data": {
                "labels": list(distribution),
                "datasets": [{"label": str(_("People")), "data": list(distribution.values())}],
            },
            "options": {
                "plugins": {"legend": {"display": False}},
                "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
            },
        },
    }
