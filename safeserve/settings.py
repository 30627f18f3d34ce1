"""SafeServe settings: one module, configured from environment variables.

With no configuration SafeServe runs in DEBUG on an embedded SQLite database.
Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and usually DATABASE_URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SAFESERVE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "axes",
    "huey.contrib.djhuey",
    "django_prometheus",
    "safeserve.core",
    "safeserve.accounts",
    "safeserve.registry",
    "safeserve.notifications",
    "safeserve.iot",
    "safeserve.services",
    "safeserve.hazards",
    "safeserve.market",
    "safeserve.experts",
    "safeserve.associations",
    "safeserve.training",
    "safeserve.ops",
    "safeserve.credit",
    "safeserve.coverage",
    "safeserve.assessment",
    "safeserve.tipoffs",
    "safeserve.supervision",
    "safeserve.inspections",
    "safeserve.procurement",
    "safeserve.subsidies",
    "safeserve.insurance",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "safeserve.ops.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the web process, compressed and with far-future cache headers for the
    # hashed names of the manifest (ADR 0037); uploads never go through here.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "safeserve.core.middleware.ContentSecurityPolicyMiddleware",
    # A cached public page for a reader without a session is answered here, before sessions, locale,
    # CSRF and authentication; everything above still applies to it (docs/decisions/0039-public-portal.md).
    "safeserve.market.public.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A successful write makes the session's next home page count its figures again (core.home).
    "safeserve.core.home.HomeFreshnessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safeserve.core.middleware.FriendlyErrorPagesMiddleware",
    "safeserve.accounts.middleware.MustChangePasswordMiddleware",
    "safeserve.accounts.middleware.HtmxLoginRedirectMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "safeserve.ops.middleware.SafePrometheusAfterMiddleware",
]

ROOT_URLCONF = "safeserve.urls"
WSGI_APPLICATION = "safeserve.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safeserve" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeserve.core.context_processors.shell",
            ],
            # {% url %} with integer arguments without a resolver walk per row (core/fasturl.py).
            "builtins": ["safeserve.core.templatetags.fast_url"],
        },
    },
]
# Django's form renderer with selects written in Python (the same markup, a fraction of the CPU).
FORM_RENDERER = "safeserve.core.renderers.Renderer"

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer (an import, a job) holds the lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "safeserve.accounts.backends.AccountBackend",  # refuses demo accounts when DEBUG is off
    "safeserve.accounts.roles.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "safeserve.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire after 8 idle hours (a working day) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SAFESERVE_SESSION_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling: 5 failures lock the username+IP pair for 15 minutes.
# The default first; the last one hashes system-generated initial passwords only (ADR 0024).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "safeserve.accounts.hashers.InitialPasswordHasher",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SAFESERVE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SAFESERVE_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # `collectstatic` fills it; whitenoise expects it to exist
STATICFILES_DIRS = [BASE_DIR / "safeserve" / "static"]
# Production (DEBUG off) serves hashed, pre-compressed static files from `collectstatic` (whitenoise).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # gzip/brotli copies take collectstatic ~20 s; SAFESERVE_STATIC_COMPRESS=0 skips them (tests).
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("SAFESERVE_STATIC_COMPRESS", True)
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG  # DEBUG serves straight from the source folders, no collectstatic
WHITENOISE_MAX_AGE = 3600  # un-hashed names; hashed ones get a year (whitenoise's immutable rule)
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"


# Uploaded files on an S3-compatible object store (AWS S3, MinIO, Ceph, OSS/COS in S3 mode), off by
# default. The bucket is private: objects are only ever read by the scoped views, which stream them
# through Django after the record's scope check; nothing links to a bucket URL
# (docs/decisions/0045-media-object-storage.md).
def s3_media_storage(env) -> dict:
    """``STORAGES["default"]`` for media on a bucket, from ``SAFESERVE_MEDIA_S3_*`` in ``env`` (the tests
    build the same storage with it against a local S3 server)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env["SAFESERVE_MEDIA_S3_BUCKET"],
            "endpoint_url": env.get("SAFESERVE_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": env.get("SAFESERVE_MEDIA_S3_REGION") or None,
            # Unset: boto3's own chain (AWS_* variables, an instance role).
            "access_key": env.get("SAFESERVE_MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": env.get("SAFESERVE_MEDIA_S3_SECRET_KEY") or None,
            "location": env.get("SAFESERVE_MEDIA_S3_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,  # should anything ever ask for a URL, it is signed and short-lived
            "querystring_expire": 300,
            "file_overwrite": False,  # a second upload never replaces a stored file (same as on disk)
            "max_memory_size": 2 * 1024 * 1024,  # an object read for serving spills to a temp file above 2 MB
            "client_config": Config(
                # "path" for MinIO and most self-hosted stores; unset: boto3 chooses.
                s3={"addressing_style": env.get("SAFESERVE_MEDIA_S3_ADDRESSING_STYLE") or None},
                # A page waits seconds, not minutes, for a store that does not answer (/readyz reports it).
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3},
                # Checksums only where S3 requires them: S3-compatible stores lag behind AWS's newer ones.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        },
    }


SAFESERVE_MEDIA_S3_BUCKET = os.environ.get("SAFESERVE_MEDIA_S3_BUCKET", "")
if SAFESERVE_MEDIA_S3_BUCKET:
    STORAGES["default"] = s3_media_storage(os.environ)

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REST_FRAMEWORK = {
    # Basic first: a refused or missing login is a 401 with a WWW-Authenticate challenge, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["safeserve.core.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Bad input is a 4xx with a Chinese reason, never a 500 (docs/decisions/0015-input-validation.md).
    "DEFAULT_PARSER_CLASSES": [
        "safeserve.core.drf.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "safeserve.core.drf.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "safeserve.core.schema.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SafeServe API",
    "DESCRIPTION": "安全生产社会化服务平台 REST API. Every endpoint returns only the rows the caller may see.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["safeserve.core.permissions.SchemaReaders"],  # login required when DEBUG is off
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files (npm swagger-ui-dist): no CDN on closed networks.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    # Two choice sets share the field name "level": name their enums (keeps `check --deploy` free of W001).
    "ENUM_NAME_OVERRIDES": {
        "IndustryLevelEnum": "safeserve.registry.choices.IndustryLevel",
        "HazardLevelEnum": "safeserve.hazards.choices.HazardLevel",
        "ServiceTypeEnum": "safeserve.registry.choices.ServiceType",
    },
}

# Production hardening; `manage.py check --deploy` passes with DEBUG off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Secure cookies need HTTPS; `make serve` on loopback (plain HTTP, no proxy) turns them off.
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers never guess a content type (in every mode; stored photos set it again themselves).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (core/middleware.py, ADR 0010): no inline or eval'd script, no plugins, no
# framing. Inline style *attributes* stay allowed (ECharts tooltips and a few templates use them);
# <style> elements do not (htmx's indicator style is in safeserve.css instead).
SAFESERVE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SAFESERVE_CSP_REPORT_ONLY = env_bool("SAFESERVE_CSP_REPORT_ONLY", False)
# Error pages: users always get the Chinese 400/403/404/500 pages, also with DEBUG on (the demo);
# set SAFESERVE_DEBUG_ERROR_PAGES=1 to see Django's technical pages while developing.
SAFESERVE_DEBUG_ERROR_PAGES = env_bool("SAFESERVE_DEBUG_ERROR_PAGES", False)
SESSION_COOKIE_HTTPONLY = True

# Logs: one line per request (safeserve.ops.requestlog) when SAFESERVE_REQUEST_LOG is on (default: on
# with DEBUG off); SAFESERVE_LOG_JSON=1 writes every record as one JSON object per line.
SAFESERVE_REQUEST_LOG = env_bool("SAFESERVE_REQUEST_LOG", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "safeserve.ops.requestlog.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env_bool("SAFESERVE_LOG_JSON", False) else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SAFESERVE_LOG_LEVEL", "WARNING")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "safeserve.request": {"level": "INFO" if SAFESERVE_REQUEST_LOG else "WARNING"},
    },
}

# Operations (safeserve.ops; docs/deployment.md): /metrics for these networks or a bearer token;
# backups in this folder, /readyz warns when the newest is older than this many hours (0 = never).
SAFESERVE_METRICS_ALLOW = env_list("SAFESERVE_METRICS_ALLOW", "127.0.0.1/32,::1/128")
SAFESERVE_METRICS_TOKEN = os.environ.get("SAFESERVE_METRICS_TOKEN", "")
SAFESERVE_BACKUP_DIR = os.environ.get("SAFESERVE_BACKUP_DIR", str(VAR_DIR / "backups"))
SAFESERVE_BACKUP_MAX_AGE_HOURS = int(os.environ.get("SAFESERVE_BACKUP_MAX_AGE_HOURS", "0" if DEBUG else "26"))

FILTERS_EMPTY_CHOICE_LABEL = _("全部")

# Domain settings (DOMAIN.md marks these as configurable).
SAFESERVE = {
    "QUALIFICATION_EXPIRY_WARNING_DAYS": int(os.environ.get("SAFESERVE_QUAL_WARN_DAYS", "60")),
    # Hazard deadlines (hazards/conf.py): 一般隐患整改期限, 重大隐患治理期限 default, reminder lead time,
    # hours within which a major hazard reaches the regulator, days for on-site acceptance.
    "HAZARD_GENERAL_DAYS": int(os.environ.get("SAFESERVE_HAZARD_GENERAL_DAYS", "15")),
    "HAZARD_MAJOR_DAYS": int(os.environ.get("SAFESERVE_HAZARD_MAJOR_DAYS", "60")),
    "HAZARD_REMINDER_DAYS": int(os.environ.get("SAFESERVE_HAZARD_REMINDER_DAYS", "3")),
    "HAZARD_MAJOR_REPORT_HOURS": int(os.environ.get("SAFESERVE_HAZARD_MAJOR_REPORT_HOURS", "2")),
    "HAZARD_ACCEPTANCE_DAYS": int(os.environ.get("SAFESERVE_HAZARD_ACCEPTANCE_DAYS", "10")),
    "HAZARD_GENERAL_MAX_DAYS": int(os.environ.get("SAFESERVE_HAZARD_GENERAL_MAX_DAYS", "90")),
    "HAZARD_MAJOR_MAX_DAYS": int(os.environ.get("SAFESERVE_HAZARD_MAJOR_MAX_DAYS", "180")),
    "HAZARD_EXTENSION_MAX_DAYS": int(os.environ.get("SAFESERVE_HAZARD_EXTENSION_MAX_DAYS", "30")),
    # Service types that need the agency's own licence (应急管理部令第1号: 安全评价, 检测检验; 职业卫生
    # 技术服务): a visit under a contract with such an item needs a valid, county-confirmed qualification.
    "LICENSED_SERVICE_TYPES": env_list("SAFESERVE_LICENSED_SERVICE_TYPES", "evaluation,testing,occupational"),
    # Uploaded photos (core/uploads.py, ADR 0010): checked by content, re-encoded, within these limits.
    "UPLOAD_IMAGE_MAX_BYTES": int(os.environ.get("SAFESERVE_UPLOAD_IMAGE_MAX_MB", "15")) * 1024 * 1024,
    "UPLOAD_IMAGE_MAX_PIXELS": int(os.environ.get("SAFESERVE_UPLOAD_IMAGE_MAX_PIXELS", str(40_000_000))),
    "UPLOAD_IMAGE_MAX_FILES": int(os.environ.get("SAFESERVE_UPLOAD_IMAGE_MAX_FILES", "20")),
    # Hours an account invite link (the safety manager's, ADR 0024) stays valid; it works once.
    "INVITE_HOURS": int(os.environ.get("SAFESERVE_INVITE_HOURS", "72")),
    # Coverage (覆盖率, safeserve/coverage): which participation channels count, by name
    # (service_contract, iot_device, later insurance); unset or empty env: every registered channel.
    "COVERAGE_CHANNELS": env_list("SAFESERVE_COVERAGE_CHANNELS", "") or None,
    # Expert draws (experts/conf.py, DOMAIN.md): recusal windows, answer deadline, rating rule.
    "EXPERT_SERVED_MONTHS": int(os.environ.get("SAFESERVE_EXPERT_SERVED_MONTHS", "36")),
    "EXPERT_ANSWER_HOURS": int(os.environ.get("SAFESERVE_EXPERT_ANSWER_HOURS", "24")),
    "EXPERT_RATING_WORKING_DAYS": int(os.environ.get("SAFESERVE_EXPERT_RATING_WORKING_DAYS", "2")),
    "EXPERT_RATING_THRESHOLD": int(os.environ.get("SAFESERVE_EXPERT_RATING_THRESHOLD", "60")),
    # Town assessment (assessment/conf.py): days a town may object after the opening; reminder lead.
    "ASSESSMENT_OBJECTION_DAYS": int(os.environ.get("SAFESERVE_ASSESSMENT_OBJECTION_DAYS", "10")),
    "ASSESSMENT_REMINDER_DAYS": int(os.environ.get("SAFESERVE_ASSESSMENT_REMINDER_DAYS", "2")),
    # Public reports (tipoffs/conf.py, ADR 0033): deadlines in "calendar" days (a period ending on a
    # rest day ends on the next working day) or "working" days; the State Council's holiday table
    # (weekday holidays and make-up working weekends, ISO dates separated by commas).
    "TIPOFF_DEADLINE_UNIT": os.environ.get("SAFESERVE_TIPOFF_DEADLINE_UNIT", "calendar"),
    "TIPOFF_HOLIDAYS": env_list("SAFESERVE_HOLIDAYS", ""),
    "TIPOFF_WORKDAYS": env_list("SAFESERVE_MAKEUP_WORKDAYS", ""),
}

# The service marketplace and public portal (safeserve.market): the Zhejiang minimum of full-time
# certified staff shown against each agency; the policy's participation targets (%) on the public home;
# how long public pages are cached (seconds; 0 = not cached).
SAFESERVE_MARKET = {
    "STAFF_MINIMUM": int(os.environ.get("SAFESERVE_MARKET_STAFF_MINIMUM", "5")),
    "TARGET_ALL": 5,
    "TARGET_VILLAGE_SMALL": 100,
    "TARGET_KEY_INDUSTRY": 100,
    "PORTAL_CACHE_SECONDS": int(os.environ.get("SAFESERVE_PORTAL_CACHE_SECONDS", "60")),
    # An agency whose accepted quote's contract has no visit recorded within this many days of the
    # acceptance is counted among those that "quote but never deliver" (market statistics).
    "NO_DELIVERY_DAYS": int(os.environ.get("SAFESERVE_MARKET_NO_DELIVERY_DAYS", "60")),
}

# Background jobs (huey): an SQLite file by default (no extra server; run `manage.py run_huey`),
# Redis at scale with HUEY_REDIS_URL. Tests and SAFESERVE_JOBS_IMMEDIATE=1 run jobs inline.
# Periodic jobs name local (TIME_ZONE) times through core.jobs.local_crontab; huey itself keeps UTC.
# SIGTERM (systemd, honcho, a deploy) stops the worker *gracefully*: each worker thread finishes the
# job it holds, including one its blocking Redis pop received after the signal. huey's default
# (SIGTERM = stop at once) let the dying process take a job off the Redis list and exit without
# running it: an alarm's delivery then waited for the 5-minute sweep (docs/decisions/0017-queued-delivery.md).
HUEY_CONSUMER = {"graceful_signal": "TERM"}
HUEY_REDIS_URL = os.environ.get("HUEY_REDIS_URL", "")
if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "safeserve",
        "url": HUEY_REDIS_URL,
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "safeserve",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("SAFESERVE_JOBS_IMMEDIATE", False),
        "consumer": HUEY_CONSUMER,
    }

# Cache: per process (locmem) by default. Counters that must hold across processes (the telemetry
# door's rate limits) need a shared cache: set SAFESERVE_CACHE_URL=redis://host:6379/1.
SAFESERVE_CACHE_URL = os.environ.get("SAFESERVE_CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": SAFESERVE_CACHE_URL}
        if SAFESERVE_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "safeserve"}
    ),
    # Whole public pages for readers without a session (safeserve.market.public): per process on purpose.
    # A hit from process memory costs half of one from Redis (docs/benchmarks.md), and each worker
    # rendering each page once per PORTAL_CACHE_SECONDS is a few renders a minute. Bounded: at most
    # MAX_ENTRIES pages (directory filter combinations included) of ~50 kB each per worker.
    "portal": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "safeserve-portal",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# Seconds a login session keeps its home page's figures (core.home; ADR 0047). The page says when they
# were counted and offers 刷新; the session's own writes count them again at once. 0: count every time.
SAFESERVE_HOME_CACHE_SECONDS = int(os.environ.get("SAFESERVE_HOME_CACHE_SECONDS", "60"))

# Notification channels: "log", "email", "webhook" (an SMS gateway sits behind a webhook), or a dotted path.
SAFESERVE_NOTIFY_CHANNELS = env_list("SAFESERVE_NOTIFY_CHANNELS", "log")
SAFESERVE_NOTIFY_WEBHOOK_URL = os.environ.get("SAFESERVE_NOTIFY_WEBHOOK_URL", "")
# Delivery is a queued job (notifications.tasks): attempts per delivery, and the first retry delay in
# seconds (each later one 4x longer). docs/decisions/0017-queued-delivery.md
SAFESERVE_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("SAFESERVE_NOTIFY_MAX_ATTEMPTS", "5"))
SAFESERVE_NOTIFY_RETRY_SECONDS = int(os.environ.get("SAFESERVE_NOTIFY_RETRY_SECONDS", "60"))
EMAIL_TIMEOUT = 10  # seconds: a hung mail server must not hold the delivery job (and its claim) forever

# Smart electrical safety (iot): the MQTT broker the ingest workers consume from ("" = HTTP only).
MQTT_URL = os.environ.get("MQTT_URL", "")
SAFESERVE_IOT = {
    "CLEAR_AFTER": int(os.environ.get("SAFESERVE_IOT_CLEAR_AFTER", "3")),
    "ESCALATE_CRITICAL_MINUTES": int(os.environ.get("SAFESERVE_IOT_ESCALATE_MINUTES", "10")),
    "ESCALATE_COUNTY_MINUTES": int(os.environ.get("SAFESERVE_IOT_ESCALATE_COUNTY_MINUTES", "60")),
    # Retention: raw readings (must exceed MAX_TS_AGE_DAYS, 30), hourly rollups, dead letters.
    "RAW_RETENTION_DAYS": int(os.environ.get("SAFESERVE_IOT_RAW_RETENTION_DAYS", "90")),
    "ROLLUP_RETENTION_DAYS": int(os.environ.get("SAFESERVE_IOT_ROLLUP_RETENTION_DAYS", str(3 * 365))),
    "DEADLETTER_RETENTION_DAYS": int(os.environ.get("SAFESERVE_IOT_DEADLETTER_RETENTION_DAYS", "30")),
    # HTTP telemetry door: accepted requests per device and minute; refused ones per client IP and minute.
    "HTTP_MAX_REQUESTS_PER_MINUTE": int(os.environ.get("SAFESERVE_IOT_HTTP_MAX_REQUESTS_PER_MINUTE", "120")),
    "HTTP_MAX_REFUSED_PER_MINUTE": int(os.environ.get("SAFESERVE_IOT_HTTP_MAX_REFUSED_PER_MINUTE", "60")),
}
