"""One settings file for every environment.

With no environment set this is the embedded default: SQLite under ``var/``, Celery tasks run
eagerly in-process, email is written to ``var/outbox/``. Production sets ``DATABASE_URL``,
``CELERY_BROKER_URL`` and the ``EMAIL_*`` variables. Only ``config.env`` reads the environment.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LLM_FINOPS_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/ (never committed)."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "finops",
    "ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, a SQLite file under var/ by default.
DATABASE_URL = env_url(
    "DATABASE_URL",
    schemes=("postgres", "postgresql", "sqlite"),
    default=f"sqlite:///{VAR_DIR / 'llm_finops.sqlite3'}",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while the receiver writes; wait instead of failing on a lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL's JIT fires on the cost estimate of any large scan and compiled for 2.65 s of
    # a 5.4 s dashboard query at 10 M calls (bench/README.md): our queries are short and many.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "finops:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on a missing root before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Plotly's JavaScript, served from the installed plotly package (no CDN).
    "config.staticfinders.PlotlyFinder",
]
# Serve straight from the finders, so the embedded default needs no collectstatic.
WHITENOISE_USE_FINDERS = True

# Email: SMTP when EMAIL_HOST is set, otherwise files in var/outbox/.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "llm-finops <finops@localhost>")
# A hung SMTP server must not hold a worker forever: the send fails and Celery retries it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
# Absolute links in emails and webhooks (no request to build them from).
SITE_URL = env_url("SITE_URL", schemes=("http", "https"), default="http://127.0.0.1:8000")
# Celery beat evaluates every budget this often (minutes, 1-60).
BUDGET_EVALUATE_MINUTES = env_int("BUDGET_EVALUATE_MINUTES", 5, minimum=1)
# Traces page (PostgreSQL): the totals/count/histogram above the rows give up after this many
# ms and say so, instead of holding the page (0 = no limit).
SEARCH_SUMMARY_TIMEOUT_MS = env_int("SEARCH_SUMMARY_TIMEOUT_MS", 500, minimum=0)

# Celery: a broker in production; none means tasks run eagerly in-process.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", schemes=("redis", "rediss", "amqp", "amqps"))
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "finops.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "llm-finops API",
    "DESCRIPTION": "LLM calls, costs and attribution. Authenticate with a session or an API key.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# OTLP receiver limits. Exporters batch ~512 spans (~1 MB); the limits leave ample room.
OTLP_MAX_BODY_BYTES = env_int("OTLP_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
OTLP_MAX_DECOMPRESSED_BYTES = env_int("OTLP_MAX_DECOMPRESSED_BYTES", 64 * 1024 * 1024, minimum=1024)

OTLP_MAX_ATTRIBUTES = env_int("OTLP_MAX_ATTRIBUTES", 256, minimum=16)
OTLP_MAX_ATTRIBUTE_LENGTH = env_int("OTLP_MAX_ATTRIBUTE_LENGTH", 128 * 1024, minimum=256)
# At most this many ingest requests at once per process; more get 429 + Retry-After.
OTLP_MAX_CONCURRENT_REQUESTS = env_int("OTLP_MAX_CONCURRENT_REQUESTS", 8, minimum=1)
# A trace is finalized (attribution, retries, summary) once no span arrived for this long.
TRACE_IDLE_SECONDS = env_int("TRACE_IDLE_SECONDS", 10, minimum=0)
# With no broker, finalize the touched traces inside the ingest request (the embedded
# default); false leaves them marked for finalize_idle_traces, so ingest only stores.
TRACE_FINALIZE_INLINE = env_bool("TRACE_FINALIZE_INLINE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
