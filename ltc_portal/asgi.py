import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

from ltc_portal.core.checks import refuse_insecure_secret_key  # noqa: E402  (after the settings module is set)

application = get_asgi_application()
refuse_insecure_secret_key()
