"""ServiceFirst settings. Every value comes from the environment; nothing else reads os.environ.

Without DATABASE_URL the product runs on a SQLite file under var/ (the embedded default).
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SERVICEFIRST_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A development key is only accepted while DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-insecure-servicefirst-key-do-not-use-in-production"
    if DEBUG or env_bool("SERVICEFIRST_DEV")
    else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set in the environment (or DEBUG=1 for development)")

# Key for personal fields encrypted at rest (identity numbers). Separate from SECRET_KEY so that
# rotating sessions does not lose data. Any string; it is stretched into a Fernet key.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_bootstrap5",
    "channels",
    "django_tasks",
    # Before django_tasks_db: its `db_worker` command is core's (re-queues dead workers' tasks).
    "servicefirst.core",
    "django_tasks_db",
    # Staff sign-in hardening: lockout after failed attempts, optional/required TOTP.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "servicefirst.accounts",
    "servicefirst.customers",
    "servicefirst.insights",
    "servicefirst.scoring",
    "servicefirst.floor",
    "servicefirst.dispatch",
    "servicefirst.lobby",
    "servicefirst.care",
    "servicefirst.reports",
    "servicefirst.staffing",
    "servicefirst.dialer",
    "servicefirst.commitments",
    "servicefirst.servicedesk",
    "servicefirst.remedies",
    "servicefirst.satisfaction",
    "servicefirst.culture",
    "servicefirst.ops",
    "servicefirst.privacy",
]

MIDDLEWARE = [
    # First: a request id, one log line and the Prometheus figures for every request.
    "servicefirst.ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "servicefirst.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "servicefirst.accounts.middleware.IdleTimeoutMiddleware",
    "servicefirst.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicefirst.core.middleware.RequestContextMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "servicefirst" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicefirst.accounts.context_processors.staff",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'servicefirst.sqlite3'}"
# Under ASGI every request runs in a thread of its own, so a persistent connection per thread
# piles up connections (PostgreSQL refuses the 101st): connections close after each request
# (DB_CONN_MAX_AGE=0) unless DB_POOL_MAX_SIZE turns on psycopg's pool — per web worker process,
# at most that many connections shared by its requests (Django's built-in pool support).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0"))
    )
}
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Passwords: Argon2id first; older hashes (PBKDF2, ...) still verify and are re-hashed with
# Argon2 at the next successful sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# The password policy applies whenever a password is set through a form or command (password
# change, admin, createsuperuser): at least 12 characters, letters and digits, not common,
# not close to the login or name.
PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "servicefirst.accounts.validators.CharacterClassesValidator"},
]
# django-axes must come first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions are time-limited: a counter screen left alone logs itself out.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# ...and so does one left idle: signed out after this many seconds without a request (0: never).
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))

# Guessing passwords: after AXES_FAILURE_LIMIT failed sign-ins for one login from one address,
# that login is refused from that address for AXES_COOLOFF_MINUTES (a successful sign-in resets
# the count). Unlock early in the admin (Access attempts) or with
# `servicefirst axes_reset_username LOGIN` / `servicefirst axes_reset`.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicefirst.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "servicefirst.accounts.views.client_ip"  # knows BEHIND_TLS_PROXY

# A second factor (TOTP, any authenticator app): any member of staff may enrol from their
# profile; holders of these roles must, and must enter a code after every sign-in before any
# other page (empty: nobody is required, as in the demo).
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", "administrator,compliance_auditor")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "ServiceFirst")

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "servicefirst" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)


def _package_static_dirs() -> list:
    import plotly
    import xstatic.pkg.bootstrap as xbootstrap

    return [
        BASE_DIR / "servicefirst" / "static",  # the project's own CSS/JS (servicefirst/...)
        ("bootstrap", xbootstrap.BASE_DIR),
        ("plotly", Path(plotly.__file__).parent / "package_data"),
    ]


STATICFILES_DIRS = _package_static_dirs()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = VAR_DIR / "media"

# Production hardening (see `servicefirst check --deploy`).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Django's defaults, stated: no referrer to other sites, no window sharing with other origins,
# cookies not sent on cross-site requests, and the CSRF cookie unreadable by scripts (pages send
# the token from the template, `hx-headers` on <body>).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Uploads: request bodies other than files at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (an API
# call or form bigger than that is refused with 400); files above FILE_UPLOAD_MAX_MEMORY_SIZE
# are spooled to disk. Each kind of upload has its own size limit in MB, checked with its type
# by servicefirst.core.uploads before the file is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", "2621440"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
IMPORT_MAX_UPLOAD_MB = int(os.environ.get("IMPORT_MAX_UPLOAD_MB", "512"))  # a million customers
CALL_LIST_MAX_UPLOAD_MB = int(os.environ.get("CALL_LIST_MAX_UPLOAD_MB", "20"))

# Logs go to stderr: JSON lines (LOG_FORMAT=json, the default in production) or the human
# format (LOG_FORMAT=text, the default under DEBUG / SERVICEFIRST_DEV). Every line carries the
# request id and the user id (never a name); phone numbers, identity and card numbers and
# e-mail addresses are masked before any line is written (servicefirst/ops/logs.py). One line
# per request (logger servicefirst.request) at LOG_REQUESTS_LEVEL, INFO unless set.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or (
    "text" if DEBUG or env_bool("SERVICEFIRST_DEV") else "json"
)
if LOG_FORMAT not in {"json", "text"}:
    raise RuntimeError("LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "servicefirst.ops.logs.RequestContextFilter"},
        "personal_data": {"()": "servicefirst.ops.logs.PersonalDataFilter"},
    },
    "formatters": {
        "json": {"()": "servicefirst.ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request", "personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "servicefirst.request": {"level": os.environ.get("LOG_REQUESTS_LEVEL", "INFO")},
    },
}

# Prometheus metrics at /metrics: readable from these addresses or networks, or with
# "Authorization: Bearer METRICS_TOKEN" (empty: no token accepted). Several web workers share
# their counters through PROMETHEUS_MULTIPROC_DIR (an empty directory made before the server
# starts; see deploy/README.md).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# Probes and scrapers talk plain HTTP to the process: no redirect to HTTPS for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Public bank data the demo and the models learn from (see datasets/README.md).
DATASETS_DIR = Path(os.environ.get("DATASETS_DIR", BASE_DIR / "datasets"))

# Rows per batch for imports and exports; a named constant so it is tuned in one place.
IMPORT_BATCH_SIZE = int(os.environ.get("IMPORT_BATCH_SIZE", "2000"))
# Processes validating a large import in parallel; unset: one fewer than the CPUs on machines
# with four or more (on two cores a worker only slows the main process down).
IMPORT_WORKERS = int(os.environ["IMPORT_WORKERS"]) if os.environ.get("IMPORT_WORKERS") else None

# The contact centre's telephony port: "simulator" (the embedded default: demo, training,
# benchmark), "sip" (real SIP calls through baresip; Debian package baresip-core) or "ami"
# (an Asterisk/FreePBX manager interface). Empty values take each adapter's defaults.
TELEPHONY = {
    "ADAPTER": os.environ.get("TELEPHONY_ADAPTER", "simulator"),
    "SIMULATOR": {
        "TIME_SCALE": os.environ.get("TELEPHONY_SIM_TIME_SCALE", ""),  # 0.01 = 100x faster
        "SEED": os.environ.get("TELEPHONY_SIM_SEED", ""),
        "ANSWER_RATE": os.environ.get("TELEPHONY_SIM_ANSWER_RATE", ""),  # day mean, ~0.30
    },
    "SIP": {
        "URI_TEMPLATE": os.environ.get("TELEPHONY_SIP_URI_TEMPLATE", ""),  # sip:{number}@pbx
        "DOMAIN": os.environ.get("TELEPHONY_SIP_DOMAIN", ""),
        "ACCOUNT_PARAMS": os.environ.get("TELEPHONY_SIP_ACCOUNT_PARAMS", ""),
        "SIP_LISTEN": os.environ.get("TELEPHONY_SIP_LISTEN", ""),  # host:port
        "CTRL_LISTEN": os.environ.get("TELEPHONY_SIP_CTRL_LISTEN", ""),
        "SPAWN": os.environ.get("TELEPHONY_SIP_SPAWN", ""),  # "false": baresip runs elsewhere
        "INBOUND_NUMBERS": os.environ.get("TELEPHONY_SIP_INBOUND_NUMBERS", ""),  # 95500,95501
        "ANNOUNCEMENT_URI": os.environ.get("TELEPHONY_SIP_ANNOUNCEMENT_URI", ""),
    },
    "AMI": {
        "HOST": os.environ.get("TELEPHONY_AMI_HOST", ""),
        "PORT": os.environ.get("TELEPHONY_AMI_PORT", ""),
        "USERNAME": os.environ.get("TELEPHONY_AMI_USERNAME", ""),
        "SECRET": os.environ.get("TELEPHONY_AMI_SECRET", ""),
        "CHANNEL_TEMPLATE": os.environ.get("TELEPHONY_AMI_CHANNEL_TEMPLATE", ""),
        "CONTEXT": os.environ.get("TELEPHONY_AMI_CONTEXT", ""),
        "AMD": os.environ.get("TELEPHONY_AMI_AMD", ""),
        "BRIDGE_MODE": os.environ.get("TELEPHONY_AMI_BRIDGE_MODE", ""),  # originate | redirect
        "AGENT_CHANNEL_TEMPLATE": os.environ.get("TELEPHONY_AMI_AGENT_CHANNEL_TEMPLATE", ""),
        "INBOUND_CONTEXT": os.environ.get("TELEPHONY_AMI_INBOUND_CONTEXT", ""),
    },
}

# The demo bank (`servicefirst demo`): how many service requests it plays through the services
# and how many of the remedies its history opens are worked by its staff.
DEMO_SERVICE_REQUESTS = 300
DEMO_REMEDIES_WORKED = 400

# Data retention: a customer who withdrew every consent becomes a candidate for anonymisation
# this many days later (unless under a legal hold or with an open service request).
RETENTION_GRACE_DAYS = int(os.environ.get("RETENTION_GRACE_DAYS", "30"))
# Where `servicefirst backup` writes by default.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
