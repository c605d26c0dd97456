"""A paginator whose count stays cheap on big tables: exact up to ``LIST_EXACT_COUNT_MAX`` rows (a
bounded ``COUNT`` over at most that many rows), beyond that the planner's estimate on PostgreSQL (the
rows ``EXPLAIN`` expects), never less than the bound. Both count ids only (``values("pk")``, no order):
not the joins, subqueries and annotations the page's rows carry. ``estimated`` tells whether the count is one;
the API says so in the ``X-Count-Estimated`` header. On SQLite (no
planner estimate) the count beyond the bound is exact."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def planner_estimate(qs) -> int | None:
    """The number of rows PostgreSQL's planner expects ``qs`` to return, or None elsewhere."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = qs.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class CappedCountPaginator(Paginator):
    estimated = False

    @cached_property
    def count(self):
        bound = settings.LIST_EXACT_COUNT_MAX
        qs = self.object_list
        if not hasattr(qs, "query") or bound <= 0:
            return super().count
        ids = qs.order_by().values("pk")
        exact = ids[: bound + 1].count()
        if exact <= bound:
            return exact
        estimate = planner_estimate(ids)
        if estimate is None:
            return ids.count()
        self.estimated = True
        return max(estimate, bound + 1)
