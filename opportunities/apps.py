from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities (OTO, OTD)")

    def ready(self):
        from . import search

        search.register()
        from ltc_portal.core import dashboard
        from ltc_portal.core.roles import Role

        from . import gates, handlers, home  # noqa: F401  (handlers connect the reactions to upstream steps)

        gates.register()
        sales_side = (Role.SALES, Role.SALES_DIRECTOR, Role.EXECUTIVE)
        dashboard.register(
            dashboard.Panel(
                key="pipeline",
                template="opportunities/_home_pipeline.html",
                context=home.pipeline_context,
                roles=sales_side,
                order=5,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="closing",
                template="opportunities/_home_closing.html",
                context=home.closing_context,
                roles=(Role.SALES,),
                order=6,
            )
        )
