"""Scale data of finance (ltc_portal/core/scale.py), for every started scale project (past DR1):

- daily USD rates over the whole span of the data (so no amount lacks a rate), dated before the first
  USD rate the database already has (so the recorded rates keep converting what they did);
- budget v1 approved at DR1, with lines by category (about the estimate of the contract's quote);
- approved cost entries (``source_system = "scale"``, ``source_ref = "scale-JJJJJ-NNNNNN"``), dated from
  DR1 (at most ~13 months back) to today or DR4, about a fifth in USD, their total about the earned
  value (some projects over it: the accounting raises alerts on those); on PostgreSQL one set-based
  ``INSERT … SELECT … FROM generate_series`` per run, elsewhere ``bulk_create`` in batches (where the
  model stores an entry's base amount, ``amount_base``, it is written too, by the same definition);
- one invoice per due payment milestone (``INV-YYYY-NNNNNN`` numbers continuing each year's
  ``InvoiceCounter``, which is moved past them), paid by a receipt allocated to it when its customer
  paid (partly, for some), outstanding otherwise;
- prepared final accounts for closed projects.

Bulk inserts: no transition-log rows (the "open"/created rows and the steps are not written for scale
data), no e-mail.
"""

import bisect
import datetime
import hashlib
import math
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from contracts.models import ContractState, PaymentMilestone, PaymentMilestoneState, Trigger
from delivery.models import AcceptanceCertificate, Project, ProjectState
from ltc_portal.core.money import quantize
from ltc_portal.core.scale import PREFIX, STARTED, Scale, between, index_of, project_plan, seeder, split
from opportunities.models import CostCategory

from .accounting import final_figures
from .models import (
    Budget,
    BudgetLine,
    BudgetState,
    CostEntry,
    CostEntryState,
    ExchangeRate,
    FinalAccount,
    FinalAccountState,
    Invoice,
    InvoiceCounter,
    InvoiceState,
    Receipt,
    ReceiptAllocation,
)
from .selectors import invoiced_per_milestone
from .services.costs import rebase_entries

DAY = datetime.timedelta(days=1)
SOURCE = "scale"
#: roughly what a USD is worth in CNY over the data (to size USD amounts; the rates themselves vary)
USD_APPROX = Decimal("7.15")
#: cost entries reach back at most this many days (about 13 months)
COST_WINDOW_DAYS = 395
#: budget lines (category, share %)
BUDGET_SHARES = [
    (CostCategory.LABOUR, 35),
    (CostCategory.EQUIPMENT, 30),
    (CostCategory.SUBCONTRACT, 20),
    (CostCategory.TRAVEL, 5),
    (CostCategory.RISK_RESERVE, 10),
]
#: cost entries by category: (upper bound of the draw, category, description)
ENTRY_KINDS = [
    (0.40, CostCategory.LABOUR, "实施团队工时 / Implementation team timesheet"),
    (0.60, CostCategory.EQUIPMENT, "设备到货 / Equipment delivered (PO)"),
    (0.80, CostCategory.SUBCONTRACT, "分包进度款 / Subcontractor progress bill"),
    (0.92, CostCategory.TRAVEL, "差旅 / Site visit travel and lodging"),
    (1.00, CostCategory.OTHER, "材料与杂费 / Materials and sundries"),
]


def usd_rate(day: datetime.date) -> Decimal:
    """A plausible CNY per USD on ``day`` (7.0–7.3, varying smoothly)."""
    d = day.toordinal()
    return Decimal(71500 + int(1200 * math.sin(d / 37)) + int(400 * math.sin(d / 11))) / 10000


def _started_projects(**filters):
    return Project.objects.filter(name__startswith=PREFIX, state__in=STARTED, **filters)


@seeder(order=50)
def seed_rates_and_budgets(scale: Scale) -> dict:
    today = scale.today
    first = today - 470 * DAY
    # only before the first rate the database has: the rates recorded there keep converting what they did
    earliest = ExchangeRate.objects.filter(currency="USD").order_by("date").values_list("date", flat=True).first()
    last = min(today, earliest - DAY) if earliest else today
    rates = [
        ExchangeRate(currency="USD", date=first + k * DAY, rate=usd_rate(first + k * DAY))
        for k in range((last - first).days + 1)
    ]
    ExchangeRate.objects.bulk_create(rates, batch_size=scale.batch_size, ignore_conflicts=True)
    if rates:  # entries already there (the demo's) count at the new rates from their dates
        rebase_entries(currency="USD", since=first, until=last + DAY)
    projects = list(
        _started_projects(budgets__isnull=True).values("pk", "name", "currency", "pm_id", "contract__quote__cost")
    )
    budgets = []
    for p in projects:
        j = index_of(p["name"])
        plan = project_plan(j, today)
        total = quantize(p["contract__quote__cost"] * between(97, 106, j, "budget") / 100)
        budgets.append(
            Budget(
                project_id=p["pk"],
                version=1,
                currency=p["currency"],
                total=total,
                note="DR1: budget approved with the contract handover",
                approved_at=timezone.make_aware(datetime.datetime.combine(plan.start, datetime.time(10))),
                created_by_id=p["pm_id"],
                state=BudgetState.APPROVED,
            )
        )
    Budget.objects.bulk_create(budgets, batch_size=scale.batch_size)
    lines = [
        BudgetLine(budget=budget, category=category, amount=amount)
        for budget in budgets
        for (category, _share), amount in zip(
            BUDGET_SHARES, split(budget.total, [share for _c, share in BUDGET_SHARES]), strict=True
        )
    ]
    BudgetLine.objects.bulk_create(lines, batch_size=scale.batch_size)
    return {"exchange rates": len(rates), "budgets": len(budgets), "budget lines": len(lines)}


# Cost entries --------------------------------------------------------------------------------------


def _cost_plan(scale: Scale) -> list[dict]:
    """Per started scale project: how many entries are missing, from which number, over which days,
    and their mean base amount (so that the project's total lands near its earned value)."""
    today = scale.today
    rows = list(_started_projects().values("pk", "name", "currency", "pm_id", "budgets__total", "budgets__version"))
    projects = {}
    for r in rows:
        if r["budgets__version"] == 1:
            projects[index_of(r["name"])] = r
    windows, weights = {}, {}
    for j, _r in projects.items():
        plan = project_plan(j, today)
        day0 = max(plan.start, today - COST_WINDOW_DAYS * DAY)
        end = min(plan.closed or today, today)
        windows[j] = (plan, day0, max(1, (end - day0).days + 1))
        weights[j] = windows[j][2]
    wanted = scale.counts["cost_entries"]
    total = sum(weights.values()) or 1
    shares = {j: wanted * w / total for j, w in weights.items()}
    target = {j: int(s) for j, s in shares.items()}
    for j in sorted(shares, key=lambda j: (-(shares[j] - int(shares[j])), j))[: wanted - sum(target.values())]:
        target[j] += 1
    have = dict(
        CostEntry.objects.filter(source_system=SOURCE)
        .order_by()
        .values("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    room = wanted - sum(have.values())
    plan_rows = []
    for j in sorted(projects):
        r = projects[j]
        existing = have.get(r["pk"], 0)
        missing = min(max(0, target[j] - existing), max(0, room))
        if not missing:
            continue
        room -= missing
        plan, day0, span = windows[j]
        weight = sum(m.weight for m in plan.milestones) or 1
        earned = Decimal(sum(m.weight for m in plan.milestones if m.accepted_on)) / weight
        ratio = Decimal(between(80, 108, j, "cpi")) / 100
        wip = Decimal("0.01") if plan.state in (ProjectState.BUILD, ProjectState.IMPLEMENT) else Decimal(0)
        bac = r["budgets__total"] * (USD_APPROX if r["currency"] == "USD" else 1)
        mean = max(Decimal(1), quantize(bac * (earned * ratio + wip) / max(1, target[j])))
        plan_rows.append(
            {
                "project_id": r["pk"],
                "index": j,
                "first": existing,
                "missing": missing,
                "day0": day0,
                "span": span,
                "mean": mean,
                "pm_id": r["pm_id"],
                "finance_id": scale.person("finance", j, "costs"),
            }
        )
    return plan_rows


COSTS_INSERT = """
INSERT INTO finance_costentry
    (created_at, updated_at, project_id, date, period, category, amount, currency, description,
     source_system, source_ref, entered_by_id, decided_by_id, state{base_column})
SELECT now(), now(), p.project_id, e.day, to_char(e.day, 'YYYY-MM'), e.category, m.amount, m.currency,
       e.description || ' ' || to_char(e.day, 'YYYY-MM'),
       %(source)s, %(prefix)s || lpad(p.idx::text, 5, '0') || '-' || lpad(g.n::text, 6, '0'),
       CASE WHEN e.by_pm THEN p.pm_id ELSE p.finance_id END,
       CASE WHEN e.by_pm THEN p.finance_id END,
       'approved'{base_value}
FROM unnest(%(ids)s::bigint[], %(idx)s::int[], %(first)s::int[], %(missing)s::int[], %(day0)s::date[],
            %(span)s::int[], %(mean)s::numeric[], %(pm)s::bigint[], %(fin)s::bigint[])
     AS p(project_id, idx, first_n, missing, day0, span, mean, pm_id, finance_id)
CROSS JOIN LATERAL generate_series(p.first_n, p.first_n + p.missing - 1) AS g(n)
CROSS JOIN LATERAL (SELECT md5(p.idx || '-' || g.n) AS h) AS hashed
CROSS JOIN LATERAL (
    SELECT ('x' || substr(hashed.h, 1, 8))::bit(32)::bigint / 4294967296.0 AS u1,
           ('x' || substr(hashed.h, 9, 8))::bit(32)::bigint / 4294967296.0 AS u2,
           ('x' || substr(hashed.h, 17, 8))::bit(32)::bigint / 4294967296.0 AS u3,
           ('x' || substr(hashed.h, 25, 8))::bit(32)::bigint / 4294967296.0 AS u4
) AS d
CROSS JOIN LATERAL (
    SELECT p.day0 + floor(d.u3 * p.span)::int AS day,
           d.u2 < 0.2 AS usd,
           d.u2 >= 0.2 AND d.u2 < 0.32 AS by_pm,
           CASE {categories} END AS category,
           CASE {descriptions} END AS description
) AS e
CROSS JOIN LATERAL (
    SELECT GREATEST(0.01, ROUND(p.mean * (0.2 + 1.6 * d.u4) / CASE WHEN e.usd THEN %(usd)s ELSE 1 END, 2)) AS amount,
           CASE WHEN e.usd THEN 'USD' ELSE %(base)s END AS currency
) AS m
ON CONFLICT (source_system, source_ref) DO NOTHING
"""
#: an entry's stored base amount, where the model has one (the amount in the base currency, else at
#: the latest rate on or before its date, to the cent; NULL without a rate)
BASE_VALUE = """,
       CASE WHEN m.currency = %(base)s THEN m.amount ELSE ROUND(m.amount * (
           SELECT r.rate FROM finance_exchangerate r
           WHERE r.currency = m.currency AND r.date <= e.day ORDER BY r.date DESC LIMIT 1
       ), 2) END"""


def _stores_base_amount() -> bool:
    return any(f.name == "amount_base" for f in CostEntry._meta.concrete_fields)


def _draws(index: int, n: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The four uniform draws of entry ``n`` of project ``index`` (as COSTS_INSERT computes them)."""
    h = hashlib.md5(f"{index}-{n}".encode(), usedforsecurity=False).hexdigest()
    return tuple(Decimal(int(h[k : k + 8], 16)) / Decimal(2**32) for k in (0, 8, 16, 24))


def _entries_python(scale: Scale, plan_rows: list[dict]) -> int:
    """The same rows as COSTS_INSERT, built in Python and inserted with bulk_create (not PostgreSQL)."""
    batch, added = [], 0
    rates, stored = {}, _stores_base_amount()
    if stored:
        for currency, day, rate in ExchangeRate.objects.order_by("currency", "date").values_list(
            "currency", "date", "rate"
        ):
            rates.setdefault(currency, []).append((day, rate))
    for p in plan_rows:
        for n in range(p["first"], p["first"] + p["missing"]):
            u1, u2, u3, u4 = _draws(p["index"], n)
            day = p["day0"] + int(u3 * p["span"]) * DAY
            usd, by_pm = u2 < Decimal("0.2"), Decimal("0.2") <= u2 < Decimal("0.32")
            _limit, category, text = next(kind for kind in ENTRY_KINDS if u1 < Decimal(str(kind[0])))
            amount = p["mean"] * (Decimal("0.2") + Decimal("1.6") * u4) / (USD_APPROX if usd else 1)
            batch.append(
                CostEntry(
                    project_id=p["project_id"],
                    date=day,
                    period=day.strftime("%Y-%m"),
                    category=category,
                    amount=max(Decimal("0.01"), quantize(amount)),
                    currency="USD" if usd else settings.BASE_CURRENCY,
                    description=f"{text} {day:%Y-%m}",
                    source_system=SOURCE,
                    source_ref=f"{PREFIX}{p['index']:05d}-{n:06d}",
                    entered_by_id=p["pm_id"] if by_pm else p["finance_id"],
                    decided_by_id=p["finance_id"] if by_pm else None,
                    state=CostEntryState.APPROVED,
                )
            )
            if stored:
                batch[-1].amount_base = _in_base(batch[-1], rates)
            if len(batch) >= scale.batch_size:
                CostEntry.objects.bulk_create(batch, ignore_conflicts=True)
                added += len(batch)
                batch = []
    CostEntry.objects.bulk_create(batch, ignore_conflicts=True)
    return added + len(batch)


def _in_base(entry: CostEntry, rates: dict[str, list]) -> Decimal | None:
    if entry.currency == settings.BASE_CURRENCY:
        return entry.amount
    series = rates.get(entry.currency, [])
    i = bisect.bisect_right(series, (entry.date, Decimal("Infinity"))) - 1
    return quantize(entry.amount * series[i][1]) if i >= 0 else None


@seeder(order=51)
def seed_cost_entries(scale: Scale) -> dict:
    plan_rows = _cost_plan(scale)
    if not plan_rows:
        return {"cost entries": 0}
    if connection.vendor != "postgresql":
        return {"cost entries": _entries_python(scale, plan_rows)}
    categories = " ".join(f"WHEN d.u1 < {limit} THEN '{category}'" for limit, category, _t in ENTRY_KINDS)
    descriptions = " ".join(f"WHEN d.u1 < {limit} THEN '{text}'" for limit, _c, text in ENTRY_KINDS)
    stored = _stores_base_amount()
    sql = COSTS_INSERT.format(
        categories=categories,
        descriptions=descriptions,
        base_column=", amount_base" if stored else "",
        base_value=BASE_VALUE if stored else "",
    )
    params = {
        "usd": USD_APPROX,
        "base": settings.BASE_CURRENCY,
        "source": SOURCE,
        "prefix": PREFIX,
        "ids": [p["project_id"] for p in plan_rows],
        "idx": [p["index"] for p in plan_rows],
        "first": [p["first"] for p in plan_rows],
        "missing": [p["missing"] for p in plan_rows],
        "day0": [p["day0"] for p in plan_rows],
        "span": [p["span"] for p in plan_rows],
        "mean": [p["mean"] for p in plan_rows],
        "pm": [p["pm_id"] for p in plan_rows],
        "fin": [p["finance_id"] for p in plan_rows],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {"cost entries": cursor.rowcount}


# Invoices, receipts, counters -------------------------------------------------------------------------


@seeder(order=52)
def seed_invoices(scale: Scale) -> dict:
    today = scale.today
    scale_contracts = {"contract__number__startswith": PREFIX}
    have = Invoice.objects.filter(**scale_contracts).count()
    wanted = scale.counts["invoices"] - have
    if wanted <= 0:
        return {"invoices": 0, "receipts": 0}
    payments = list(
        PaymentMilestone.objects.filter(**scale_contracts, state=PaymentMilestoneState.DUE, invoices__isnull=True)
        .order_by("contract_id", "position")
        .values(
            "pk",
            "contract_id",
            "position",
            "amount",
            "trigger",
            "planned_date",
            "milestone",
            "contract__number",
            "contract__currency",
            "contract__payment_term_days",
            "contract__signed_date",
            "contract__state",
            "contract__opportunity__customer_id",
            "contract__opportunity__customer__name",
        )
    )
    # a closed contract's payments first: it must end fully invoiced and paid
    payments.sort(key=lambda p: p["contract__state"] != ContractState.CLOSED)
    payments = payments[:wanted]
    accepted = dict(
        AcceptanceCertificate.objects.filter(
            milestone_id__in=[p["milestone"] for p in payments if p["milestone"]]
        ).values_list("milestone_id", "date")
    )
    invoices = []
    for p in payments:
        j = int(p["contract__number"].rsplit("-", 1)[1])
        plan = project_plan(j, today)
        key = (j, p["position"])
        if p["trigger"] == Trigger.ON_SIGNING:
            issue = p["contract__signed_date"] + between(0, 5, *key, "issue") * DAY
        elif p["trigger"] == Trigger.ON_ACCEPTANCE:
            issue = accepted.get(p["milestone"], plan.finish) + between(0, 5, *key, "issue") * DAY
        else:
            issue = p["planned_date"]
        issue = min(issue, today, (plan.closed - DAY) if plan.closed else today)
        tax = Decimal(0) if p["contract__currency"] == "USD" else Decimal([6, 6, 9, 13][between(0, 3, j, "tax")])
        total = p["amount"] + quantize(p["amount"] * tax / 100)
        term = p["contract__payment_term_days"]
        paid_on = issue + between(term - 15, term + 45, *key, "paid") * DAY
        if plan.closed:
            paid_on = max(issue, min(paid_on, plan.closed - DAY))
        paid, state = None, InvoiceState.ISSUED
        if paid_on < today:
            part = plan.closed is None and between(0, 9, *key, "part") == 0
            paid = quantize(total / 2) if part else total
            state = InvoiceState.PARTIALLY_PAID if part else InvoiceState.PAID
        invoice = Invoice(
            contract_id=p["contract_id"],
            payment_milestone_id=p["pk"],
            amount=p["amount"],
            tax_rate_percent=tax,
            currency=p["contract__currency"],
            tax_amount=total - p["amount"],
            total=total,
            paid_amount=paid or Decimal(0),  # its allocation below
            issue_date=issue,
            due_date=issue + term * DAY,
            created_by_id=scale.person("finance", *key, "invoice"),
            state=state,
        )
        invoices.append((invoice, paid, paid_on, p))
    _number([inv for inv, _p, _d, _r in invoices])
    Invoice.objects.bulk_create([inv for inv, _p, _d, _r in invoices], batch_size=scale.batch_size)
    # each milestone's invoiced amount, as the invoice service keeps it (one UPDATE)
    PaymentMilestone.objects.filter(pk__in=Invoice.objects.values("payment_milestone")).update(
        invoiced_amount=invoiced_per_milestone()
    )
    receipts = []
    for invoice, paid, paid_on, p in invoices:
        if paid:
            receipts.append(
                Receipt(
                    customer_id=p["contract__opportunity__customer_id"],
                    amount=paid,
                    currency=invoice.currency,
                    date=paid_on,
                    payer=p["contract__opportunity__customer__name"][:200],
                    reference=f"{PREFIX}BK-{invoice.number[4:]}",
                    created_by_id=invoice.created_by_id,
                )
            )
    Receipt.objects.bulk_create(receipts, batch_size=scale.batch_size)
    paid_invoices = [(inv, paid, on) for inv, paid, on, _p in invoices if paid]
    allocations = [
        ReceiptAllocation(receipt=receipt, invoice=inv, amount=paid, date=on)
        for receipt, (inv, paid, on) in zip(receipts, paid_invoices, strict=True)
    ]
    ReceiptAllocation.objects.bulk_create(allocations, batch_size=scale.batch_size)
    return {"invoices": len(invoices), "receipts": len(receipts), "allocations": len(allocations)}


def _number(invoices: list[Invoice]) -> None:
    """Numbers in issue-date order, continuing each year's counter; the counter moves past them so the
    portal's own numbering goes on after them (no gap, no twin)."""
    invoices.sort(key=lambda inv: (inv.issue_date, inv.contract_id, inv.payment_milestone_id))
    years = sorted({inv.issue_date.year for inv in invoices})
    counters = {}
    for year in years:
        counters[year], _created = InvoiceCounter.objects.select_for_update().get_or_create(year=year)
    for invoice in invoices:
        counter = counters[invoice.issue_date.year]
        counter.last += 1
        invoice.number = f"INV-{counter.year:04d}-{counter.last:06d}"
    for counter in counters.values():
        counter.save(update_fields=["last"])


# Final accounts ----------------------------------------------------------------------------------------


@seeder(order=53)
def seed_final_accounts(scale: Scale) -> dict:
    """Prepared final accounts of the closed scale projects (drawn up at handover, before DR4)."""
    finals = []
    for project in Project.objects.filter(
        name__startswith=PREFIX, state=ProjectState.CLOSED, final_account__isnull=True
    ).select_related("contract__quote"):
        plan = project_plan(index_of(project.name), scale.today)
        as_of = plan.closed - between(3, 10, plan.index, "final") * DAY
        final = FinalAccount(
            project=project,
            explanation="Cost within budget; variance against the estimate from equipment prices",
            prepared_by_id=scale.person("finance", plan.index, "final"),
            prepared_at=timezone.make_aware(datetime.datetime.combine(as_of, datetime.time(16))),
            state=FinalAccountState.PREPARED,
        )
        for field, value in final_figures(project, as_of).items():
            setattr(final, field, value)
        finals.append(final)
    FinalAccount.objects.bulk_create(finals, batch_size=scale.batch_size)
    return {"final accounts": len(finals)}
