from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        from . import search

        search.register()
        from . import handlers  # noqa: F401  (contracts follow finance's invoices)
