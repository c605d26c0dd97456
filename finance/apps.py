from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from ltc_portal.core import panels as record_panels

        from . import selectors as panel_reads

        record_panels.register(
            slot="customer.360",
            key="finance",
            template=record_panels.RECORD_TEMPLATE,
            context=panel_reads.customer_invoices_panel,
            order=40,
        )
        from . import search

        search.register()
        from ltc_portal.core import panels

        from . import gates, handlers, selectors, tasks  # noqa: F401  (handlers subscribe; tasks register)

        gates.register()
        from ltc_portal.core import dashboard
        from ltc_portal.core.roles import Role

        from . import flow, home

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
        dashboard.register(
            dashboard.Panel(
                key="milestones-due",
                template="finance/_home_milestones.html",
                context=home.milestones_due_context,
                roles=(Role.DELIVERY,),
                order=3,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="customer-overdue",
                template="finance/_home_customer_overdue.html",
                context=home.customer_overdue_context,
                roles=(Role.SALES,),
                order=7,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="pipeline",
                template="finance/_home_pipeline.html",
                context=home.pipeline_context,
                roles=(Role.SALES, Role.SALES_DIRECTOR, Role.EXECUTIVE),
                order=5,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="ltc-flow",
                template="finance/_home_flow.html",
                context=flow.flow_context,
                roles=(Role.EXECUTIVE,),
                order=1,
            )
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
