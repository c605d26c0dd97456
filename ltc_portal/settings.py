"""Settings for the LTC portal, read from the environment (django-environ).

Unset DATABASE_URL means SQLite in the project folder; unset CELERY_BROKER_URL means Celery
tasks run eagerly in-process. See README.md for every variable.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused when DEBUG is off

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEFAULT_SECRET_KEY)
# With DEBUG off the portal refuses to serve on the built-in key: the WSGI/ASGI application (gunicorn,
# runserver) and the Celery worker stop with this message; other commands warn
# (ltc_portal/core/checks.py), so that migrations can be checked or made without a key.
INSECURE_SECRET_KEY = not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY
INSECURE_SECRET_KEY_MESSAGE = (
    "SECRET_KEY is the built-in development key. Set SECRET_KEY in the environment "
    "(or DEBUG=true for local development only)."
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "django_celery_beat",
    "axes",
    "csp",
    "ltc_portal.core",
    "ltc_portal.controls",
    "leads",
    "opportunities",
    "contracts",
    "delivery",
    "finance",
    "performance",
    "notifications",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ltc_portal.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its answer
]

ROOT_URLCONF = "ltc_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ltc_portal.core.context_processors.portal",
                "notifications.context_processors.unread",
            ],
        },
    },
]

WSGI_APPLICATION = "ltc_portal.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as shipped, but leaving PostgreSQL-only (trigram) indexes out of its tables
    DATABASES["default"]["ENGINE"] = "ltc_portal.core.db.sqlite"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # a persistent connection is checked before a request reuses it: a PostgreSQL restart costs no 500
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
    # PostgreSQL's JIT compiles a plan's expressions once its estimated cost passes jit_above_cost: on the
    # portal's aggregates (a home's receivables, the LTC flow) that took ≈ 0.6 s to save ≈ 0.05 s. Off
    # unless DATABASE_JIT=true.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if not env.bool("DATABASE_JIT", default=False):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # random_page_cost: PostgreSQL's default (4) prices a random read as on a spinning disk, so it scanned
    # 100k leads rather than use their trigram index (a director's lead search 175 -> 84 ms at L); 1.1 is
    # the usual value for SSDs or a cached database. Empty: the server's own setting.
    if page_cost := env.str("DATABASE_RANDOM_PAGE_COST", default="1.1"):
        options["options"] = f"{options.get('options', '')} -c random_page_cost={float(page_cost)}".strip()
# The cache (API throttle counters): CACHE_URL, e.g. redis://127.0.0.1:6379/1 so that every worker
# process counts together; the default is per process.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out client before any password check
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: English and Simplified Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Amounts are grouped by thousands in both languages (Django's zh_Hans has no separator): the
# templates format money with floatformat "g" and intcomma, which follow these formats; other numbers
# (years, ids) are left ungrouped, so USE_THOUSAND_SEPARATOR stays off.
FORMAT_MODULE_PATH = ["ltc_portal.formats"]

# Money: reporting currency of the company (ISO 4217).
BASE_CURRENCY = env.str("BASE_CURRENCY", default="CNY").upper()

# Static files: front-end packages come from npm (node_modules) and are served by whitenoise.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    BASE_DIR / "static",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a missing or bad token is answered 401 with WWW-Authenticate.
        "ltc_portal.core.security.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "ltc_portal.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "ltc_portal.core.api.filters.ListFilterBackend",  # django-filter's, idle when no filter is named
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ltc_portal.core.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # rates "N/second|minute|hour|day"; counted in the default cache (CACHE_URL), per user or address
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "bulk": env.str("API_THROTTLE_BULK", default="30/hour"),  # imports and bulk cost entries
    },
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LTC portal API",
    "DESCRIPTION": "Lead to Cash with integrated delivery. Conventions: see ARCHITECTURE.md and API.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ltc_portal.core.api.schema.document_errors",
        "ltc_portal.core.api.schema.add_throttled_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "QuoteLineCategoryEnum": "opportunities.models.LineCategory",
        "CostCategoryEnum": "opportunities.models.CostCategory",
        "PortalRoleEnum": "ltc_portal.core.roles.Role",
        "ProjectRoleEnum": "delivery.models.team.ProjectRole",
        "GradeEnum": "performance.models.Grade",
        "WebhookEventEnum": "integrations.models.Event",
        "LeadStateEnum": "leads.models.LeadState",
        "LeadSourceEnum": "leads.models.LeadSource",
    },
}

# A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413, JSON nested too deep 400 (issue 11 §1).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "ltc_portal.core.api.parsers.BoundedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# Celery: Redis when CELERY_BROKER_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = (
    env.str("CELERY_RESULT_BACKEND", default="" if CELERY_TASK_ALWAYS_EAGER else CELERY_BROKER_URL) or None
)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A job is acknowledged once it finished and delivered again when its worker is lost; results are not
# kept (jobs record their outcome on their own rows).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
# A broker that is down answers within a second (the outbox keeps the job and sends it later).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 0,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
# The outbox (ltc_portal.core.outbox): runs of a job before it is given up (its record shows failed),
# the first retry's delay (doubled each time), when a sent job never started is sent again, how many
# rows one sweep sends, and how long finished rows are kept.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
OUTBOX_RETRY_SECONDS = env.float("OUTBOX_RETRY_SECONDS", default=30.0)
OUTBOX_RESEND_AFTER_SECONDS = env.int("OUTBOX_RESEND_AFTER_SECONDS", default=600)
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=500)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)

# Security: strict by default when DEBUG is off (manage.py check --deploy is clean).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # preloading is a commitment made on purpose (hstspreload.org), not a default: its warning is silenced
    # while it is off, so that check --deploy is clean with the required environment alone
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Login lockout (django-axes, ltc_portal/core/security.py) on the login page, the admin's and the API's
# token endpoint: a user name from one address is locked after AXES_FAILURE_LIMIT failures, an address
# after LOGIN_ADDRESS_FAILURE_LIMIT failures whatever the user names, for LOGIN_LOCKOUT_MINUTES.
# TRUSTED_PROXY_COUNT: reverse proxies in front of the portal that append to X-Forwarded-For (0: the
# peer's address is the client's). Used by the lockout and the API throttles alike.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "ltc_portal.core.security.PortalAxesHandler"
AXES_CLIENT_IP_CALLABLE = "ltc_portal.core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "ltc_portal.core.security.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends LOGIN_LOCKOUT_MINUTES after it began
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = True  # attempts and the access log in the admin (superusers)
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts are still logged
# API tokens stop working this many days after they were issued (0: never).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)

# Content-Security-Policy (django-csp): scripts, styles, fonts and connections from the portal only; no
# inline script (page scripts live in static/js/). Inline style attributes stay allowed (the templates and
# the admin use them). CSP_REPORT_ONLY=true sends the policy as Report-Only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, None
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
)
# /api/schema/ and /api/docs/ only for signed-in users (default: on in production, off with DEBUG).
API_DOCS_REQUIRE_LOGIN = env.bool("API_DOCS_REQUIRE_LOGIN", default=not DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Business settings.
# Gross margin (percent of revenue) below which ATB and ATC also need the executive's approval.
MIN_GROSS_MARGIN = Decimal(env.str("MIN_GROSS_MARGIN", default="15"))
#: the homes' funnels and LTC flow look back this many days; a deal is "stuck" after this many in one stage
FUNNEL_DAYS = env.int("FUNNEL_DAYS", default=365)
STUCK_DEAL_DAYS = env.int("STUCK_DEAL_DAYS", default=30)
#: the executive's LTC flow is a snapshot per reader, taken at most this often (0: at every view); the
#: panel shows when it was taken and offers a refresh
FLOW_SNAPSHOT_SECONDS = env.int("FLOW_SNAPSHOT_SECONDS", default=300)
LEAD_IMPORT_MAX_ROWS = env.int("LEAD_IMPORT_MAX_ROWS", default=50_000)
# lists count exactly up to this many rows, beyond it they give the planner's estimate (PostgreSQL)
LIST_EXACT_COUNT_MAX = env.int("LIST_EXACT_COUNT_MAX", default=10_000)
#: the most rows and bytes of one uploaded file of cost entries (finance's import page)
COST_IMPORT_MAX_ROWS = env.int("COST_IMPORT_MAX_ROWS", default=20_000)
COST_IMPORT_MAX_BYTES = env.int("COST_IMPORT_MAX_BYTES", default=10 * 2**20)
# Revenue recognition of the monthly accounting (DOMAIN.md §5.1): "milestone" (accepted weight) or
# "cost_to_cost" (actual cost against budget).
REVENUE_RECOGNITION = env.str("REVENUE_RECOGNITION", default="milestone")
if REVENUE_RECOGNITION not in ("milestone", "cost_to_cost"):
    raise ImproperlyConfigured("REVENUE_RECOGNITION must be 'milestone' or 'cost_to_cost'.")
#: the most lines one record holds: quote lines, estimate lines, budget lines, payment milestones
MAX_LINES_PER_RECORD = env.int("MAX_LINES_PER_RECORD", default=500)
#: the roles a PM may add to a project team (a member reads the project): the delivery side and the
#: iron triangle's AR/SR, never HR or executives
TEAM_MEMBER_ROLES = env.list(
    "TEAM_MEMBER_ROLES", default=["delivery", "pmo", "solution", "sales", "sales_director", "finance"]
)

# Celery beat (installed into the database scheduler when beat starts): the monthly accounting of
# the month that ended, on the 1st at 02:00 in TIME_ZONE.
CELERY_BEAT_SCHEDULE = {
    # jobs the broker could not take when they were queued (and those of a worker that died)
    "outbox": {"task": "ltc_portal.core.tasks.redispatch_outbox", "schedule": 60.0},
    "monthly-accounting": {
        "task": "finance.tasks.run_previous_month_accounting",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "dated-payments-due": {"task": "contracts.tasks.make_dated_payments_due", "schedule": crontab(minute=0, hour=1)},
    "overdue-reminders": {"task": "finance.tasks.send_invoice_reminders", "schedule": crontab(minute=30, hour=8)},
    # appraisal cycles whose window ended are scored (after the monthly accounting they read)
    "score-ended-cycles": {"task": "performance.tasks.score_ended_cycles", "schedule": crontab(minute=0, hour=4)},
    # notifications: what fell overdue (issues, invoices) each morning; e-mails not sent yet (a broker
    # that was down when they were raised) every five minutes
    "overdue-notifications": {"task": "notifications.tasks.notify_overdue", "schedule": crontab(minute=0, hour=7)},
    "notification-emails": {"task": "notifications.tasks.send_notification_emails", "schedule": crontab(minute="*/5")},
}

# Outbound webhooks (integrations): attempts of one delivery before it is failed, the first retry's
# delay in seconds (doubled each time), the POST's timeout, and whether private/loopback addresses may
# be targets (never in production: it opens the portal's network to whoever subscribes).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=30.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)

# Performance: the days after publication in which a person may appeal their appraisal.
APPEAL_DAYS = env.int("APPEAL_DAYS", default=14)
#: S or A in this many consecutive published cycles of one kind puts a person on the promotion list
PROMOTION_STREAK = env.int("PROMOTION_STREAK", default=2)

# Overdue reminders: the days overdue at which an invoice's reminder goes out (each level once).
OVERDUE_REMINDER_DAYS = [int(d) for d in env.list("OVERDUE_REMINDER_DAYS", default=["1", "15", "30"])]

# The monthly accounting raises a risk (once per project and period) and e-mails the PM and finance
# when the cost variance exceeds this percentage or CPI drops below COST_ALERT_CPI.
COST_VARIANCE_ALERT_PERCENT = Decimal(env.str("COST_VARIANCE_ALERT_PERCENT", default="10"))
COST_ALERT_CPI = Decimal(env.str("COST_ALERT_CPI", default="0.9"))

# E-mail (notifications, alerts): EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587;
# the default prints the messages on the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ltc-portal@localhost")
# The portal's address as its users reach it: the links in e-mails start with it.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")

# The CJK font embedded in invoice PDFs (a TrueType font or collection; Debian: fonts-wqy-microhei).
PDF_CJK_FONT = env.str("PDF_CJK_FONT", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
