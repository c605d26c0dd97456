"""How records flow through their lifecycle, read from the transition log (the one record of every
state change): how many records of a cohort reached each state, and how long records stay in a state
(the median days from entering it to leaving it). The homes' funnels and the executive's LTC flow
use them. Set-based: one query each, whatever the number of records; on SQLite (the embedded default)
the medians are taken in Python over the same rows."""

import datetime
import statistics

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, OuterRef, QuerySet, Subquery

from .models import TransitionLog


def _state_changes(model, visible: QuerySet):
    """The log rows that changed the state of one of ``visible`` (creation included: its source is
    empty); 'reassign'-like rows, which keep the state, are left out."""
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=visible.order_by().values("pk")
    ).exclude(source=F("target"))


def _entries(model) -> QuerySet:
    """The log rows by which a record of ``model`` entered a state after its first."""
    ct = ContentType.objects.get_for_model(model)
    return TransitionLog.objects.filter(content_type=ct).exclude(source=F("target")).exclude(source="")


def reached(model, visible: QuerySet, since: datetime.datetime) -> dict[str, int]:
    """Of the records of ``visible`` created since ``since`` (their ``created_at``), how many ever
    entered each state after their first; ``""`` holds how many were created."""
    cohort = visible.filter(created_at__gte=since).order_by().values("pk")
    rows = (
        _entries(model)
        .filter(object_id__in=cohort)
        .order_by()
        .values("target")
        .annotate(n=Count("object_id", distinct=True))
    )
    counts = {r["target"]: r["n"] for r in rows}
    counts[""] = cohort.count()
    return counts


def cohort_that_reached(model, visible: QuerySet, since: datetime.datetime, state: str) -> QuerySet:
    """The records ``reached`` counts under ``state``: those of ``visible`` created since ``since``
    that ever entered it."""
    return visible.filter(created_at__gte=since, pk__in=_entries(model).filter(target=state).values("object_id"))


def median_days_in_state(model, visible: QuerySet, since: datetime.datetime) -> dict[str, tuple[int, float]]:
    """For each state: how many stays ended since ``since`` and their median length in days (from the
    step that entered the state to the step that left it)."""
    changes = _state_changes(model, visible)
    try:
        sql, params = changes.values("object_id", "target", "at", "id").query.sql_with_params()
    except EmptyResultSet:  # the reader sees none of them (``visible`` is none())
        return {}
    if connection.vendor == "postgresql":
        days = "EXTRACT(EPOCH FROM (left_at - at)) / 86400.0"
    else:
        days = "(julianday(left_at) - julianday(at))"
    steps = (
        f"SELECT target, at, LEAD(at) OVER (PARTITION BY object_id ORDER BY at, id) AS left_at FROM ({sql}) AS changes"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT target, COUNT(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY {days}) "
                f"FROM ({steps}) AS steps WHERE left_at IS NOT NULL AND left_at >= %s GROUP BY target",
                [*params, since],
            )
            return {stage: (n, round(float(median), 1)) for stage, n, median in cursor.fetchall()}
        cursor.execute(
            f"SELECT target, {days} FROM ({steps}) AS steps WHERE left_at IS NOT NULL AND left_at >= %s",
            [*params, connection.ops.adapt_datetimefield_value(since)],
        )
        by_stage: dict[str, list[float]] = {}
        for stage, length in cursor.fetchall():
            by_stage.setdefault(stage, []).append(float(length))
    return {stage: (len(v), round(statistics.median(v), 1)) for stage, v in by_stage.items()}


def entered_at(model):
    """A subquery: when the record entered its current state (its latest state change)."""
    latest = (
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk"))
        .exclude(source=F("target"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    return Subquery(latest)
