"""The sales panels of the home page: the deals expected to close this month, the team's funnel and
the deals stuck in a stage (the pipeline by stage is finance's panel: it needs the rates). A constant
number of queries."""

import datetime

from django.conf import settings
from django.utils import timezone

from ltc_portal.core import flow

from .models import OPEN_OPPORTUNITY_STATES, Opportunity, OpportunityState
from .selectors import opportunity_list, opportunity_visible

#: the stages a deal goes through on its way to a contract, in order
FUNNEL = (
    OpportunityState.VALIDATING,
    OpportunityState.ANALYSIS,
    OpportunityState.BIDDING,
    OpportunityState.CONTRACTING,
    OpportunityState.WON,
)

SHOWN = 8


def closing_context(request) -> dict | None:
    today = timezone.localdate()
    first = today.replace(day=1)
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    closing = list(
        opportunity_list(request.user)
        .filter(
            owner=request.user,
            state__in=OPEN_OPPORTUNITY_STATES,
            expected_close_date__gte=first,
            expected_close_date__lt=following,
        )
        .order_by("expected_close_date", "pk")[:SHOWN]
    )
    return {"closing": closing, "closing_month": first}


def funnel_context(request) -> dict | None:
    """The team's funnel over the last FUNNEL_DAYS: of the deals opened then, how many reached each
    stage, the conversion from the stage before, and the median days a deal stays in each stage (from
    the transition log); how many were lost or abandoned. Three queries."""
    now = timezone.now()
    since = now - datetime.timedelta(days=settings.FUNNEL_DAYS)
    visible = opportunity_visible(request.user)
    reached = flow.reached(Opportunity, visible, since)
    if not reached[""]:
        return None
    reached[OpportunityState.VALIDATING] = reached[""]  # every deal starts in validating
    medians = flow.median_days_in_state(Opportunity, visible, since)
    rows, before = [], None
    for stage in FUNNEL:
        count = reached.get(stage, 0)
        rows.append(
            {
                "state": stage,
                "label": OpportunityState(stage).label,
                "count": count,
                "conversion": round(count * 100 / before) if before else None,
                "median_days": medians.get(stage, (0, None))[1] if stage != OpportunityState.WON else None,
            }
        )
        before = count
    return {
        "funnel_rows": rows,
        "funnel_days": settings.FUNNEL_DAYS,
        "funnel_lost": reached.get(OpportunityState.LOST, 0),
        "funnel_abandoned": reached.get(OpportunityState.ABANDONED, 0),
    }


def stuck_context(request) -> dict | None:
    """Open deals that have stayed in their stage longer than STUCK_DEAL_DAYS, the longest first."""
    now = timezone.now()
    stuck = list(
        opportunity_list(request.user)
        .filter(state__in=OPEN_OPPORTUNITY_STATES)
        .annotate(entered=flow.entered_at(Opportunity))
        .filter(entered__lt=now - datetime.timedelta(days=settings.STUCK_DEAL_DAYS))
        .order_by("entered", "pk")[: SHOWN + 1]
    )
    if not stuck:
        return None
    for o in stuck:
        o.days_in_stage = (now - o.entered).days
    return {"stuck": stuck[:SHOWN], "stuck_more": len(stuck) > SHOWN, "stuck_days": settings.STUCK_DEAL_DAYS}
