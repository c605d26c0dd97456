import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltc_portal.settings")

from ltc_portal.core.checks import refuse_insecure_secret_key  # noqa: E402  (after the settings module is set)

application = get_wsgi_application()
refuse_insecure_secret_key()
