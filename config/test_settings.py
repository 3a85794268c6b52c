"""Settings for the test suite: the same settings module, with a test key and fast hashing.
The database still comes from DATABASE_URL (PostgreSQL in CI) or the SQLite default."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-servicefirst-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "test-only-field-key")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests read in English by default (messages are asserted as written in the code); the product
# default, Chinese, is exercised by tests that ask for it (staff language, the switcher).
LANGUAGE_CODE = "en"

# Live pages are tested through the real Redis channel layer (as in production), and on SQLite
# through a test database file, so that a separate ASGI server thread shares it.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [TEST_REDIS_URL], "prefix": f"sf-test-{os.getpid()}"},
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("SQLITE_TEST_NAME") or str(VAR_DIR / f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }

# The demo's month of inbound call history (31k calls) is tested by the staffing app itself;
# the many small demo loads of the test suite leave it out.
DEMO_INBOUND_HISTORY = False
# Likewise the service promise's demo: fewer service requests played through the services and
# fewer remedies worked (the full figures are tested by those apps' own demo tests).
DEMO_SERVICE_REQUESTS = 40
DEMO_REMEDIES_WORKED = 30

# Staff sign-in hardening is off for the suite (its own tests turn each part on): the test
# client's login() authenticates without a request, which django-axes refuses while enabled;
# and the suite's administrators and auditors sign in with a password only.
AXES_ENABLED = False
OTP_REQUIRED_ROLES = []
