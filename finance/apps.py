from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from . import search

        search.register()
        from ltc_portal.core import panels

        from . import gates, handlers, selectors, tasks  # noqa: F401  (handlers subscribe; tasks register)

        gates.register()
        from ltc_portal.core import dashboard
        from ltc_portal.core.roles import Role

        from . import home

        dashboard.register(
            dashboard.Panel(
                key="my-projects",
                template="finance/_home_projects.html",
                context=home.projects_context,
                roles=(Role.DELIVERY, Role.PMO),
                order=3,
            )
        )
        dashboard.register(
            dashboard.Panel(key="finance", template="finance/_home_finance.html", context=home.finance_context, order=4)
        )
        panels.register(
            slot="project.cockpit",
            key="budget",
            template="finance/_panel_budget.html",
            context=selectors.budget_panel,
            order=10,
        )
        panels.register(
            slot="project.side",
            key="budgets",
            template="finance/_panel_budgets.html",
            context=selectors.budgets_panel,
            order=10,
        )
        panels.register(
            slot="project.side",
            key="money",
            template="finance/_panel_money.html",
            context=selectors.money_panel,
            order=5,
        )
        panels.register(
            slot="project.side",
            key="final-accounts",
            template="finance/_panel_final_accounts.html",
            context=selectors.final_account_panel,
            order=20,
        )
