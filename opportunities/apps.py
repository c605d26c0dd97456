from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities (OTO, OTD)")

    def ready(self):
        from ltc_portal.core import panels as record_panels

        from . import selectors as panel_reads

        record_panels.register(
            slot="customer.360",
            key="opportunities",
            template=record_panels.RECORD_TEMPLATE,
            context=panel_reads.customer_opportunities_panel,
            order=10,
        )
        from . import search

        search.register()
        from ltc_portal.core import dashboard
        from ltc_portal.core.roles import Role

        from . import gates, handlers, home  # noqa: F401  (handlers connect the reactions to upstream steps)

        gates.register()
        dashboard.register(
            dashboard.Panel(
                key="closing",
                template="opportunities/_home_closing.html",
                context=home.closing_context,
                roles=(Role.SALES,),
                order=6,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="funnel",
                template="opportunities/_home_funnel.html",
                context=home.funnel_context,
                roles=(Role.SALES_DIRECTOR, Role.EXECUTIVE, Role.SOLUTION, Role.PMO),
                order=6,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="stuck",
                template="opportunities/_home_stuck.html",
                context=home.stuck_context,
                roles=(Role.SALES, Role.SALES_DIRECTOR, Role.SOLUTION, Role.PMO),
                order=7,
            )
        )
