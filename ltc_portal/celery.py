"""The one Celery app, configured from Django settings (CELERY_*)."""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

app = Celery("ltc_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_insecure_key(**kwargs):
    """A worker refuses to start on the built-in secret key with DEBUG off, like the web app."""
    from ltc_portal.core.checks import refuse_insecure_secret_key  # noqa: PLC0415  (Django is set up by now)

    refuse_insecure_secret_key()


@worker_ready.connect
def send_waiting_jobs(**kwargs):
    """A worker that starts publishes the outbox's jobs still waiting (queued while the broker was down)."""
    from ltc_portal.core import outbox  # noqa: PLC0415  (Django is set up by now)

    try:
        outbox.redispatch()
    except Exception:  # noqa: BLE001 - beat's next sweep sends them
        logging.getLogger("ltc_portal.outbox").exception("Could not send the waiting jobs at the worker's start")
