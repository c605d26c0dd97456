"""The monthly accounting (核算): one account per project in build, implement or handover and period,
with every figure of DOMAIN.md §5.1, in the base currency.

Set-based: a fixed number of SQL statements per run, whatever the number of projects and entries.
On PostgreSQL (``write_accounts``) one statement computes every figure of every account into a
transaction table (FIGURES_SQL: costs grouped by project and category from the entries' stored base
amounts, which the planner may aggregate in parallel; budgets, contract values, milestone weights and
the cash figures per project), one upsert writes them and one UPDATE adds the notes of the few that
have any. On SQLite ``compute_accounts`` computes the same figures from a handful of aggregates and a
bulk upsert writes them; a test checks the two give every figure identically. The rows are
rewritten in one transaction per period, with the period row locked: a re-run writes identical
values; a run that fails (or is killed) half-way leaves the previous rows as they were.

Rounding: a base amount is amount × rate rounded to the cent (half up) entry by entry, then summed.
EV, PV and revenue are rounded to the cent; CPI and SPI (4 decimals) and the percentages (2 decimals)
are computed from the rounded money figures.
"""

import calendar
import datetime
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts.models import ContractAmendment
from delivery.models import Milestone, MilestoneState, Project, ProjectState, RiskResponse
from delivery.services import risks_raise_by_portal
from ltc_portal.core.events import mail_after_commit, mail_wanted
from ltc_portal.core.fsm import run_effect, said
from ltc_portal.core.roles import Role
from opportunities.models import CostCategory

from .models import (
    AccountingPeriod,
    AccountingRun,
    Budget,
    BudgetState,
    Invoice,
    InvoiceState,
    MonthlyAccount,
    PeriodState,
    ReceiptAllocation,
    RunState,
    VarianceAlert,
)
from .selectors import MONEY, paid_per_invoice, rate_of, rate_on

#: the projects the accounting covers (DOMAIN.md §5)
ACCOUNTED_STATES = (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER)
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


class PeriodClosed(Exception):
    """The period is closed: its accounts are never recomputed."""


def month_end(period: str) -> datetime.date:
    year, month = map(int, period.split("-"))
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def month_start(period: str) -> datetime.date:
    year, month = map(int, period.split("-"))
    return datetime.date(year, month, 1)


def previous_period(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in the portal's time zone (for timestamps compared with E)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def _q(value, unit=CENT):
    return None if value is None else Decimal(value).quantize(unit, rounding=ROUND_HALF_UP)


def _div(a, b):
    return None if a is None or b in (None, 0) else Decimal(a) / Decimal(b)


@dataclass
class _At:
    """A project's inputs as of one date: budget, contract value (base currency) and milestone weights."""

    bac: Decimal | None
    value: Decimal | None
    weights: Decimal
    accepted: Decimal
    planned: Decimal


def _project_inputs(ids: list[int], at: datetime.date) -> tuple[dict[int, _At], dict[int, list[str]], set[int]]:
    """Budget (current approved version at ``at``), contract current value (signed value plus
    amendments recorded by ``at``) and milestone weights, in base currency: two queries. Also the
    notes of each project and the projects whose budget or contract value lacks a rate (their
    account is incomplete: the figure is left empty, never converted at 1.0)."""
    until = _end_of_day(at)
    budget = Budget.objects.filter(project=OuterRef("pk"), state=BudgetState.APPROVED, approved_at__lt=until).order_by(
        "-version"
    )
    amendments = (
        ContractAmendment.objects.filter(contract=OuterRef("contract"), recorded_at__lt=until)
        .order_by()
        .values("contract")
        .annotate(total=Sum("value_change"))
        .values("total")
    )
    rows = (
        Project.objects.filter(pk__in=_among(ids))
        .annotate(
            bac_total=Subquery(budget.values("total")[:1], output_field=MONEY),
            bac_version=Subquery(budget.values("version")[:1]),
            value_total=F("contract__value")
            + Coalesce(Subquery(amendments, output_field=MONEY), Value(Decimal(0), output_field=MONEY)),
            value_currency=F("contract__currency"),
            project_rate=rate_on("currency", Value(at)),
            contract_rate=rate_on("contract__currency", Value(at)),
        )
        .values("pk", "currency", "bac_total", "value_total", "value_currency", "project_rate", "contract_rate")
    )
    weights = {
        r["project_id"]: r
        for r in Milestone.objects.filter(project_id__in=_among(ids))
        .exclude(state=MilestoneState.WAIVED)
        .order_by()
        .values("project_id")
        .annotate(
            w=Sum("weight"),
            accepted=Coalesce(
                Sum("weight", filter=Q(state=MilestoneState.ACCEPTED, acceptance__date__lte=at)),
                Value(Decimal(0)),
            ),
            planned=Coalesce(Sum("weight", filter=Q(planned_end__lte=at)), Value(Decimal(0))),
        )
    }
    inputs, notes, unrated = {}, {}, set()
    for r in rows:
        pid = r["pk"]
        says = notes.setdefault(pid, [])
        bac = None
        if r["bac_total"] is None:
            says.append(_("No approved budget on %(date)s.") % {"date": at})
        elif r["project_rate"] is None:
            unrated.add(pid)
            says.append(_("No %(cur)s rate on or before %(date)s for the budget.") % {"cur": r["currency"], "date": at})
        else:
            bac = _q(r["bac_total"] * r["project_rate"])
        value = None
        if r["value_total"] is None:
            says.append(_("No signed contract."))
        elif r["contract_rate"] is None:
            unrated.add(pid)
            says.append(
                _("No %(cur)s rate on or before %(date)s for the contract value.")
                % {"cur": r["value_currency"], "date": at}
            )
        else:
            value = _q(r["value_total"] * r["contract_rate"])
        w = weights.get(pid, {})
        inputs[pid] = _At(
            bac, value, w.get("w") or Decimal(0), w.get("accepted") or Decimal(0), w.get("planned") or Decimal(0)
        )
    return inputs, notes, unrated


COSTS_SQL = """
SELECT project_id, category,
       SUM(amount_base) AS cumulative,
       SUM(CASE WHEN date >= %(start)s THEN amount_base ELSE 0 END) AS period
FROM finance_costentry
WHERE state = 'approved' AND date <= %(end)s AND {scope}
GROUP BY project_id, category
"""
#: the approved entries still without a rate, per project and currency (a partial index finds them)
UNRATED_SQL = """
SELECT project_id, currency, COUNT(*), MIN(date), SUM(amount)
FROM finance_costentry
WHERE state = 'approved' AND date <= %(end)s AND amount_base IS NULL AND {scope}
GROUP BY project_id, currency
"""


def _costs(projects, start: datetime.date, end: datetime.date, ids: list[int] | None = None):
    """AC to ``end`` and cost in [start, end] by project and category, in base currency, and the
    entries left out for want of a rate: one GROUP BY over the entries' stored base amounts (the same
    work as a plain SUM by project and category) and one over those without a rate. The projects are
    ``ids`` (on PostgreSQL one array parameter: the statement does not grow with them, and it reads
    exactly the projects the run read a moment before), else the queryset ``projects`` inlined as a
    subquery."""
    if ids is not None and connection.vendor == "postgresql":
        # = ANY(array): a hashed filter of a (parallel) scan, where IN (SELECT unnest(…)) is planned
        # as an index probe per project (3× slower at L)
        scope_named, names = "project_id = ANY(%(ids)s::bigint[])", {"ids": id_array(ids)}
    else:
        scope_sql, scope_params = projects.order_by().values("pk").query.sql_with_params()
        names = {f"scope{i}": value for i, value in enumerate(scope_params)}
        # only the placeholders become named ones (a literal %% stays as it is)
        counter = iter(names)
        scope_named = "project_id IN ({})".format(re.sub(r"%s", lambda _m: f"%({next(counter)})s", scope_sql))
    params = {"start": start, "end": end, **names}
    sums = []
    with connection.cursor() as cursor:
        cursor.execute(COSTS_SQL.format(scope=scope_named), params)
        for project_id, category, cumulative, period in cursor.fetchall():
            sums.append(
                {
                    "project_id": project_id,
                    "category": category,
                    "cumulative": _money(cumulative),
                    "period": _money(period),
                }
            )
        cursor.execute(UNRATED_SQL.format(scope=scope_named), params)
        missing = _missing_rows(cursor.fetchall())
    return sums, missing


def _missing_rows(rows) -> list[dict]:
    missing = []
    for project_id, currency, n, first, total in rows:
        if isinstance(first, str):  # SQLite answers dates as text
            first = datetime.date.fromisoformat(first)
        missing.append({"project_id": project_id, "currency": currency, "first": first, "n": n, "total": _money(total)})
    return missing


def _unrated_costs(ids: list[int], end: datetime.date) -> list[dict]:
    """The approved entries of ``ids`` dated by ``end`` still without a rate, per project and currency
    (PostgreSQL: one array parameter)."""
    with connection.cursor() as cursor:
        cursor.execute(
            UNRATED_SQL.format(scope="project_id = ANY(%(ids)s::bigint[])"), {"end": end, "ids": id_array(ids)}
        )
        return _missing_rows(cursor.fetchall())


def _money(value) -> Decimal:
    """A sum from the database as a Decimal to the cent (SQLite answers floats)."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


#: the cash figures per project (PostgreSQL), the same figures as the ORM version below (ROUND to the
#: cent per invoice or allocation, then summed). An invoice in the base currency needs no rate and no
#: rounding, so what it leaves receivable adds up as its total less what was paid: only the foreign
#: ones are taken invoice by invoice (what was paid on each, at the rate of E). The rate of a day is
#: looked up once per foreign invoice or allocation, the rate of E once per currency. Common table
#: expressions shared by CASH_SQL and FIGURES_SQL (``cash``: a row per project with something
#: invoiced or collected).
CASH_CTES = """
pc AS (
    SELECT p.id AS pid, p.contract_id FROM delivery_project p
    WHERE p.id = ANY(%(ids)s::bigint[]) AND p.contract_id IS NOT NULL
), end_rates AS (
    SELECT DISTINCT ON (currency) currency, rate FROM finance_exchangerate
    WHERE date <= %(end)s::date ORDER BY currency, date DESC
), al AS (
    SELECT pc.pid, a.invoice_id, a.amount, i.currency <> %(base)s AS fx,
           i.issue_date <= %(end)s::date AND i.state NOT IN (%(draft)s, %(void)s, %(written_off)s) AS open_billed,
           CASE WHEN i.currency = %(base)s THEN a.amount ELSE ROUND(a.amount * ra.rate, 2) END AS base_amount,
           i.currency <> %(base)s AND ra.rate IS NULL AS unrated
    FROM finance_receiptallocation a
    JOIN finance_invoice i ON i.id = a.invoice_id
    JOIN pc ON pc.contract_id = i.contract_id
    LEFT JOIN LATERAL (
        SELECT r.rate FROM finance_exchangerate r
        WHERE i.currency <> %(base)s AND r.currency = i.currency AND r.date <= a.date
        ORDER BY r.date DESC LIMIT 1
    ) ra ON true
    WHERE a.date <= %(end)s::date
), al_sum AS (
    SELECT pid, SUM(base_amount) AS collected, COUNT(*) FILTER (WHERE unrated) AS unrated,
           COALESCE(SUM(amount) FILTER (WHERE open_billed AND NOT fx), 0) AS paid_open_base
    FROM al GROUP BY pid
), paid_fx AS (
    SELECT invoice_id, SUM(amount) AS paid FROM al WHERE fx GROUP BY invoice_id
), inv_sum AS (
    SELECT pc.pid,
           COALESCE(SUM(CASE WHEN i.currency = %(base)s THEN i.amount ELSE ROUND(i.amount * ri.rate, 2) END), 0)
             AS invoiced,
           COALESCE(SUM(i.total) FILTER (WHERE i.currency = %(base)s AND i.state <> %(written_off)s), 0)
             AS total_open_base,
           COALESCE(SUM(ROUND((i.total - COALESCE(pf.paid, 0)) * er.rate, 2))
                    FILTER (WHERE i.currency <> %(base)s AND i.state <> %(written_off)s), 0) AS receivable_fx,
           COUNT(*) FILTER (WHERE i.currency <> %(base)s AND (ri.rate IS NULL OR er.rate IS NULL)) AS unrated
    FROM finance_invoice i
    JOIN pc ON pc.contract_id = i.contract_id
    LEFT JOIN paid_fx pf ON i.currency <> %(base)s AND pf.invoice_id = i.id
    LEFT JOIN end_rates er ON i.currency <> %(base)s AND er.currency = i.currency
    LEFT JOIN LATERAL (
        SELECT r.rate FROM finance_exchangerate r
        WHERE i.currency <> %(base)s AND r.currency = i.currency AND r.date <= i.issue_date
        ORDER BY r.date DESC LIMIT 1
    ) ri ON true
    WHERE i.issue_date <= %(end)s::date AND i.state NOT IN (%(draft)s, %(void)s)
    GROUP BY pc.pid
), cash AS (
    SELECT COALESCE(s.pid, a.pid) AS pid,
           COALESCE(s.invoiced, 0) AS invoiced,
           COALESCE(s.total_open_base, 0) - COALESCE(a.paid_open_base, 0) + COALESCE(s.receivable_fx, 0)
             AS receivable,
           COALESCE(a.collected, 0) AS collected,
           (COALESCE(s.unrated, 0) + COALESCE(a.unrated, 0))::bigint AS unrated
    FROM inv_sum s FULL OUTER JOIN al_sum a ON a.pid = s.pid
)"""
CASH_SQL = f"WITH {CASH_CTES} SELECT pid, invoiced, receivable, collected, unrated FROM cash"


def _cash(ids: list[int], end: datetime.date) -> dict[int, dict]:
    """Invoiced (net, at the rate of each issue date), collected (allocations dated by ``end``, at
    their date's rate) and receivable (total less those allocations, at the rate of ``end``) per
    project, in base currency: two GROUP BY queries. Void invoices count for nothing; a written-off
    one was invoiced but is no longer receivable."""
    if connection.vendor == "postgresql":
        return _cash_in_one_statement(ids, end)
    zero = Value(Decimal(0), output_field=MONEY)
    invoices = (
        Invoice.objects.filter(contract__projects__in=ids, issue_date__lte=end)
        .exclude(state__in=[InvoiceState.DRAFT, InvoiceState.VOID])
        .annotate(
            pid=F("contract__projects"),
            rate_issue=rate_on("currency", OuterRef("issue_date")),
            rate_end=rate_on("currency", Value(end)),
            paid=paid_per_invoice(end),
        )
        .order_by()
        .values("pid")
        .annotate(
            invoiced=Coalesce(Sum(Round(F("amount") * F("rate_issue"), 2, output_field=MONEY)), zero),
            receivable=Coalesce(
                Sum(
                    Round((F("total") - F("paid")) * F("rate_end"), 2, output_field=MONEY),
                    filter=~Q(state=InvoiceState.WRITTEN_OFF),
                ),
                zero,
            ),
            unrated=Count("id", filter=Q(rate_issue__isnull=True) | Q(rate_end__isnull=True)),
        )
    )
    collected = (
        ReceiptAllocation.objects.filter(invoice__contract__projects__in=ids, date__lte=end)
        .annotate(pid=F("invoice__contract__projects"), rate=rate_on("invoice__currency", OuterRef("date")))
        .order_by()
        .values("pid")
        .annotate(
            collected=Coalesce(Sum(Round(F("amount") * F("rate"), 2, output_field=MONEY)), zero),
            unrated=Count("id", filter=Q(rate__isnull=True)),
        )
    )
    cash: dict[int, dict] = {}
    for row in invoices:
        cash.setdefault(row["pid"], {}).update(
            invoiced=row["invoiced"], receivable=row["receivable"], unrated=row["unrated"]
        )
    for row in collected:
        entry = cash.setdefault(row["pid"], {})
        entry["collected"] = row["collected"]
        entry["unrated"] = entry.get("unrated", 0) + row["unrated"]
    return cash


def _cash_params(ids, end: datetime.date) -> dict:
    return {
        "ids": id_array(ids),
        "end": end,
        "base": settings.BASE_CURRENCY,
        "draft": InvoiceState.DRAFT.value,
        "void": InvoiceState.VOID.value,
        "written_off": InvoiceState.WRITTEN_OFF.value,
    }


def _cash_in_one_statement(ids: list[int], end: datetime.date) -> dict[int, dict]:
    cash: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(CASH_SQL, _cash_params(ids, end))
        for pid, invoiced, receivable, collected, unrated in cursor.fetchall():
            cash[pid] = {"invoiced": invoiced, "receivable": receivable, "collected": collected, "unrated": unrated}
    return cash


def _gap_notes(missing: list[dict]) -> tuple[set[int], dict[int, list[str]]]:
    """The projects with cost entries left out for want of a rate, and one sentence per project and
    currency saying how many, how much and from which date."""
    gaps: dict[tuple[int, str], dict] = {}
    for row in missing:  # one sentence per project and currency, whatever the categories
        gap = gaps.setdefault(
            (row["project_id"], row["currency"]), {"n": 0, "total": Decimal(0), "first": row["first"]}
        )
        gap["n"] += row["n"]
        gap["total"] += row["total"]
        gap["first"] = min(gap["first"], row["first"])
    notes: dict[int, list[str]] = {}
    for (pid, currency), gap in sorted(gaps.items()):
        notes.setdefault(pid, []).append(
            _("%(n)s cost entries in %(cur)s (%(total)s) are left out: no %(cur)s rate on or before %(date)s.")
            % {"n": gap["n"], "cur": currency, "total": gap["total"], "date": gap["first"]}
        )
    return {pid for pid, _cur in gaps}, notes


def _revenue(at: _At, ac: Decimal) -> Decimal | None:
    if at.value is None:
        return None
    if settings.REVENUE_RECOGNITION == "cost_to_cost":
        if not at.bac:
            return None
        return _q(at.value * min(Decimal(1), ac / at.bac))
    if not at.weights:
        return None
    return _q(at.value * at.accepted / at.weights)


def _in_scope(period_row: AccountingPeriod) -> list[int]:
    """The projects a run of the period accounts for: those in build, implement or handover, and those
    with an account of the period already (a project that moved on is recomputed, never left stale)."""
    already = MonthlyAccount.objects.filter(period=period_row).values("project_id")
    return list(
        Project.objects.filter(Q(state__in=ACCOUNTED_STATES) | Q(pk__in=already))
        .order_by()
        .values_list("pk", flat=True)
    )


def compute_accounts(period: str) -> list[MonthlyAccount]:
    """The accounts of ``period`` (unsaved): a fixed number of queries for any number of projects."""
    start, end = month_start(period), month_end(period)
    prev_end = month_end(previous_period(period))
    period_row = AccountingPeriod.objects.get(period=period)
    ids = _in_scope(period_row)
    if not ids:
        return []
    in_scope = Project.objects.filter(pk__in=_among(ids))
    now_inputs, notes, unrated = _project_inputs(ids, end)
    prev_inputs, _prev_notes, _prev_unrated = _project_inputs(ids, prev_end)
    sums, missing = _costs(in_scope, start, end, ids)
    cash = _cash(ids, end)
    by_project: dict[int, dict] = {pid: {"cum": Decimal(0), "per": Decimal(0), "cat": {}} for pid in ids}
    for row in sums:
        p = by_project.get(row["project_id"])
        if p is None:  # a project that entered the scope after the run read it (SQLite's subquery)
            continue
        p["cum"] += row["cumulative"]
        p["per"] += row["period"]
        # rows are per currency too: a category paid in two currencies adds up
        p["cat"][row["category"]] = p["cat"].get(row["category"], Decimal(0)) + row["period"]
    incomplete, gap_notes = _gap_notes(missing)
    incomplete |= unrated
    for pid, says in gap_notes.items():
        notes.setdefault(pid, []).extend(says)
    computed_at = timezone.now()
    categories = CostCategory.values
    accounts = []
    for pid in ids:
        costs, now, prev = by_project[pid], now_inputs[pid], prev_inputs[pid]
        ac, ac_prev = _q(costs["cum"]), _q(costs["cum"] - costs["per"])
        ev = _q(now.bac * now.accepted / now.weights) if now.bac is not None and now.weights else None
        pv = _q(now.bac * now.planned / now.weights) if now.bac is not None and now.weights else None
        revenue, revenue_prev = _revenue(now, ac), _revenue(prev, ac_prev)
        margin = None if revenue is None else revenue - ac
        says = notes.get(pid, [])
        if not now.weights:
            says.append(_("No milestones to earn value on."))
        money = cash.get(pid, {})
        if money.get("unrated"):
            incomplete.add(pid)
            says.append(_("%(n)s invoices or receipts lack an exchange rate: left out.") % {"n": money["unrated"]})
        accounts.append(
            MonthlyAccount(
                project_id=pid,
                period=period_row,
                currency=settings.BASE_CURRENCY,
                cost_period=_q(costs["per"]),
                cost_cumulative=ac,
                cost_by_category={c: str(_q(costs["cat"].get(c, Decimal(0)))) for c in categories},
                budget=now.bac,
                planned_value=pv,
                earned_value=ev,
                cpi=_q(_div(ev, ac), RATIO),
                spi=_q(_div(ev, pv), RATIO),
                revenue_cumulative=revenue,
                revenue_period=None if revenue is None else revenue - (revenue_prev or Decimal(0)),
                gross_margin=margin,
                margin_percent=_q(_div(margin * 100, revenue)) if margin is not None else None,
                budget_execution_percent=_q(_div(ac * 100, now.bac)),
                cost_variance_percent=_q(_div((ac - ev) * 100, ev)) if ev is not None else None,
                invoiced=money.get("invoiced", Decimal(0)),
                collected=money.get("collected", Decimal(0)),
                receivable=money.get("receivable", Decimal(0)),
                complete=pid not in incomplete,
                notes=says,
                computed_at=computed_at,
            )
        )
    return accounts


def _ratio(a: str, b: str) -> str:
    """``a / b`` in SQL, NULL when ``b`` is NULL or 0, at 30 decimals (more than Python's 28 significant
    digits, so both round a figure to the same cent)."""
    return f"(({a})::numeric(65, 30) / NULLIF({b}, 0))"


#: the accounts of a period computed and written by one statement (PostgreSQL), to the definitions
#: and rounding of compute_accounts (its Python twin, used on SQLite and checked against this one in
#: the tests): the project inputs at E and at the month before (current approved budget, contract
#: value plus amendments, each at its currency's rate of that date; milestone weights), the cost
#: aggregate (GROUP BY project, category over the entries' stored base amounts), the cash figures,
#: then one upsert on (project, period). It answers the flags the notes are made of, for the
#: projects that have any: the sentences are written in Python, for those projects only.
FIGURES_SQL = (
    """
WITH p AS (
    SELECT p.id AS pid, p.currency AS cur, p.contract_id, c.value AS c_value, c.currency AS c_cur
    FROM delivery_project p LEFT JOIN contracts_contract c ON c.id = p.contract_id
    WHERE p.id = ANY(%(ids)s::bigint[])
), rate AS (
    SELECT x.cur,
           CASE WHEN x.cur = %(base)s THEN 1 ELSE (
               SELECT r.rate FROM finance_exchangerate r WHERE r.currency = x.cur AND r.date <= %(end)s::date
               ORDER BY r.date DESC LIMIT 1) END AS now,
           CASE WHEN x.cur = %(base)s THEN 1 ELSE (
               SELECT r.rate FROM finance_exchangerate r WHERE r.currency = x.cur AND r.date <= %(prev_end)s::date
               ORDER BY r.date DESC LIMIT 1) END AS prev
    FROM (SELECT cur FROM p UNION SELECT c_cur FROM p WHERE c_cur IS NOT NULL) x
), bud_now AS (
    SELECT DISTINCT ON (project_id) project_id AS pid, total FROM finance_budget
    WHERE project_id = ANY(%(ids)s::bigint[]) AND state = %(approved)s AND approved_at < %(until)s
    ORDER BY project_id, version DESC
), bud_prev AS (
    SELECT DISTINCT ON (project_id) project_id AS pid, total FROM finance_budget
    WHERE project_id = ANY(%(ids)s::bigint[]) AND state = %(approved)s AND approved_at < %(prev_until)s
    ORDER BY project_id, version DESC
), amend AS (
    SELECT contract_id,
           COALESCE(SUM(value_change) FILTER (WHERE recorded_at < %(until)s), 0) AS now,
           COALESCE(SUM(value_change) FILTER (WHERE recorded_at < %(prev_until)s), 0) AS prev
    FROM contracts_contractamendment WHERE contract_id IN (SELECT contract_id FROM p)
    GROUP BY contract_id
), ms AS (
    SELECT m.project_id AS pid, SUM(m.weight) AS w,
           COALESCE(SUM(m.weight) FILTER (WHERE m.state = %(accepted)s AND a.date <= %(end)s::date), 0) AS acc,
           COALESCE(SUM(m.weight) FILTER (WHERE m.state = %(accepted)s AND a.date <= %(prev_end)s::date), 0)
             AS acc_prev,
           COALESCE(SUM(m.weight) FILTER (WHERE m.planned_end <= %(end)s::date), 0) AS planned
    FROM delivery_milestone m LEFT JOIN delivery_acceptancecertificate a ON a.milestone_id = m.id
    WHERE m.project_id = ANY(%(ids)s::bigint[]) AND m.state <> %(waived)s
    GROUP BY m.project_id
), cost AS MATERIALIZED (
    SELECT project_id AS pid, COALESCE(SUM(amount_base), 0) AS cum
    FROM finance_costentry
    WHERE state = %(approved)s AND date <= %(end)s::date AND project_id = ANY(%(ids)s::bigint[])
    GROUP BY project_id
), cost_period AS MATERIALIZED (
    SELECT project_id AS pid, COALESCE(SUM(amount_base), 0) AS per,
           jsonb_build_object("""
    + ", ".join(
        f"%(category_{n})s, ROUND(COALESCE(SUM(amount_base) FILTER (WHERE category = %(category_{n})s), 0), 2)::text"
        for n in range(len(CostCategory.values))
    )
    + """) AS by_cat
    FROM finance_costentry
    WHERE state = %(approved)s AND date >= %(start)s::date AND date <= %(end)s::date
      AND project_id = ANY(%(ids)s::bigint[])
    GROUP BY project_id
), """
    + CASH_CTES
    + """, f AS (
    SELECT p.pid, p.cur, p.c_cur,
           ROUND(COALESCE(cost.cum, 0), 2) AS ac,
           ROUND(COALESCE(cp.per, 0), 2) AS per,
           ROUND(COALESCE(cost.cum, 0) - COALESCE(cp.per, 0), 2) AS ac_prev,
           COALESCE(cp.by_cat, %(zero_categories)s::jsonb) AS by_cat,
           ROUND(bn.total * rp.now, 2) AS bac,
           ROUND(bp.total * rp.prev, 2) AS bac_prev,
           ROUND((p.c_value + COALESCE(am.now, 0)) * rc.now, 2) AS val,
           ROUND((p.c_value + COALESCE(am.prev, 0)) * rc.prev, 2) AS val_prev,
           COALESCE(ms.w, 0) AS w, COALESCE(ms.acc, 0) AS acc, COALESCE(ms.acc_prev, 0) AS acc_prev,
           COALESCE(ms.planned, 0) AS planned,
           bn.total IS NULL AS no_budget, bn.total IS NOT NULL AND rp.now IS NULL AS budget_unrated,
           p.c_value IS NULL AS no_contract, p.c_value IS NOT NULL AND rc.now IS NULL AS contract_unrated,
           COALESCE(cash.invoiced, 0) AS invoiced, COALESCE(cash.collected, 0) AS collected,
           COALESCE(cash.receivable, 0) AS receivable, COALESCE(cash.unrated, 0) AS cash_unrated,
           p.pid = ANY(%(gaps)s::bigint[]) AS gap
    FROM p
    LEFT JOIN rate rp ON rp.cur = p.cur
    LEFT JOIN rate rc ON rc.cur = p.c_cur
    LEFT JOIN bud_now bn ON bn.pid = p.pid
    LEFT JOIN bud_prev bp ON bp.pid = p.pid
    LEFT JOIN amend am ON am.contract_id = p.contract_id
    LEFT JOIN ms ON ms.pid = p.pid
    LEFT JOIN cost ON cost.pid = p.pid
    LEFT JOIN cost_period cp ON cp.pid = p.pid
    LEFT JOIN cash ON cash.pid = p.pid
), g AS (
    SELECT f.*,
           CASE WHEN f.w <> 0 THEN ROUND("""
    + _ratio("f.bac * f.acc", "f.w")
    + """, 2) END AS ev,
           CASE WHEN f.w <> 0 THEN ROUND("""
    + _ratio("f.bac * f.planned", "f.w")
    + """, 2) END AS pv,
           CASE WHEN %(cost_to_cost)s THEN CASE WHEN f.bac <> 0 THEN ROUND(f.val * LEAST(1, """
    + _ratio("f.ac", "f.bac")
    + """), 2) END
                ELSE ROUND("""
    + _ratio("f.val * f.acc", "f.w")
    + """, 2) END AS rev,
           CASE WHEN %(cost_to_cost)s THEN CASE WHEN f.bac_prev <> 0 THEN ROUND(f.val_prev * LEAST(1, """
    + _ratio("f.ac_prev", "f.bac_prev")
    + """), 2) END
                ELSE ROUND("""
    + _ratio("f.val_prev * f.acc_prev", "f.w")
    + """, 2) END AS rev_prev
    FROM f
)
SELECT pid, per, ac, by_cat, bac, pv, ev,
       ROUND("""
    + _ratio("ev", "ac")
    + """, 4) AS cpi, ROUND("""
    + _ratio("ev", "pv")
    + """, 4) AS spi,
       rev - COALESCE(rev_prev, 0) AS rev_period, rev, rev - ac AS margin,
       ROUND("""
    + _ratio("(rev - ac) * 100", "rev")
    + """, 2) AS margin_percent, ROUND("""
    + _ratio("ac * 100", "bac")
    + """, 2) AS execution_percent,
       ROUND("""
    + _ratio("(ac - ev) * 100", "ev")
    + """, 2) AS variance_percent, invoiced, collected, receivable,
       NOT (budget_unrated OR contract_unrated OR cash_unrated > 0 OR gap) AS complete,
       no_budget, budget_unrated, cur, no_contract, contract_unrated, c_cur, w = 0 AS no_weights, cash_unrated, gap
FROM g
"""
)
#: the figures into the period's accounts: one upsert on (project, period)
WRITE_SQL = """
INSERT INTO finance_monthlyaccount (
    project_id, period_id, run_id, currency, cost_period, cost_cumulative, cost_by_category, budget,
    planned_value, earned_value, cpi, spi, revenue_period, revenue_cumulative, gross_margin,
    margin_percent, budget_execution_percent, cost_variance_percent, invoiced, collected, receivable,
    complete, notes, computed_at)
SELECT pid, %(period_id)s, %(run_id)s, %(currency)s, per, ac, by_cat, bac, pv, ev, cpi, spi, rev_period, rev,
       margin, margin_percent, execution_percent, variance_percent, invoiced, collected, receivable,
       complete, '[]'::jsonb, %(computed_at)s
FROM accounting_figures
ON CONFLICT (project_id, period_id) DO UPDATE SET {updates}
"""
#: the projects whose account has notes, with what the notes are made of
FLAGS_SQL = """
SELECT pid, no_budget, budget_unrated, cur, no_contract, contract_unrated, c_cur, no_weights, cash_unrated
FROM accounting_figures
WHERE no_budget OR budget_unrated OR no_contract OR contract_unrated OR no_weights OR cash_unrated > 0 OR gap
"""


def _notes_of(pid, at: datetime.date, flags: dict, gap_notes: dict) -> list[str]:
    """The sentences of one account, in the order compute_accounts writes them."""
    says = []
    if flags["no_budget"]:
        says.append(_("No approved budget on %(date)s.") % {"date": at})
    elif flags["budget_unrated"]:
        says.append(_("No %(cur)s rate on or before %(date)s for the budget.") % {"cur": flags["cur"], "date": at})
    if flags["no_contract"]:
        says.append(_("No signed contract."))
    elif flags["contract_unrated"]:
        says.append(
            _("No %(cur)s rate on or before %(date)s for the contract value.") % {"cur": flags["c_cur"], "date": at}
        )
    says += gap_notes.get(pid, [])
    if flags["no_weights"]:
        says.append(_("No milestones to earn value on."))
    if flags["cash_unrated"]:
        says.append(_("%(n)s invoices or receipts lack an exchange rate: left out.") % {"n": flags["cash_unrated"]})
    return says


def write_accounts(period_row: AccountingPeriod, run: AccountingRun) -> int:
    """Compute and write the accounts of ``period_row`` for ``run``; the number written. PostgreSQL:
    a fixed handful of statements (the scope, the entries without a rate, the accounts, their notes)
    whatever the number of projects and entries; elsewhere compute_accounts and a bulk upsert."""
    if connection.vendor != "postgresql":
        accounts = compute_accounts(period_row.period)
        for account in accounts:
            account.run_id = run.pk
        _upsert(accounts)
        return len(accounts)
    period = period_row.period
    start, end = month_start(period), month_end(period)
    prev_end = month_end(previous_period(period))
    ids = _in_scope(period_row)
    if not ids:
        return 0
    gaps, gap_notes = _gap_notes(_unrated_costs(ids, end))
    qn = connection.ops.quote_name
    updates = ", ".join(
        f"{qn(f.column)} = EXCLUDED.{qn(f.column)}"
        for f in MonthlyAccount._meta.concrete_fields
        if f.name in ACCOUNT_FIGURES
    )
    params = {
        **_cash_params(ids, end),
        "start": start,
        "prev_end": prev_end,
        "until": _end_of_day(end),
        "prev_until": _end_of_day(prev_end),
        "approved": BudgetState.APPROVED.value,
        "accepted": MilestoneState.ACCEPTED.value,
        "waived": MilestoneState.WAIVED.value,
        **{f"category_{n}": category for n, category in enumerate(CostCategory.values)},
        "zero_categories": json.dumps(dict.fromkeys(CostCategory.values, "0.00")),
        "cost_to_cost": settings.REVENUE_RECOGNITION == "cost_to_cost",
        "gaps": id_array(gaps),
        "period_id": period_row.pk,
        "run_id": run.pk,
        "currency": settings.BASE_CURRENCY,
        "computed_at": timezone.now(),
    }
    with connection.cursor() as cursor:
        # a table of this transaction's (a statement that writes is never run in parallel: the cost
        # aggregate is, as its floor is, when it only fills a table of its own)
        cursor.execute("DROP TABLE IF EXISTS accounting_figures")
        cursor.execute("CREATE TEMPORARY TABLE accounting_figures ON COMMIT DROP AS " + FIGURES_SQL, params)
        cursor.execute(WRITE_SQL.replace("{updates}", updates), params)
        cursor.execute(FLAGS_SQL)
        flagged = cursor.fetchall()
    notes = {}
    for pid, no_budget, budget_unrated, cur, no_contract, contract_unrated, c_cur, no_weights, cash_unrated in flagged:
        flags = {
            "no_budget": no_budget,
            "budget_unrated": budget_unrated,
            "cur": cur,
            "no_contract": no_contract,
            "contract_unrated": contract_unrated,
            "c_cur": c_cur,
            "no_weights": no_weights,
            "cash_unrated": cash_unrated,
        }
        notes[pid] = _notes_of(pid, end, flags, gap_notes)
    if notes:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE finance_monthlyaccount m SET notes = v.value "
                "FROM jsonb_each(%s::jsonb) v WHERE m.period_id = %s AND m.project_id = v.key::bigint",
                [json.dumps({str(pid): says for pid, says in notes.items()}), period_row.pk],
            )
    return len(ids)


def final_figures(project: Project, at: datetime.date) -> dict:
    """The figures of a project's final accounts (决算) as of ``at``, in base currency, by the
    definitions of the monthly accounting (DOMAIN.md §5.1) taken at a day rather than a month end:
    actual cost by category, current budget, revenue, invoiced, collected, receivable, margin; plus
    the estimate (概算, the contract quote's cost) and every budget version, each at the rate of
    ``at``. A fixed number of queries."""
    pid = project.pk
    inputs, notes, unrated = _project_inputs([pid], at)
    now = inputs[pid]
    says = list(notes.get(pid, []))
    incomplete = pid in unrated
    sums, missing = _costs(Project.objects.filter(pk=pid), at, at)
    by_category = dict.fromkeys(CostCategory.values, Decimal(0))
    for row in sums:
        by_category[row["category"]] += row["cumulative"]
    ac = _q(sum(by_category.values(), Decimal(0)))
    gaps, gap_notes = _gap_notes(missing)
    incomplete = incomplete or pid in gaps
    says += gap_notes.get(pid, [])
    money = _cash([pid], at).get(pid, {})
    if money.get("unrated"):
        incomplete = True
        says.append(_("%(n)s invoices or receipts lack an exchange rate: left out.") % {"n": money["unrated"]})
    revenue = _revenue(now, ac)
    margin = None if revenue is None else revenue - ac
    estimate = None
    contract = project.contract
    if contract is not None and contract.quote_id:
        rate = rate_of(contract.currency, at)
        if rate is None:
            incomplete = True
            says.append(
                _("No %(cur)s rate on or before %(date)s for the estimate.") % {"cur": contract.currency, "date": at}
            )
        else:
            estimate = _q(contract.quote.cost * rate)
    else:
        says.append(_("No contract quote: no estimate."))
    versions = []
    for budget in project.budgets.order_by("version"):
        rate = rate_of(budget.currency, at)
        versions.append(
            {
                "version": budget.version,
                "state": budget.state,
                "total": str(budget.total),
                "currency": budget.currency,
                "total_base": None if rate is None else str(_q(budget.total * rate)),
                "approved_at": budget.approved_at.isoformat() if budget.approved_at else None,
            }
        )
    return {
        "as_of": at,
        "currency": settings.BASE_CURRENCY,
        "estimate_total": estimate,
        "budget_total": now.bac,
        "budget_versions": versions,
        "cost_by_category": {c: str(_q(v)) for c, v in by_category.items()},
        "actual_cost": ac,
        "revenue": revenue,
        "invoiced": money.get("invoiced", Decimal(0)),
        "collected": money.get("collected", Decimal(0)),
        "receivable": money.get("receivable", Decimal(0)),
        "gross_margin": margin,
        "margin_percent": _q(_div(margin * 100, revenue)) if margin is not None else None,
        "variance_vs_estimate": None if estimate is None else ac - estimate,
        "variance_vs_budget": None if now.bac is None else ac - now.bac,
        "complete": not incomplete,
        "notes": says,
    }


ACCOUNT_FIGURES = [f.name for f in MonthlyAccount._meta.concrete_fields if f.name not in ("id", "project", "period")]


def id_array(ids) -> str:
    """Ids as one PostgreSQL array literal (``'{1,2,3}'``, cast ``::bigint[]`` in the statement): one
    constant the server reads at once, where a list becomes an ``ARRAY[…]`` expression of thousands of
    constants to plan."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def _among(ids):
    """The right-hand side of an ``__in`` over ``ids``: on PostgreSQL one array parameter (the
    statement neither grows with the ids nor has thousands of constants to plan), else the list."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [id_array(ids)])
    return list(ids)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _upsert(accounts: list[MonthlyAccount]) -> None:
    """Write the accounts, a row per project and period, rewriting the figures of a row already there.
    PostgreSQL: one ``INSERT … SELECT FROM json_populate_recordset(…) ON CONFLICT (project, period) DO
    UPDATE`` of one JSON document (the table's own column types read it: Decimals as their exact text),
    whatever the number of accounts; elsewhere Django's bulk upsert."""
    if not accounts:
        return
    if connection.vendor != "postgresql":
        MonthlyAccount.objects.bulk_create(
            accounts,
            update_conflicts=True,
            unique_fields=["project", "period"],
            update_fields=ACCOUNT_FIGURES,
            batch_size=1000,
        )
        return
    qn = connection.ops.quote_name
    fields = [f for f in MonthlyAccount._meta.concrete_fields if f.name != "id"]
    rows = [{f.column: getattr(account, f.attname) for f in fields} for account in accounts]
    columns = ", ".join(qn(f.column) for f in fields)
    table = qn(MonthlyAccount._meta.db_table)
    updates = ", ".join(f"{qn(f.column)} = EXCLUDED.{qn(f.column)}" for f in fields if f.name in ACCOUNT_FIGURES)
    project, period = (qn(MonthlyAccount._meta.get_field(n).column) for n in ("project", "period"))
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names are ours
        f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s::json) "
        f"ON CONFLICT ({project}, {period}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_json_default)])


def _tune_for_aggregates() -> None:
    """PostgreSQL, for this transaction only: no JIT (compiling the big aggregates costs more than it
    saves at these sizes) and room for their hash tables in memory (no spill to disk)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


def execute_run(run_id: int) -> AccountingRun:
    """The task's body: run one queued (or interrupted) run. Safe to deliver twice: a finished run is
    left as it is; a run interrupted while running is run again from the start. Each step of the run
    (start, succeed, fail) goes through the transition path and is logged."""
    run = AccountingRun.objects.select_related("period").get(pk=run_id)
    if run.state in (RunState.SUCCEEDED, RunState.FAILED):
        return run
    run = run_effect(run, "start", user=None, reason=said(gettext_noop("Picked up by the accounting job")))
    try:
        with transaction.atomic():
            _tune_for_aggregates()
            period = AccountingPeriod.objects.select_for_update().get(pk=run.period_id)
            if period.state == PeriodState.CLOSED:
                raise PeriodClosed(
                    _("Period %(period)s is closed: its accounts are not recomputed.") % {"period": period}
                )
            written = write_accounts(period, run)
            raise_variance_alerts(period, alarming_accounts(period, run))
            run = run_effect(
                run,
                "succeed",
                user=None,
                reason=said(gettext_noop("%(n)s accounts written"), n=written),
                data={"projects": written},
                projects=written,
            )
    except Exception as exc:  # the run records why; the previous accounts stay as they were
        error = str(exc)[:4000] or type(exc).__name__
        run_effect(run, "fail", user=None, reason=error[:500], error=error)
        raise
    return run


def alarming_accounts(period: AccountingPeriod, run: AccountingRun) -> list[MonthlyAccount]:
    """The accounts this run wrote whose cost variance exceeds COST_VARIANCE_ALERT_PERCENT or whose
    CPI is below COST_ALERT_CPI (one query, the thresholds in SQL)."""
    over = Q(cost_variance_percent__gt=settings.COST_VARIANCE_ALERT_PERCENT) | Q(cpi__lt=settings.COST_ALERT_CPI)
    return list(
        MonthlyAccount.objects.filter(over, period=period, run=run).only(
            "project", "currency", "cost_cumulative", "earned_value", "cost_variance_percent", "cpi"
        )
    )


def _alarming(account: MonthlyAccount) -> bool:
    over = (
        account.cost_variance_percent is not None
        and account.cost_variance_percent > settings.COST_VARIANCE_ALERT_PERCENT
    )
    low = account.cpi is not None and account.cpi < settings.COST_ALERT_CPI
    return over or low


def raise_variance_alerts(period: AccountingPeriod, accounts: list[MonthlyAccount]) -> list[VarianceAlert]:
    """A project whose cost variance exceeds COST_VARIANCE_ALERT_PERCENT, or whose CPI is below
    COST_ALERT_CPI, gets one risk (owned by its PM) and one e-mail to its PM and finance per period —
    never twice, however often the period is run. A constant number of queries."""
    alarming = {a.project_id: a for a in accounts if _alarming(a)}
    if not alarming:
        return []
    already = set(
        VarianceAlert.objects.filter(period=period, project_id__in=_among(alarming)).values_list(
            "project_id", flat=True
        )
    )
    projects = {p.pk: p for p in Project.objects.filter(pk__in=_among(set(alarming) - already)).select_related("pm")}
    if not projects:
        return []
    descriptions, items, alerts = {}, [], []
    for pid, project in projects.items():
        a = alarming[pid]
        descriptions[pid] = _(
            "Cost variance %(cv)s%% (CPI %(cpi)s) in %(period)s: actual cost %(ac)s against earned value "
            "%(ev)s %(cur)s."
        ) % {
            "cv": "—" if a.cost_variance_percent is None else a.cost_variance_percent,
            "cpi": "—" if a.cpi is None else a.cpi,
            "period": period.period,
            "ac": a.cost_cumulative,
            "ev": "—" if a.earned_value is None else a.earned_value,
            "cur": a.currency,
        }
        if project.pm_id:
            items.append(
                {
                    "project": project,
                    "category": str(_("Cost variance")),
                    "description": descriptions[pid],
                    "probability": 4,
                    "impact": 4,
                    "owner": project.pm,
                    "response": RiskResponse.MITIGATE,
                    "plan": "",
                    "trigger": str(_("Monthly accounting %(period)s") % {"period": period.period}),
                }
            )
        alerts.append(
            VarianceAlert(project=project, period=period, cost_variance_percent=a.cost_variance_percent, cpi=a.cpi)
        )
    risks = {
        r.project_id: r
        for r in risks_raise_by_portal(items=items, reason=said(gettext_noop("Raised by the monthly accounting")))
    }
    for alert in alerts:
        alert.risk_id = risks[alert.project_id].pk if alert.project_id in risks else None
    VarianceAlert.objects.bulk_create(alerts)
    finance_emails = set(
        get_user_model()
        .objects.filter(groups__name=Role.FINANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    pm_emails = {p.pm.email for p in projects.values() if p.pm_id}
    wanted = mail_wanted(finance_emails | pm_emails)  # not those who turned the portal's e-mails off
    messages = []
    for pid, project in projects.items():
        pm = {project.pm.email} if project.pm_id and project.pm.email else set()
        recipients = sorted((finance_emails | pm) & wanted)
        if recipients:
            subject = _("Cost alert: %(project)s (%(period)s)") % {"project": project.name, "period": period.period}
            messages.append((str(subject), str(descriptions[pid]), settings.DEFAULT_FROM_EMAIL, recipients))
    mail_after_commit(messages)
    return alerts
