"""Refuse to serve on the built-in secret key when DEBUG is off: the WSGI and ASGI applications and
the Celery worker stop with the message (so gunicorn and runserver do); other commands warn."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_secret_key() -> None:
    """Called where the portal starts serving (WSGI, ASGI, Celery worker)."""
    if getattr(settings, "INSECURE_SECRET_KEY", False):
        raise ImproperlyConfigured(settings.INSECURE_SECRET_KEY_MESSAGE)


@register(Tags.security)
def secret_key_check(app_configs, **kwargs):
    """Shown by every command; the refusal itself is where the portal starts serving."""
    if getattr(settings, "INSECURE_SECRET_KEY", False):
        return [Warning(settings.INSECURE_SECRET_KEY_MESSAGE, id="ltc.W001")]
    return []
