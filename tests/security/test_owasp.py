"""OWASP basics: CSRF on every form and on session-authenticated API calls, secure cookies and
headers in production, no SQL built from strings, uploads limited in size and type, no
personal data in the logs."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.core.uploads import MB, TABULAR, check_upload
from tests.security.conftest import PHONE
from tests.security.routes import API, PAGES
from tests.security.sqlscan import scan
from tests.security.walk import api_url, page_url

pytestmark = [pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.OTP_REQUIRED_ROLES = []


# --- CSRF -----------------------------------------------------------------------------------


def _is_csrf_refusal(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


@pytest.mark.parametrize("who", ["anonymous", Role.BRANCH_MANAGER])
def test_every_post_without_a_csrf_token_is_refused(sec_bank, who):
    """A forged form post (no token) is refused before any view runs: every page route, the
    public forms (login, contact form, kiosk, survey, booking) included."""
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(sec_bank.users[who])
    wrong = []
    for name, route in PAGES.items():
        url = page_url(sec_bank, name, route)
        assert url is not None, name
        response = client.post(url, {"x": "1"})
        if not _is_csrf_refusal(response):
            wrong.append(f"{name} ({url}): {response.status_code}")
    assert not wrong, "POST without a CSRF token not refused:\n" + "\n".join(wrong)


def test_a_post_with_the_token_passes_the_csrf_check(sec_bank):
    """The control for the test above: the same client with the page's token gets through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(sec_bank.users[Role.BRANCH_MANAGER])
    client.get(reverse("customers:search"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("lobby:recognise"), {"x": "1"}, HTTP_X_CSRFTOKEN=token)
    assert not _is_csrf_refusal(response)


def _api_writes():
    return [(key, route) for key, route in API.items() if not key.startswith("GET ")]


def test_session_authenticated_api_writes_need_the_csrf_token(sec_bank):
    """django-ninja checks CSRF for cookie (session) authentication (APIKeyCookie, csrf=True);
    the floor's public API checks it itself for a signed-in session."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(sec_bank.users[Role.BRANCH_MANAGER])
    wrong = []
    for key, route in _api_writes():
        url = api_url(sec_bank, key, route)
        assert url is not None, key
        method = key.split(" ", 1)[0]
        response = client.generic(
            method, url, json.dumps(route.body or {}), content_type="application/json"
        )
        if response.status_code in route.ok:
            continue  # unreachable (see routes.py)
        if response.status_code != 403 or b"CSRF" not in response.content.upper():
            wrong.append(f"{key}: {response.status_code} {response.content[:120]!r}")
    assert not wrong, "session API write without a CSRF token not refused:\n" + "\n".join(wrong)


def test_token_authenticated_api_writes_need_no_csrf_token(sec_bank):
    """Bearer tokens are not sent by browsers on their own, so they need no CSRF token."""
    staff = sec_bank.staff[Role.BRANCH_MANAGER]
    bearer = token_create(staff=staff, name="csrf test")
    client = Client(enforce_csrf_checks=True)
    wrong = []
    for key, route in _api_writes():
        url = api_url(sec_bank, key, route)
        method = key.split(" ", 1)[0]
        response = client.generic(
            method,
            url,
            json.dumps(route.body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bearer}",
        )
        if b"CSRF" in response.content.upper() or response.status_code == 401:
            wrong.append(f"{key}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


# --- production settings: secure cookies and headers ---------------------------------------

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-like-" + "k3y-0f-f1fty-ch4rs-w1th-v4r13ty-" * 2,
    "FIELD_ENCRYPTION_KEY": "prod-like-field-key",
    "ALLOWED_HOSTS": "servicefirst.bank.example",
    "CSRF_TRUSTED_ORIGINS": "https://servicefirst.bank.example",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
}


def test_production_settings_pass_check_deploy(tmp_path):
    """`manage.py check --deploy` with the environment README.md asks production to set:
    no warning at all (secure cookies, HSTS, SSL redirect, X-Frame-Options, ...)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DJANGO_SETTINGS_MODULE", "SERVICEFIRST_DEV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(PRODUCTION_ENV, SERVICEFIRST_VAR_DIR=str(tmp_path))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', "
            "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
            "'SECURE_SSL_REDIRECT', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', "
            "'SECURE_REFERRER_POLICY', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', "
            "'DEBUG')}))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    values = json.loads(probe.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "DEBUG": False,
    }


@override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    AXES_ENABLED=False,
)
def test_responses_carry_the_security_headers_and_secure_cookies(sec_bank):
    # given: the settings production sets, over HTTPS
    from django.contrib.auth import get_user_model

    # a fresh copy: the bank's user objects are shared by the whole package
    user = get_user_model().objects.get(pk=sec_bank.users[Role.TELLER].pk)
    user.set_password("Counter-2026-secure!")
    user.save()
    client = Client()

    # when: the login page is shown and the login form is posted
    page = client.get(reverse("login"), secure=True)
    login = client.post(
        reverse("login"),
        {"username": user.username, "password": "Counter-2026-secure!"},
        secure=True,
    )

    # then
    assert page.status_code == 200
    for response in (page, login):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "max-age=31536000" in response["Strict-Transport-Security"]
        assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert login.status_code == 302, login.status_code
    session = login.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"


# --- no SQL built from strings ----------------------------------------------------------------

# Reviewed: every one of these builds SQL from table and column names of our own models (or
# constants), compiled querysets (`query.sql_with_params()`) and "%s" placeholders; every value
# goes in as a parameter. (file, function) → why it is safe.
SQL_ALLOWED = {
    # The commitments engine: table names from model metadata, values as parameters.
    (
        "servicefirst/commitments/engine.py",
        "Store.attain",
    ): "table/columns from Case/AttainmentDay _meta",
    (
        "servicefirst/commitments/engine.py",
        "PostgresStore._events",
    ): "where-clause built from constants, values as params",
    (
        "servicefirst/commitments/engine.py",
        "PostgresStore.cases_of",
    ): "Case._meta.db_table, MemCase.FIELDS; ANY(%s)",
    (
        "servicefirst/commitments/engine.py",
        "PostgresStore.update",
    ): "Case._meta columns; values as params",
    (
        "servicefirst/commitments/engine.py",
        "PostgresStore.case_ids",
    ): "Case._meta.db_table; values as params",
    (
        "servicefirst/commitments/engine.py",
        "PostgresStore.attain",
    ): "AttainmentDay._meta; values as params",
    (
        "servicefirst/commitments/engine.py",
        "Engine._analyze_if_grown",
    ): "ANALYZE <Case._meta.db_table>",
    # The customer importer: quoted model table/column names, "%s" placeholders.
    (
        "servicefirst/customers/importing.py",
        "fast_insert",
    ): "quote_name(model table/columns); placeholders",
    (
        "servicefirst/customers/importing.py",
        "_Importer._resolve_and_spool",
    ): "quoted Customer table; _in() placeholders",
    (
        "servicefirst/customers/importing.py",
        "_Importer._write_batch",
    ): "quoted Customer table; _in() placeholders",
    # The import benchmark command: constant table/schema names and model metadata only.
    (
        "servicefirst/customers/management/commands/bench.py",
        "_empty_customer_tables",
    ): "constants, model _meta",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_raw_load",
    ): "RAW_TABLE constant; placeholders",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_drop_indexed_copy",
    ): "COPY_SCHEMA/COPY_PREFIX constants, _meta",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_create_indexed_copy",
    ): "constants, model _meta",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_indexed_copy",
    ): "constants, model _meta; placeholders",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_raw_derive",
    ): "constants, model _meta",
    ("servicefirst/customers/management/commands/bench.py", "_analyze"): "ANALYZE <model table>",
    (
        "servicefirst/customers/management/commands/bench.py",
        "_time_scan",
    ): "fixed benchmark queries; pattern as a parameter",
    # The floor demo's bulk insert: quoted model table/columns, placeholders.
    ("servicefirst/floor/demo.py", "_insert"): "quote_name(model table/columns); placeholders",
    # Insight: compiled querysets wrapped in aggregates; constants; values as params.
    (
        "servicefirst/insights/selectors.py",
        "funnel",
    ): "compiled queryset + constant CASE sums; params",
    (
        "servicefirst/insights/selectors.py",
        "funnel_customer_ids",
    ): "compiled queryset; DRILL_LIMIT constant; params",
    (
        "servicefirst/insights/services.py",
        "_classify_rows",
    ): "compiled rule plan (whitelisted fields), table from _meta; params",
    (
        "servicefirst/insights/services.py",
        "metrics_refresh",
    ): "compiled queryset, CustomerMetrics._meta; params",
    # Backups: counts rows of the product's own (quoted) tables.
    ("servicefirst/ops/backup.py", "_read_state"): "quoted names of the model tables",
}


def test_no_sql_is_built_from_strings_outside_the_reviewed_places():
    findings = scan(ROOT)
    unreviewed = [f for f in findings if f.key not in SQL_ALLOWED]
    assert not unreviewed, (
        "SQL built from strings (use parameters, or review and add to SQL_ALLOWED):\n"
        + "\n".join(f"{f.path}:{f.line} {f.function} .{f.call}()" for f in unreviewed)
    )
    stale = set(SQL_ALLOWED) - {f.key for f in findings}
    assert not stale, f"SQL_ALLOWED lists places that no longer build SQL: {sorted(stale)}"


def test_the_sql_scan_finds_what_it_should(tmp_path):
    """The scanner itself: an f-string, a %-format, a concatenation and a variable built so
    are found; constants and parameters are not."""
    package = tmp_path / "servicefirst"
    package.mkdir()
    (package / "bad.py").write_text(
        "def a(cursor, name):\n"
        "    cursor.execute(f'SELECT * FROM t WHERE name = {name}')\n"
        "def b(cursor, name):\n"
        "    cursor.execute('SELECT * FROM t WHERE name = %s' % name)\n"
        "def c(qs, name):\n"
        "    qs.raw('SELECT * FROM t WHERE name = ' + name)\n"
        "def d(cursor, name):\n"
        "    sql = 'SELECT * FROM t WHERE name = {}'.format(name)\n"
        "    cursor.execute(sql)\n"
        "def e(qs, name):\n"
        "    qs.extra(where=[f\"name = '{name}'\"])\n"
        "def ok(cursor, name):\n"
        "    cursor.execute('SELECT * FROM t WHERE name = %s', [name])\n"
        "    cursor.execute('SELECT 1 ' 'FROM t')\n"
    )
    found = {f.function for f in scan(tmp_path, packages=("servicefirst",))}
    assert found == {"a", "b", "c", "d", "e"}


# --- uploads: size and type -------------------------------------------------------------------


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["客户号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("customers.csv", "姓名,手机\n张三,13800138000\n".encode(), None),
        ("customers.txt", "姓名,手机\n张三,13800138000\n".encode("gb18030"), None),
        ("customers.csv", "\ufeff姓名\n".encode("utf-16"), None),
        ("customers.xlsx", _xlsx_bytes(), None),
        ("customers.exe", b"MZ\x90\x00", "wrong_type"),
        ("customers.pdf", b"%PDF-1.7", "wrong_type"),
        ("customers", b"a,b\n", "wrong_type"),
        ("customers.xlsx", b"name,phone\n", "wrong_content"),
        ("customers.csv", _xlsx_bytes(), "wrong_content"),
        ("customers.csv", b"MZ\x90\x00\x03\x00\x00\x00", "wrong_content"),
        ("customers.csv", b"a,b\n\x00\x00\x00", "wrong_content"),
        ("customers.csv", b"x" * (MB + 1), "too_big"),
    ],
)
def test_upload_check(name, content, code):
    from django.core.exceptions import ValidationError

    upload = _upload(name, content)
    if code is None:
        check_upload(upload, suffixes=TABULAR, max_mb=1)
        assert upload.read(1) == content[:1]  # left at the start for the importer
        return
    with pytest.raises(ValidationError) as caught:
        check_upload(upload, suffixes=TABULAR, max_mb=1)
    assert caught.value.code == code


def test_every_upload_form_checks_size_and_type():
    """Every file field of every form carries the shared check (found by walking the forms of
    the apps), so a new upload cannot forget it."""
    import importlib
    import inspect

    from django import forms

    from servicefirst.core.uploads import UploadValidator

    fields = []
    for path in sorted((ROOT / "servicefirst").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "FileField" not in text and "ImageField" not in text:
            continue
        module = importlib.import_module(".".join(rel.with_suffix("").parts))
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                for field_name, field in cls.base_fields.items():
                    if isinstance(field, forms.FileField):
                        fields.append((f"{cls.__module__}.{cls.__name__}.{field_name}", field))
    assert len(fields) >= 2, fields
    for label, field in fields:
        assert any(isinstance(v, UploadValidator) for v in field.validators), label
    # Model file fields would be stored uploads; there are none (the importers read and delete).
    from django.apps import apps
    from django.db import models

    stored = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        if m._meta.app_label in {"core", "accounts"} or m.__module__.startswith("servicefirst")
        for f in m._meta.get_fields()
        if isinstance(f, models.FileField)
    ]
    assert stored == []


@override_settings(IMPORT_MAX_UPLOAD_MB=1)
def test_customer_import_refuses_a_too_big_file_and_a_wrong_type(sec_bank):
    from servicefirst.customers.models import ImportJob

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages below, in English
    client.force_login(sec_bank.users[Role.BACK_OFFICE])
    jobs = ImportJob.objects.count()
    url = reverse("customers:import")

    big = client.post(url, {"mapping": "customers", "file": _upload("big.csv", b"x" * (MB + 10))})
    wrong = client.post(url, {"mapping": "customers", "file": _upload("list.pdf", b"%PDF-1.7")})
    fake = client.post(url, {"mapping": "customers", "file": _upload("list.xlsx", b"a,b\n")})

    assert big.status_code == 200
    assert "at most 1 MB can be uploaded here" in big.content.decode()
    assert wrong.status_code == 200
    assert "cannot be uploaded here" in wrong.content.decode()
    assert fake.status_code == 200
    assert "not an XLSX workbook" in fake.content.decode()
    assert ImportJob.objects.count() == jobs


@override_settings(CALL_LIST_MAX_UPLOAD_MB=1)
def test_call_list_upload_refuses_a_too_big_file_and_a_wrong_type(sec_bank):
    from servicefirst.dialer.models import CallListEntry

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages below, in English
    client.force_login(sec_bank.users[Role.CC_SUPERVISOR])
    campaign_id = sec_bank.ids["campaign"]
    entries = CallListEntry.objects.filter(campaign_id=campaign_id).count()
    url = reverse("dialer:entries_file", kwargs={"campaign_id": campaign_id})

    big = client.post(url, {"file": _upload("big.csv", b"x" * (MB + 10))}, follow=True)
    wrong = client.post(url, {"file": _upload("list.exe", b"MZ\x90\x00")}, follow=True)

    assert "at most 1 MB can be uploaded here" in big.content.decode()
    assert "cannot be uploaded here" in wrong.content.decode()
    assert CallListEntry.objects.filter(campaign_id=campaign_id).count() == entries


def test_request_bodies_are_limited(sec_bank):
    """A request body (other than files) over DATA_UPLOAD_MAX_MEMORY_SIZE is refused."""
    from django.conf import settings

    client = Client()
    client.force_login(sec_bank.users[Role.BRANCH_MANAGER])
    body = json.dumps({"q": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post("/api/customers", body, content_type="application/json")
    assert response.status_code == 400


# --- no personal data in the logs -------------------------------------------------------------


def _configured_handlers():
    return [h for h in logging.getLogger().handlers if not type(h).__module__.startswith("_pytest")]


def test_no_phone_or_id_number_in_the_logs(sec_bank, caplog, tmp_path):
    """A customer search by phone and by identity number, the Customer 360, a reveal and an
    import, with every logger at DEBUG and the SQL logged: what the configured handlers would
    write holds neither the phone nor the identity number."""
    from servicefirst.customers.importing import import_customers

    customer = sec_bank.customer
    auditor = sec_bank.users[Role.COMPLIANCE_AUDITOR]
    client = Client()
    client.force_login(auditor)
    new_phone, new_id = "13987654321", sec_bank.id_number[:-4] + "0000"
    source = tmp_path / "customers.csv"
    source.write_text(f"姓名,手机\n日志测,{new_phone}\n", encoding="utf-8")

    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        client.get(reverse("customers:search"), {"q": PHONE})
        client.get(reverse("customers:search"), {"q": sec_bank.id_number})
        client.get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
        client.post(
            reverse("customers:reveal", kwargs={"customer_id": customer.pk, "field": "phones"})
        )
        client.get(f"/api/customers/{customer.pk}")
        client.get("/api/customers", {"q": PHONE})
        import_customers(actor=sec_bank.users[Role.BACK_OFFICE], path=source)
        logging.getLogger("servicefirst.security.test").warning(
            "customer %s called from %s", sec_bank.id_number, PHONE
        )
    finally:
        connection.force_debug_cursor = False

    handlers = _configured_handlers()
    assert handlers, "no log handler configured (settings.LOGGING)"
    assert caplog.records
    leaked = []
    for record in caplog.records:
        for handler in handlers:
            if not handler.filter(record):
                continue
            line = handler.format(record)
            squeezed = re.sub(r"[\s\-]", "", line)
            for secret in (PHONE, sec_bank.id_number, new_phone, new_id):
                if secret in squeezed:
                    leaked.append(f"{record.name}: {line[:200]}")
    assert not leaked, "personal data written to the log:\n" + "\n".join(leaked[:20])
