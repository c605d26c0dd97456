from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads (LTO)")

    def ready(self):
        from . import search

        search.register()
        from ltc_portal.core import dashboard

        from . import views

        dashboard.register(
            dashboard.Panel(
                key="leads",
                template="leads/_dashboard_panel.html",
                context=views.dashboard_context,
                roles=("sales", "sales_director", "executive"),
                order=10,
            )
        )
