from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        from ltc_portal.core import panels as record_panels

        from . import selectors as panel_reads

        record_panels.register(
            slot="customer.360",
            key="contracts",
            template=record_panels.RECORD_TEMPLATE,
            context=panel_reads.customer_contracts_panel,
            order=20,
        )
        from . import search

        search.register()
        from . import handlers  # noqa: F401  (contracts follow finance's invoices)
