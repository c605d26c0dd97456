from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlsConfig(AppConfig):
    name = "ltc_portal.controls"
    label = "controls"
    verbose_name = _("Control points")

    def ready(self):
        from . import checks  # noqa: F401  (registers the gate definitions' system check)
