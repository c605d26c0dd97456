"""HR's panel on the home page: the cycles under way with their state and scoring progress, the
grade distribution of the latest scored cycle (chart) and the appeals waiting. Constant queries."""

from django.utils.translation import gettext as _

from .models import AppealState, AppraisalCycle, CycleState
from .rules import is_hr_user
from .selectors import appeal_list, cycle_distribution


def hr_context(request) -> dict | None:
    if not is_hr_user(request.user):
        return None
    cycles = list(AppraisalCycle.objects.exclude(state=CycleState.CLOSED).order_by("-end", "-pk")[:5])
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
