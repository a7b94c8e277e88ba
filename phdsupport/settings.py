"""Settings for phdsupport: one module, every deployment difference read from the environment."""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from phdsupport.saml import organisation_map, saml_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (docker secrets)."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default


DEBUG = env_bool("DEBUG", default=False)
# Under pytest the suite needs no environment of its own (a fixed key, eager tasks).
TESTING = env_bool("PHDSUPPORT_TESTING", default="pytest" in sys.modules)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Development and tests only: a fixed key is harmless when nothing is deployed.
        SECRET_KEY = "insecure-development-key-never-used-in-production-0123456789"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in the environment, "
            "or DEBUG=true for local development. / SECRET_KEY が設定されていません。"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "djangosaml2",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "phdsupport",
    "programs",
    "students",
    "reports",
    "careers",
    "enrolment",
    "accounts",
    "payments",
    "dashboards",
]

MIDDLEWARE = [
    "phdsupport.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The SAML exchange's own session cookie (SameSite=None: the provider posts back cross-site).
    "djangosaml2.middleware.SamlSessionMiddleware",
    "phdsupport.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and absolute session limits (#17); before the second factor so an ended session asks for both.
    "accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ministry, officer and administrator accounts, and anyone who enrolled, pass a second factor (#17).
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Records the reads of personal data a view declared, before the response leaves (#17).
    "accounts.middleware.PersonalDataReadMiddleware",
    "phdsupport.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phdsupport.urls"
WSGI_APPLICATION = "phdsupport.wsgi.application"

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
                "django.template.context_processors.i18n",
                "phdsupport.access.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time; set it up so that concurrent processes (the web process,
    # a worker, a heartbeat thread) wait for each other instead of failing with "database is
    # locked":
    # - WAL: readers never wait for a writer (nor a writer for readers), so a page or a poll of
    #   an upload's progress reads while a 10,000-row apply is being written and committed;
    # - IMMEDIATE: a transaction takes the write lock when it begins. A deferred one that read
    #   first and then writes cannot wait for the lock (SQLite fails it at once to avoid a
    #   deadlock, whatever the busy timeout); an immediate one waits like any other writer;
    # - timeout: how long a writer waits for another's transaction to end.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
    # Tests use a file, not shared-cache memory: a Celery worker thread in the integration tests
    # would otherwise meet "table is locked" instead of waiting.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every web process in production (Redis); per-process memory otherwise.
# Production requires it: dashboards, API keys and the API rate limit would otherwise be
# per-process and silently disagree between gunicorn workers.
CACHE_URL = os.environ.get("CACHE_URL", "")
if not CACHE_URL and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "CACHE_URL is not set. Production (DEBUG off) needs a cache shared by every process: "
        "set CACHE_URL=redis://host:6379/1, or DEBUG=true for local development."
    )
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "phdsupport"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user with their membership and university in one query.
    "accounts.backends.MembershipBackend",
    # Federated sign-in (SAML 2.0, e.g. GakuNin): accounts.saml; inert until SAML_IDP_METADATA is set.
    # Built on MembershipBackend: a federated session reads its user the same way.
    "accounts.saml.FederatedBackend",
]
# The second factor (django-otp, accounts.second_factor): the issuer shown in authenticator apps,
# and how long a browser the person asked to remember skips it.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "phdsupport")
OTP_REMEMBER_DAYS = env_int("OTP_REMEMBER_DAYS", 30)
# Federated sign-in (SAML 2.0 through djangosaml2/pysaml2; accounts/saml.py). Off until the identity
# provider's metadata is given: SAML_IDP_METADATA is a file or an https:// address, SAML_BASE_URL the
# public origin. The person is identified by SAML_ID_ATTRIBUTE; SAML_ORG_ATTRIBUTE's values map to
# universities by SAML_ORG_UNIVERSITIES ("u-tokyo.ac.jp=東京大学,kyoto-u.ac.jp=2": a name or an id).
# A first sign-in makes an account with no role; only an administrator gives one.
SAML_IDP_METADATA = os.environ.get("SAML_IDP_METADATA", "")
SAML_ID_ATTRIBUTE = os.environ.get("SAML_ID_ATTRIBUTE", "eduPersonPrincipalName")
SAML_ORG_ATTRIBUTE = os.environ.get("SAML_ORG_ATTRIBUTE", "schacHomeOrganization")
SAML_ORG_UNIVERSITIES = organisation_map(os.environ.get("SAML_ORG_UNIVERSITIES", ""))
SAML_CONFIG = (
    saml_config(
        base_url=os.environ.get("SAML_BASE_URL", "http://127.0.0.1:8000"),
        idp_metadata=SAML_IDP_METADATA,
        key_file=os.environ.get("SAML_SP_KEY_FILE", ""),
        cert_file=os.environ.get("SAML_SP_CERT_FILE", ""),
    )
    if SAML_IDP_METADATA
    else None
)
SAML_DJANGO_USER_MAIN_ATTRIBUTE = "username"
SAML_ATTRIBUTE_MAPPING = {SAML_ID_ATTRIBUTE: ("username",), "mail": ("email",)}
SAML_CREATE_UNKNOWN_USER = True
SAML_SESSION_COOKIE_NAME = "saml_session"
SAML_SESSION_COOKIE_SAMESITE = "None"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from the npm registry (package-lock.json) and are served by whitenoise.
NPM_ASSETS = {
    "vendor/chartjs": BASE_DIR / "node_modules" / "chart.js" / "dist",
    "vendor/htmx": BASE_DIR / "node_modules" / "htmx.org" / "dist",
    # The Digital Agency design system's tokens (colours, type scale, radii) that site.css uses.
    "vendor/dads": BASE_DIR / "node_modules" / "@digital-go-jp" / "design-tokens" / "dist",
    # axe-core is injected by the browser tests only (tests/browser/crawl.py); no page loads it.
    "vendor/axe": BASE_DIR / "node_modules" / "axe-core",
}
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise as they are.
WHITENOISE_ROOT = BASE_DIR / "public"
STATICFILES_DIRS = [BASE_DIR / "static", *((prefix, path) for prefix, path in NPM_ASSETS.items() if path.exists())]
# The same storage with DEBUG on and off, so collectstatic always writes the manifest and the
# hashed, compressed copies: a build made for the demo also serves production (a storage chosen
# by DEBUG left production without a manifest, and every page answered 500). With DEBUG on,
# Django's manifest storage still names the unhashed files, which whitenoise serves from the
# source folders, so edits show without a rebuild. The suite keeps the plain storage;
# tests/test_static_manifest.py renders pages with the manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# A list filter's empty choice (django-filter's "---------"), in the page's language; the forms' own
# selects are named by phdsupport/forms.py (Ref: #13).
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("すべて")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "phdsupport.api.schema.ProblemAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["phdsupport.api.filters.StrictFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "students.api.auth.BearerKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["students.api.auth.KeyRateThrottle"],
    "EXCEPTION_HANDLER": "phdsupport.api.errors.problem_exception_handler",
    "DEFAULT_PARSER_CLASSES": ["phdsupport.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
API_RATE = os.environ.get("API_RATE", "1200/min")
# How long a POST's answer is replayed for the same Idempotency-Key (a client retries within it).
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24)
SPECTACULAR_SETTINGS = {
    "TITLE": "phdsupport API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "phdsupport for university systems. Authorization: Bearer <key>. Errors are RFC 9457 problem details.",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "StudentStatusEnum": "students.models.Student.Status",
        "AwardStatusEnum": "students.models.Award.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: without a broker, tasks run eagerly in-process (demo); CI also runs a real worker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# CELERY_BROKER_TRANSPORT_OPTIONS (the visibility timeout): with the upload jobs' heartbeat below.
CELERY_TIMEZONE = TIME_ZONE
# The access log of personal data (accounts.PersonalDataRead) keeps this many days of reads;
# beat purges older rows daily.
PERSONAL_DATA_READ_RETENTION_DAYS = env_int("PERSONAL_DATA_READ_RETENTION_DAYS", 3 * 365)
CELERY_BEAT_SCHEDULE = {
    "nightly-facts-rebuild": {
        "task": "students.tasks.facts_rebuild_task",
        "schedule": 24 * 3600,
    },
    # Daily; REMINDER_INTERVAL_SECONDS shortens them (the beat test runs them every few seconds).
    "daily-report-reminders": {
        "task": "reports.tasks.send_report_reminders_task",
        "schedule": env_int("REMINDER_INTERVAL_SECONDS", 24 * 3600),
    },
    "daily-career-reminders": {
        "task": "careers.tasks.send_career_reminders_task",
        "schedule": env_int("REMINDER_INTERVAL_SECONDS", 24 * 3600),
    },
    # Answers kept for Idempotency-Key replays are forgotten after IDEMPOTENCY_TTL_HOURS.
    "daily-personal-data-reads-purge": {
        "task": "accounts.tasks.personal_data_reads_purge_task",
        "schedule": 24 * 3600,
    },
    "hourly-idempotency-purge": {
        "task": "students.tasks.idempotency_records_purge_task",
        "schedule": 3600,
    },
}

# Upload jobs and upload caps (issue #12, items 4 and 5).
# Caps enforced while a file is read (students.imports, reading block); the upload pages state them.
UPLOAD_MAX_ROWS = env_int("UPLOAD_MAX_ROWS", 100_000)
UPLOAD_MAX_COLUMNS = env_int("UPLOAD_MAX_COLUMNS", 64)
UPLOAD_MAX_CELL_CHARS = env_int("UPLOAD_MAX_CELL_CHARS", 1000)
UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES = env_int("UPLOAD_MAX_XLSX_SHARED_STRINGS_BYTES", 50 * 1024 * 1024)
# A sheet is read streaming (its size costs time, not memory): our own export of 100,000 rows,
# strings inline, unpacks to about 90 MB. Every other part (styles, workbook, ...) is loaded whole.
UPLOAD_MAX_XLSX_SHEET_BYTES = env_int("UPLOAD_MAX_XLSX_SHEET_BYTES", 200 * 1024 * 1024)
UPLOAD_MAX_XLSX_PART_BYTES = env_int("UPLOAD_MAX_XLSX_PART_BYTES", 20 * 1024 * 1024)
# openpyxl holds every shared string as an object: the count bounds a worker's memory (~85 MB at 500,000).
UPLOAD_MAX_XLSX_SHARED_STRINGS = env_int("UPLOAD_MAX_XLSX_SHARED_STRINGS", 500_000)
# A running check or apply beats (UploadJob.heartbeat_at) at least this often; one silent for
# UPLOAD_STALE_SECONDS is dead: the sweeper marks it failed (retry offered) and a redelivered task
# takes it over. Redis redelivers an unacknowledged task after the same time, so a killed worker's
# upload runs again without waiting hours. Every task must therefore finish within it or bear a
# second delivery: upload tasks defer to a run that still beats, the facts rebuild skips a redelivery.
UPLOAD_HEARTBEAT_SECONDS = env_int("UPLOAD_HEARTBEAT_SECONDS", 10)
UPLOAD_STALE_SECONDS = env_int("UPLOAD_STALE_SECONDS", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": UPLOAD_STALE_SECONDS,
    # Look for unacknowledged tasks past their timeout every few seconds, not every 100.
    "unacked_restore_interval": max(1, min(10, UPLOAD_STALE_SECONDS // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE["upload-sweep"] = {
    "task": "students.tasks.upload_sweep_task",
    "schedule": max(UPLOAD_STALE_SECONDS // 5, 5),
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "phdsupport@localhost")

# Production hardening; `manage.py check --deploy` passes when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = not (DEBUG or TESTING)
# A session ends after this long without a request, and this long after sign-in whatever the
# activity (accounts.middleware.SessionLifetimeMiddleware; OWASP ASVS V3.3: 30 minutes, 12 hours).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
# An invitation's link to set a password works this long (Django's password-reset token).
PASSWORD_RESET_TIMEOUT = env_int("INVITATION_DAYS", 3) * 24 * 3600
CSRF_COOKIE_SECURE = not (DEBUG or TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not (DEBUG or TESTING)
SECURE_HSTS_PRELOAD = not (DEBUG or TESTING)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, so
# no inline <script>, event-handler attribute or style attribute runs. json_script blocks
# (type="application/json") are data, not scripts, and need no exception. Chart.js and htmx
# set sizes through element.style (CSSOM), which style-src does not govern. Redoc, DRF's
# browsable API and the admin allow inline styles (phdsupport/api/urls.py, phdsupport/middleware.py).
# img-src data: is for the SVG icons Swagger UI and the admin embed as data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Sign-in throttling (django-axes, attempts kept in the database so every process shares them):
# five failures for one username from one address lock that pair for 15 minutes. Keyed on the
# pair, so nobody can lock another person out by guessing their username from elsewhere, and
# another person at the same address (a university's NAT) still signs in.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "phdsupport.views.sign_in_locked"
AXES_CLIENT_IP_CALLABLE = "phdsupport.views.client_address"
# Behind reverse proxies that each append to X-Forwarded-For, set TRUSTED_PROXY_COUNT to how
# many there are; the client is then that many entries from the right. Without it the header is
# ignored (anyone can send one) and the peer address is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Uploads: an XLSX is a zip, so cap both the upload and what it unpacks to.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
