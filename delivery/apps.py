from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self):
        from . import search

        search.register()
        from . import gates, handlers  # noqa: F401  (handlers connect the reactions to upstream steps)

        gates.register()
