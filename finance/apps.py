from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from . import gates, handlers  # noqa: F401  (handlers connect the reactions to delivery's decisions)

        gates.register()
