"""Finance's checks on the delivery reviews: DRB needs a budget draft, DR1 a submitted budget (its
review shows the variance against the estimate)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ltc_portal.controls import registry
from ltc_portal.core.fsm import check

from .models import BudgetState


@check(_("Draft the project's budget (a budget version with lines)."))
def budget_draft(project):
    """Budget draft recorded."""
    return project.budgets.filter(lines__isnull=False).exists()


@check(_("Submit the project's budget (a budget version in state submitted)."))
def budget_submitted(project):
    """Budget (预算) submitted."""
    return project.budgets.filter(state=BudgetState.SUBMITTED).exists()


def dr1_context(definition, project) -> dict:
    """What DR1's deciders see: the submitted budget against the estimate (概算) of the quote."""
    if definition.code != "DR1":
        return {}
    budget = project.budgets.filter(state=BudgetState.SUBMITTED).order_by("-version").first()
    quote = project.contract.quote if project.contract_id else None
    if budget is None or quote is None:
        return {}
    variance = budget.total - quote.cost
    percent = (variance * 100 / quote.cost).quantize(Decimal("0.01")) if quote.cost else None
    summary = _("Budget v%(v)s: %(budget)s %(cur)s against the estimate (概算) %(estimate)s %(cur)s; variance "
                "%(variance)s %(cur)s (%(percent)s%%).") % {
        "v": budget.version, "budget": budget.total, "estimate": quote.cost, "variance": variance,
        "percent": percent if percent is not None else "—", "cur": budget.currency}
    return {"budget_version": budget.version, "budget_total": str(budget.total), "estimate_total": str(quote.cost),
            "variance": str(variance), "variance_percent": str(percent) if percent is not None else None,
            "currency": budget.currency, "summary": str(summary)}


def register():
    registry.register_check("finance.budget_draft", budget_draft)
    registry.register_check("finance.budget_submitted", budget_submitted)
    registry.register_request_context(dr1_context)
