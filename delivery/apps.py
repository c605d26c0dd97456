from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self):
        from ltc_portal.core import panels as record_panels

        from . import selectors as panel_reads

        record_panels.register(
            slot="customer.360",
            key="delivery",
            template=record_panels.RECORD_TEMPLATE,
            context=panel_reads.customer_projects_panel,
            order=30,
        )
        from . import search

        search.register()
        from . import gates, handlers  # noqa: F401  (handlers connect the reactions to upstream steps)

        gates.register()
