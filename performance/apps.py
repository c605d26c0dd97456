from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and incentives")

    def ready(self):
        from . import handlers, rules, tasks  # noqa: F401  (handlers subscribe; rules and tasks register)
