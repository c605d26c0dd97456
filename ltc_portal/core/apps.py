from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ltc_portal.core"
    label = "core"
    verbose_name = _("Portal framework")

    def ready(self):
        from . import checks  # noqa: F401  (registers the secret-key system check)
