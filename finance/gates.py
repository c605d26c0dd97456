"""Finance's checks on the delivery reviews: DRB needs a budget draft, DR1 a submitted budget (its
review shows the variance against the estimate)."""

from django.utils.translation import gettext_lazy as _

from delivery.models import DR1
from ltc_portal.controls import registry
from ltc_portal.core.fsm import check

from . import selectors
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
    if definition.code != DR1:
        return {}
    budget = selectors.budget_submitted(project)
    row = selectors.budget_variance(project, budget) if budget is not None else None
    if row is None or row.estimate is None:
        return {}
    percent = row.percent if row.percent is not None else "—"
    summary = _(
        "Budget v%(v)s: %(budget)s %(cur)s against the estimate (概算) %(estimate)s %(cur)s; variance "
        "%(variance)s %(cur)s (%(percent)s%%)."
    ) % {
        "v": budget.version,
        "budget": budget.total,
        "estimate": row.estimate,
        "variance": row.variance,
        "percent": percent,
        "cur": row.currency,
    }
    return {
        "budget_version": budget.version,
        "budget_total": str(budget.total),
        "estimate_total": str(row.estimate),
        "variance": str(row.variance),
        "variance_percent": str(row.percent) if row.percent is not None else None,
        "currency": row.currency,
        "summary": str(summary),
    }


def register():
    registry.register_check("finance.budget_draft", budget_draft)
    registry.register_check("finance.budget_submitted", budget_submitted)
    registry.register_request_context(dr1_context)
