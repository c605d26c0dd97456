"""The sales panels of the home page: the pipeline by stage (count, value and weighted value per
currency: amounts in two currencies are never added) and the deals expected to close this month.
A constant number of queries."""

import datetime

from django.utils import timezone

from .models import OPEN_OPPORTUNITY_STATES
from .selectors import opportunity_list, pipeline_by_stage

SHOWN = 8


def pipeline_context(request) -> dict | None:
    stages = pipeline_by_stage(request.user, cards=0)
    if not any(s["count"] for s in stages):
        return None
    currencies = sorted({c for s in stages for c in s["totals"]})
    rows = [
        {
            "label": s["label"],
            "state": s["state"],
            "count": s["count"],
            "cells": [(s["totals"].get(c), s["weighted"].get(c)) for c in currencies],
        }
        for s in stages
    ]
    return {"pipeline_rows": rows, "pipeline_currencies": currencies}


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
