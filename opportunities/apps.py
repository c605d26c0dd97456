from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities (OTO, OTD)")

    def ready(self):
        from . import gates, handlers  # noqa: F401  (handlers connect the reactions to upstream steps)

        gates.register()
