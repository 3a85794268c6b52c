"""ServiceFirst settings. Every value comes from the environment; nothing else reads os.environ.

Without DATABASE_URL the product runs on a SQLite file under var/ (the embedded default).
"""

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
    "django_tasks_db",
    "servicefirst.core",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servicefirst.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicefirst.core.middleware.RequestContextMiddleware",
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
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions are time-limited: a counter screen left alone logs itself out.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

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
