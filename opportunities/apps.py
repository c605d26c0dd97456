from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities (OTO, OTD)")

    def ready(self):
        from . import handlers  # noqa: F401  (connects the reactions to upstream transitions)
