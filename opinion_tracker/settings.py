"""The one settings module of opinion_tracker, read from the environment.

Every deployment difference is an environment variable (django-environ):

- ``DATABASE_URL``: the embedded default is a SQLite file under ``var/``; production sets ``postgres://…``.
- ``REDIS_URL``: the Celery broker in production.
- ``SECRET_KEY``: required unless ``DEBUG=1`` or ``LOCAL=1``; for local use a key is generated once and kept in
  ``var/secret_key`` so sessions and signed links survive restarts.
- ``LOCAL``: the local defaults of ``DEBUG`` (that key, loopback hosts, mail on the console, static files straight
  from the apps) with ``DEBUG`` off, as ``make run`` serves the demo: the pages are the ones people will get, the
  tracker's own error pages included, not Django's debug pages.
- ``ENFORCEMENT_INTERVAL_SECONDS``: how often the enforcement pass runs (10 s by default).
- ``SITE_URL``: the address people are sent; starting with ``https://`` it also says the tracker is served
  over HTTPS (HSTS, secure cookies, redirects to HTTPS), and ``TRUSTED_PROXIES`` names the proxies in front.
"""

import base64
import hashlib
import ipaddress
import re
import secrets
from email.utils import getaddresses
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
LOCAL = DEBUG or env.bool("LOCAL", default=False)


def _local_secret_key() -> str:
    """A key generated once for local use and kept beside the SQLite file."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG=1 or LOCAL=1.")
    SECRET_KEY = _local_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if LOCAL else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Served over HTTPS when the address people are sent is https://: browsers are told to keep to HTTPS
# (HSTS, HSTS_SECONDS), cookies go over HTTPS only, and plain HTTP is redirected, but for /healthz, which
# the container's own health check asks over HTTP, and /metrics, which Prometheus scrapes inside the network.
HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
# Reverse proxies in front of the tracker (addresses or networks, e.g. 10.0.0.5,172.16.0.0/12): from
# them, X-Forwarded-For says who the client is (incidents.signin.client_address) and X-Forwarded-Proto
# whether it came over HTTPS. From anyone else both headers are ignored or, for the second, must not
# reach the tracker: a proxy listed here must set X-Forwarded-Proto itself, never pass on the client's.
TRUSTED_PROXIES = [ipaddress.ip_network(entry, strict=False) for entry in env.list("TRUSTED_PROXIES", default=[])]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "auditlog",  # configuration changes, who made them, before and after (opinion_tracker.audit)
    "incidents",
    "statements",
    "notifications",
    "opinion_tracker",  # the wiring: the pages' shell, and the commands that bring both apps together
]

MIDDLEWARE = [
    "opinion_tracker.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "opinion_tracker.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opinion_tracker.audit.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opinion_tracker.urls"
WSGI_APPLICATION = "opinion_tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opinion_tracker.web.context.top_bar",
                "notifications.context_processors.tracker_status",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: one process writes at a time; wait for the lock rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # The discovery index holds the times the compliance report reads (INCLUDE) on PostgreSQL; SQLite builds it
    # as a plain index, which is all the embedded default's small tables need.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The reports aggregate a year of rows in well under a second; PostgreSQL's JIT would first spend
    # about 0.1 s compiling each of their queries (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# Persistent connections on PostgreSQL: a new connection costs more than most requests and delivery batches
# (docs/benchmarks.md); each is checked before reuse, so one PostgreSQL or a pooler dropped is replaced, not an
# error. SQLite opens a file, nothing to keep.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=600 if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" else 0
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction pooling mode (docs/operations.md), a cursor cannot outlive its transaction.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "incidents.Person"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Locally WhiteNoise serves the apps' static files as they are, with no collectstatic.
WHITENOISE_USE_FINDERS = LOCAL

LOGIN_URL = "web:signin"

# Django's cache: nothing of the tracker's relies on it (sign-in failures are counted in the database).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Failed sign-ins allowed within the window from one client address (any username), and for one username
# from one address; past either, that address (or that username from it) is refused with 429 until
# failures leave the window. Nobody is refused because of failures from another address.
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)


def _inline_style_hashes(*templates: Path) -> list[str]:
    """CSP sources ('sha256-…') for the inline <style> blocks of pages that must not need a static file:
    the 500 page (static files may be what failed) and the acknowledgement page (opened from a message,
    often on a phone). Read from the templates themselves, so editing a style block keeps its hash."""
    hashes = []
    for template in templates:
        for block in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), flags=re.DOTALL):
            if re.search(r"\{[{%#]", block):
                raise ImproperlyConfigured(f"The <style> block of {template} must be plain CSS to be hashed.")
            hashes.append(f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'")
    return hashes


# Content-Security-Policy on every answer (django-csp): scripts and styles from the tracker's own static
# files only, no inline script or style but the hashed blocks above, never framed. The interactive API
# docs are the one page allowed more (opinion_tracker.security.API_DOCS_DIRECTIVES).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            *_inline_style_hashes(
                BASE_DIR / "opinion_tracker" / "templates" / "500.html",
                BASE_DIR / "notifications" / "templates" / "notifications" / "acknowledge.html",
            ),
        ],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Error mail and the debug page hide the credentials inside URLs (broker, cache, database) too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "opinion_tracker.security.TrackerExceptionReporterFilter"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["opinion_tracker.lib.api.parsers.TrackerJSONParser"],  # deep nesting is a 400, not a 500
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "opinion_tracker.lib.api.pagination.TrackerPagination",
    "DEFAULT_SCHEMA_CLASS": "opinion_tracker.lib.api.schema.TrackerAutoSchema",
    "EXCEPTION_HANDLER": "opinion_tracker.lib.api.errors.tracker_exception_handler",
    # The reports take ?format=csv|xlsx themselves; DRF's own use of the name is turned off.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opinion_tracker API",
    "DESCRIPTION": "政务舆情回应督办系统: incidents, deadlines, escalations and compliance reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["incidents.api.permissions.IntakeOnly"],  # integration tokens only report incidents
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The interactive docs are served by the tracker itself: intranets have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "Severity": "incidents.models.Severity",
        "ObligationKind": "incidents.models.ObligationKind",
        "ActionKind": "incidents.models.ActionKind",
        "ObligationState": "incidents.models.Obligation.State",
        "IncidentState": "incidents.models.Incident.State",
        "NotificationStatus": "notifications.models.Notification.Status",
        "FindingKind": "incidents.models.AccountabilityFinding.Kind",
        "Role": "incidents.models.Role",
        "ReviewGate": "incidents.models.ReviewGate",
        "DraftKind": "statements.models.Draft.Kind",
    },
}

# Evidence files (statements, reports) uploaded with actions: at most this many bytes each.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)

# Enforcement: the pass runs this often; /healthz calls a pass older than three intervals stale.
ENFORCEMENT_INTERVAL_SECONDS = env.float("ENFORCEMENT_INTERVAL_SECONDS", default=10)
# Obligations a pass claims per transaction: larger batches mean fewer round trips, longer row locks.
ENFORCEMENT_BATCH_SIZE = env.int("ENFORCEMENT_BATCH_SIZE", default=500)
# The token Prometheus sends to /metrics (Authorization: Bearer …); empty: /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Delivery: a claimed notification is someone's for a lease, which must outlast the slowest send (the
# timeouts below); transient failures are retried with exponential backoff (with jitter) until the
# attempts run out; throttling is waited out without using attempts, and a message held longer than
# NOTIFICATION_MAX_WAIT_SECONDS after its step also goes to the person's next channel.
NOTIFICATION_LEASE_SECONDS = env.float("NOTIFICATION_LEASE_SECONDS", default=120)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_MAX_WAIT_SECONDS = env.float("NOTIFICATION_MAX_WAIT_SECONDS", default=300)
# A delivery task not picked up this long after it was queued (lost with the broker) is queued again.
NOTIFICATION_REQUEUE_SECONDS = env.float("NOTIFICATION_REQUEUE_SECONDS", default=2 * ENFORCEMENT_INTERVAL_SECONDS)
# Throughput: notifications go to a worker (or the inline job) this many at a time, claimed together and sent by
# this many threads at once over kept connections; a pass hands over at most DELIVERY_PASS_LIMIT.
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=100)
DELIVERY_SEND_THREADS = env.int("DELIVERY_SEND_THREADS", default=8)
DELIVERY_PASS_LIMIT = env.int("DELIVERY_PASS_LIMIT", default=10_000)
for _name in ("DELIVERY_BATCH_SIZE", "DELIVERY_SEND_THREADS", "DELIVERY_PASS_LIMIT"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")
ACKNOWLEDGEMENT_LINK_MAX_AGE = env.int("ACKNOWLEDGEMENT_LINK_MAX_AGE", default=7 * 24 * 3600)

# Providers: base URLs (private deployments such as 专有钉钉/政务钉钉 have their own), the SMS gateway
# with its pre-approved signature and template, the outbound webhook, and an optional HTTP proxy.
DINGTALK_BASE_URL = env.str("DINGTALK_BASE_URL", default="https://oapi.dingtalk.com")
WECOM_BASE_URL = env.str("WECOM_BASE_URL", default="https://qyapi.weixin.qq.com")
FEISHU_BASE_URL = env.str("FEISHU_BASE_URL", default="https://open.feishu.cn")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_ACCESS_KEY_ID = env.str("SMS_ACCESS_KEY_ID", default="")
SMS_ACCESS_KEY_SECRET = env.str("SMS_ACCESS_KEY_SECRET", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
SMS_TEMPLATE_CODE = env.str("SMS_TEMPLATE_CODE", default="")
OUTBOUND_WEBHOOK_URL = env.str("OUTBOUND_WEBHOOK_URL", default="")
OUTBOUND_WEBHOOK_SECRET = env.str("OUTBOUND_WEBHOOK_SECRET", default="")
OUTBOUND_PROXY = env.str("OUTBOUND_PROXY", default="")
# Provider limits (messages per destination): robots per minute, Feishu per second and minute, SMS per
# number per Beijing day.
ROBOT_MESSAGES_PER_MINUTE = env.int("ROBOT_MESSAGES_PER_MINUTE", default=20)
FEISHU_MESSAGES_PER_SECOND = env.int("FEISHU_MESSAGES_PER_SECOND", default=5)
FEISHU_MESSAGES_PER_MINUTE = env.int("FEISHU_MESSAGES_PER_MINUTE", default=100)
SMS_DAILY_CAP_PER_NUMBER = env.int("SMS_DAILY_CAP_PER_NUMBER", default=10)
# A provider's own count may run a little behind or ahead of ours: rolling windows are this much wider.
PROVIDER_WINDOW_MARGIN_SECONDS = env.float("PROVIDER_WINDOW_MARGIN_SECONDS", default=5)
# Seconds to connect to a provider, and to wait for its answer once the message is sent (after which
# the outcome is unknown, and a group message is not sent again).
OUTBOUND_CONNECT_TIMEOUT = env.float("OUTBOUND_CONNECT_TIMEOUT", default=5)
OUTBOUND_TIMEOUT = env.float("OUTBOUND_TIMEOUT", default=30)
# Seconds a drill, sent within the request, may take in all: below gunicorn's worker timeout (30 s by default).
DRILL_TIME_LIMIT_SECONDS = env.float("DRILL_TIME_LIMIT_SECONDS", default=20)

# Email: EMAIL_URL such as smtp://user:password@mail.example.gov.cn:587 or smtp+tls://…
email_config = env.email_url("EMAIL_URL", default="consolemail://" if LOCAL else "smtp://127.0.0.1:25")
if email_config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    email_config["EMAIL_BACKEND"] = "notifications.channels.smtp.EmailBackend"  # tells a lost answer from a failure
vars().update(email_config)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opinion-tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Administrators told of deliveries that failed for good, and of server errors: "Name <address>,Name <address>".
ADMINS = [getaddresses([entry])[0] for entry in env.list("ADMINS", default=[])]
# A server error is mailed to them at most once in this many seconds (per process), with the count of its
# repeats in the next mail (opinion_tracker.adminmail).
ADMIN_ERROR_MAIL_WINDOW_SECONDS = env.int("ADMIN_ERROR_MAIL_WINDOW_SECONDS", default=10 * 60)

# ``json``: one JSON object a line, with the request id and the incident, obligation and notification ids
# (opinion_tracker.logs); anything else: plain text.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_JSON = LOG_FORMAT == "json"

# Celery (production): Redis as broker; the enforcement pass is scheduled by one beat.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The workers log through LOGGING (below) like the web, in either format: Celery's own handlers would write the
# acknowledgement tokens a traceback or a provider's answer can carry.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Passes and deliveries have their own queues, so a backlog of messages never delays a pass.
CELERY_TASK_ROUTES = {
    "notifications.tasks.run_enforcement_pass": {"queue": "enforcement"},
    "notifications.tasks.deliver_notifications": {"queue": "delivery"},
}

# The work-message apps' access tokens (notifications.channels.tokens), shared by every process that sends:
# Redis in production, where web and delivery workers are separate processes; the process's own memory in the
# embedded default (SQLite), where one process (runtracker) serves the pages, runs the passes and delivers.
CACHES["access_tokens"] = env.cache(
    "ACCESS_TOKEN_CACHE_URL",
    default="locmemcache://access-tokens"
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else REDIS_URL,
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "redact_tokens": {"()": "opinion_tracker.accesslog.RedactTokens"},
    },
    "formatters": {
        "django.server": DEFAULT_LOGGING["formatters"]["django.server"],
        "json": {"()": "opinion_tracker.logs.JsonFormatter"},
        "text": {
            "()": "opinion_tracker.accesslog.RedactingFormatter",
            "format": "[{asctime}] [{process}] [{levelname}] {name}: {message}",  # gunicorn's own lines' shape
            "style": "{",
        },
    },
    "handlers": {
        # Every line, whichever logger wrote it (django.security's CSRF refusals name the path too), without
        # acknowledgement tokens: both formatters take them out of the whole line, traceback included.
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_JSON else "text"},
        # In place of Django's AdminEmailHandler: mailed from a background thread, at most once per error
        # per window, never for /healthz.
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "opinion_tracker.adminmail.QueuedAdminEmailHandler",
        },
        "django.server": {
            **DEFAULT_LOGGING["handlers"]["django.server"],
            **({"formatter": "json"} if LOG_JSON else {}),
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The embedded scheduler would log every tick; a failed pass is logged by the tracker itself.
        "apscheduler": {"level": "WARNING"},
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        # The paths these log carry acknowledgement tokens (opinion_tracker.accesslog).
        "django.request": {"filters": ["redact_tokens"]},
        "django.server": {**DEFAULT_LOGGING["loggers"]["django.server"], "filters": ["redact_tokens"]},
        # At DEBUG urllib3 logs every request line, and the providers' URLs carry credentials (钉钉 and 企业微信
        # take the app secret in the token request's query, every message its access token): never below WARNING.
        "urllib3": {"level": "WARNING"},
    },
}
