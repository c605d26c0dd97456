"""The one Celery app, configured from Django settings (CELERY_*)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

app = Celery("ltc_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_insecure_key(**kwargs):
    """A worker refuses to start on the built-in secret key with DEBUG off, like the web app."""
    from ltc_portal.core.checks import refuse_insecure_secret_key  # noqa: PLC0415  (Django is set up by now)

    refuse_insecure_secret_key()
