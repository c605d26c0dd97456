"""Home-page panels that need money figures: a PM's projects with their health (the last monthly
account's CPI and SPI, overdue issues, the top risk's exposure, the next milestone and gate), and finance's
day (periods and their last run, what to invoice, overdue invoices, receivables by age with DSO).
Each costs a constant number of queries, whatever the number of projects or invoices."""

import datetime

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from delivery.models import (
    FINISHED_STATES,
    OPEN_ISSUE_STATES,
    Milestone,
    MilestoneState,
    ProjectIssue,
    Risk,
    RiskState,
)
from delivery.selectors import project_list
from ltc_portal.controls.selectors import next_gates_of
from ltc_portal.core.roles import Role, has_role

from . import selectors
from .models import AccountingPeriod, AccountingRun, InvoiceState, MonthlyAccount, PeriodState

SHOWN = 10
#: the PM's home lists the milestones planned to end within this many days
MILESTONE_DAYS = 30


def projects_context(request) -> dict | None:
    """The projects the person manages, with their health."""
    today = timezone.localdate()
    last = MonthlyAccount.objects.filter(project=OuterRef("pk")).order_by("-period__period")
    mine = OuterRef("pk")
    overdue = (
        ProjectIssue.objects.filter(project=mine, state__in=OPEN_ISSUE_STATES, due_date__lt=today)
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    top_risk = Risk.objects.filter(project=mine, state__in=[RiskState.OPEN, RiskState.MITIGATING]).order_by("-exposure")
    upcoming = Milestone.objects.filter(project=mine, state=MilestoneState.PLANNED, planned_end__isnull=False).order_by(
        "planned_end"
    )
    projects = list(
        project_list(request.user)
        .filter(pm=request.user)
        .exclude(state__in=FINISHED_STATES)
        .annotate(
            last_cpi=Subquery(last.values("cpi")[:1]),
            last_spi=Subquery(last.values("spi")[:1]),
            last_period=Subquery(last.values("period__period")[:1]),
            overdue_issues=Subquery(overdue),
            top_exposure=Subquery(top_risk.values("exposure")[:1]),
            next_milestone=Subquery(upcoming.values("name")[:1]),
            next_milestone_end=Subquery(upcoming.values("planned_end")[:1]),
        )
        .order_by("name")[:SHOWN]
    )
    if not projects:
        return None
    nexts = next_gates_of(projects)
    for p in projects:
        p.health = _health(p.last_cpi, p.last_spi)
        p.next_gates = nexts.get(p.pk, [])
    return {"my_projects": projects}


def _health(cpi, spi) -> tuple[str, str]:
    """(tone, words) from the last CPI and SPI: both ≥ 1 on track, either under 0.9 at risk."""
    if cpi is None and spi is None:
        return "light", _("Not yet accounted")
    worst = min(v for v in (cpi, spi) if v is not None)
    if worst >= 1:
        return "success", _("On track")
    if worst >= 0.9:
        return "warning", _("Watch")
    return "danger", _("At risk")


def finance_context(request) -> dict | None:
    user = request.user
    if not (user.is_superuser or has_role(user, Role.FINANCE)):
        return None
    today = timezone.localdate()
    open_periods = list(
        AccountingPeriod.objects.filter(state=PeriodState.OPEN, period__lt=today.strftime("%Y-%m")).order_by("period")
    )
    last_run = AccountingRun.objects.select_related("period").order_by("-created_at", "-id").first()
    invoices = selectors.invoice_list(user)
    overdue = invoices.filter(state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID], due_date__lt=today)
    ageing = selectors.receivables_summary(user, today)
    unrated = set()
    return {
        "periods_to_close": open_periods,
        "last_run": last_run,
        "drafts": invoices.filter(state=InvoiceState.DRAFT).count(),
        "overdue_count": overdue.count(),
        "overdue": list(overdue.select_related("contract__opportunity__customer").order_by("due_date")[:5]),
        "ageing": ageing,
        "to_invoice": list(selectors.payments_to_invoice(user)[:5]),
        "cash_chart": selectors.cash_forecast_chart(selectors.cash_forecast(user, today=today, unrated=unrated)),
        "cash_unrated": sorted(unrated),
        "ageing_chart": selectors.ageing_chart(ageing),
    }


def customer_overdue_context(request) -> dict | None:
    """A salesperson's customers' overdue invoices (they chase them with finance)."""
    today = timezone.localdate()
    overdue = list(
        selectors.invoice_list(request.user)
        .filter(
            contract__opportunity__owner=request.user,
            state__in=[InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID],
            due_date__lt=today,
        )
        .select_related("contract__opportunity__customer")
        .order_by("due_date", "pk")[: SHOWN + 1]
    )
    if not overdue:
        return None
    for invoice in overdue:
        invoice.days_overdue = (today - invoice.due_date).days
    return {"customer_overdue": overdue[:SHOWN], "customer_overdue_more": len(overdue) > SHOWN}


def milestones_due_context(request) -> dict | None:
    """The milestones of the PM's projects planned to end in the next 30 days (or already late)."""
    today = timezone.localdate()
    due = list(
        Milestone.objects.filter(
            project__in=project_list(request.user).filter(pm=request.user).exclude(state__in=FINISHED_STATES),
            state=MilestoneState.PLANNED,
            planned_end__lte=today + datetime.timedelta(days=MILESTONE_DAYS),
        )
        .select_related("project")
        .order_by("planned_end", "pk")[: SHOWN + 1]
    )
    if not due:
        return None
    for m in due:
        m.late = m.planned_end < today
    return {"milestones_due": due[:SHOWN], "milestones_due_more": len(due) > SHOWN, "milestone_days": MILESTONE_DAYS}


def pipeline_context(request) -> dict | None:
    """My open pipeline by stage in the base currency at today's rates (sales and whoever oversees
    them): the opportunities' figures converted here, where the rates live."""
    return selectors.pipeline_in_base(request.user)
