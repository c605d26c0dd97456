"""Finance's checks on the delivery reviews: DRB needs a budget draft, DR1 a submitted budget (its
review shows the variance against the estimate), DR4 prepared final accounts (决算) and every payment
milestone invoiced."""

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from contracts.models import fully_invoiced
from delivery.models import DR1, DR2
from ltc_portal.controls import registry
from ltc_portal.core.fsm import check, said
from ltc_portal.core.money import money_text

from . import selectors
from .models import (
    ISSUED_INVOICE_STATES,
    BudgetState,
    CostEntry,
    FinalAccount,
    FinalAccountState,
    Invoice,
    InvoiceState,
    ReceiptAllocation,
)


@check(
    _("Draft the project's budget (a budget version with lines)."),
    passed=_("Budget draft recorded."),
)
def budget_draft(project):
    return project.budgets.filter(lines__isnull=False).exists()


@check(
    _("Submit the project's budget (a budget version in state submitted)."),
    passed=_("Budget (预算) submitted."),
)
def budget_submitted(project):
    return project.budgets.filter(state=BudgetState.SUBMITTED).exists()


FINAL_ACCOUNTS_NEEDED = _(
    "Finance prepares the project's final accounts (决算): complete (every rate recorded) and after its last "
    "cost, invoice and receipt."
)


@check(
    FINAL_ACCOUNTS_NEEDED,
    passed=_("Final accounts prepared, complete, and not older than the project's last money record."),
)
def final_accounts_prepared(project):
    final = FinalAccount.objects.filter(project=project, state=FinalAccountState.PREPARED).first()
    if final is None or not final.complete or final.prepared_at is None:
        return False
    since = final.prepared_at
    later = CostEntry.objects.filter(project=project, created_at__gt=since).exists()
    if not later and project.contract_id:
        later = (
            Invoice.objects.filter(contract_id=project.contract_id, updated_at__gt=since).exists()
            or ReceiptAllocation.objects.filter(invoice__contract_id=project.contract_id, created_at__gt=since).exists()
        )
    return not later


def _not_invoiced(project) -> list[str]:
    contract = project.contract
    if contract is None:
        return [str(_("no signed contract"))]
    drafts = list(Invoice.objects.filter(contract=contract, state=InvoiceState.DRAFT).values_list("pk", flat=True)[:10])
    if drafts:
        return [str(_("draft invoices to issue or void: %(ids)s") % {"ids": ", ".join(f"#{d}" for d in drafts)})]
    if fully_invoiced(contract):
        return []
    invoiced = dict(
        Invoice.objects.filter(contract=contract, state__in=ISSUED_INVOICE_STATES)
        .order_by()
        .values("payment_milestone")
        .annotate(t=Sum("amount"))
        .values_list("payment_milestone", "t")
    )
    return [
        f"{pm.name} ({money_text(invoiced.get(pm.pk, 0))} / {money_text(pm.amount, contract.currency)})"
        for pm in contract.payment_milestones.all()
        if pm.state != "due" or invoiced.get(pm.pk, 0) < pm.amount
    ] or [str(_("no payment milestones"))]


@check(
    lambda p: (
        _("Invoice every payment milestone in full first: %(left)s.") % {"left": ", ".join(_not_invoiced(p)[:10])}
    ),
    passed=_("Every payment milestone invoiced."),
)
def payments_invoiced(project):
    return not _not_invoiced(project)


def _amount(value) -> str:
    return money_text(value)


def dr1_context(definition, project) -> dict:
    """What DR1's deciders see: the submitted budget against the estimate (概算) of the quote."""
    if definition.code != DR1:
        return {}
    budget = selectors.budget_submitted(project)
    if budget is None:
        return {}
    row = selectors.budget_variance(project, budget)
    if row is None or row.estimate is None:
        return {"budget_id": budget.pk, "budget_version": budget.version}  # the version DR1 approves
    summary = said(
        gettext_noop(
            "Budget v%(v)s: %(budget)s %(cur)s against the estimate (概算) %(estimate)s %(cur)s; variance "
            "%(variance)s %(cur)s (%(percent)s%%)."
        ),
        v=budget.version,
        budget=_amount(budget.total),
        estimate=_amount(row.estimate),
        variance=_amount(row.variance),
        percent=row.percent if row.percent is not None else "—",
        cur=row.currency,
    )
    return {
        "budget_id": budget.pk,  # the version the deciders are shown is the one DR1 approves
        "budget_version": budget.version,
        "budget_total": str(budget.total),
        "estimate_total": str(row.estimate),
        "variance": str(row.variance),
        "variance_percent": str(row.percent) if row.percent is not None else None,
        "currency": row.currency,
        "summary": str(summary),
        "sentences": [summary.kept],
    }


def dr2_context(definition, change) -> dict:
    """What DR2's deciders see: the change's cost impact on the current budget, its contract value
    impact on the contract's current value, and its schedule impact."""
    if definition.code != DR2:
        return {}
    project = change.project
    cur = project.currency
    budget = selectors.budget_current(project)
    contract = project.contract
    parts, figures = [], {"currency": cur, "cost_impact": str(change.cost_impact)}
    if change.cost_impact and budget is not None:
        figures.update(budget_version=budget.version, budget_before=str(budget.total))
        parts.append(
            said(
                gettext_noop("Cost %(impact)s %(cur)s: budget v%(v)s %(old)s → %(new)s %(cur)s."),
                impact=_signed(change.cost_impact),
                cur=cur,
                v=budget.version,
                old=_amount(budget.total),
                new=_amount(budget.total + change.cost_impact),
            )
        )
    elif change.cost_impact:
        parts.append(
            said(
                gettext_noop("Cost %(impact)s %(cur)s (no approved budget yet)."),
                impact=_signed(change.cost_impact),
                cur=cur,
            )
        )
    if change.contract_value_impact and contract is not None:
        before = contract.current_value
        figures.update(contract=contract.number, contract_value_before=str(before))
        parts.append(
            said(
                gettext_noop("Contract value %(impact)s %(cur)s: %(number)s %(old)s → %(new)s %(cur)s."),
                impact=_signed(change.contract_value_impact),
                cur=contract.currency,
                number=contract.number,
                old=_amount(before),
                new=_amount(before + change.contract_value_impact),
            )
        )
    elif change.contract_value_impact:
        parts.append(
            said(
                gettext_noop("Contract value %(impact)s %(cur)s (no signed contract yet)."),
                impact=_signed(change.contract_value_impact),
                cur=cur,
            )
        )
    if change.schedule_impact_days:
        parts.append(said(gettext_noop("Schedule %(days)s days."), days=f"{change.schedule_impact_days:+d}"))
    if not parts:
        parts.append(said(gettext_noop("No cost, contract value or schedule impact.")))
    return {**figures, "summary": " ".join(parts), "sentences": [p.kept for p in parts]}


def _signed(value) -> str:
    return ("+" if value > 0 else "−") + _amount(abs(value))


def register():
    registry.register_check("finance.budget_draft", budget_draft)
    registry.register_check("finance.budget_submitted", budget_submitted)
    registry.register_check("finance.final_accounts_prepared", final_accounts_prepared)
    registry.register_check("finance.payments_invoiced", payments_invoiced)
    registry.register_request_context(dr1_context)
    registry.register_request_context(dr2_context)
