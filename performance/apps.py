from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and incentives")

    def ready(self):
        from ltc_portal.core import dashboard

        from . import handlers, home, rules, tasks  # noqa: F401  (handlers subscribe; rules and tasks register)

        dashboard.register(
            dashboard.Panel(key="hr", template="performance/_home_hr.html", context=home.hr_context, order=8)
        )
