from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlsConfig(AppConfig):
    name = "ltc_portal.controls"
    label = "controls"
    verbose_name = _("Control points")

    def ready(self):
        from ltc_portal.core import dashboard

        from . import checks, home  # noqa: F401  (registers the gate definitions' system check)

        dashboard.register(
            dashboard.Panel(
                key="decisions", template="controls/_home_decisions.html", context=home.decisions_context, order=1
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="my-requests", template="controls/_home_requests.html", context=home.requests_context, order=40
            )
        )
