"""Finance's checks on the delivery reviews: DRB needs a budget draft."""

from django.utils.translation import gettext_lazy as _

from ltc_portal.controls import registry
from ltc_portal.core.fsm import check


@check(_("Draft the project's budget (a budget version with lines)."))
def budget_draft(project):
    """Budget draft recorded."""
    return project.budgets.filter(lines__isnull=False).exists()


def register():
    registry.register_check("finance.budget_draft", budget_draft)
