import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.ops.logs import (
    JsonFormatter,
    PersonalDataFilter,
    RequestContextFilter,
    mask_personal_data,
)

PHONE, ID_NUMBER, EMAIL = "13800138000", "11010519491231002X", "zhang.san@example.com"


@pytest.fixture
def json_lines():
    """The console handler's pipeline (request context, personal-data mask, JSON) writing into
    a buffer: yields a function returning the lines written so far, parsed."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(PersonalDataFilter())
    loggers = [
        logging.getLogger("servicefirst.request"),
        logging.getLogger("servicefirst.ops.test"),
        logging.getLogger("django.request"),
    ]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("servicefirst.ops.test").setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)
    logging.getLogger("servicefirst.ops.test").setLevel(logging.NOTSET)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 13800138000 now", "call 138****8000 now"),
        ("call +8613800138000", "call 138****8000"),
        ("call +86 138-0013-8000.", "call 138****8000."),
        ("电话13912345678请回电", "电话139****5678请回电"),
        ("id 11010519491231002X ok", "id **************002X ok"),
        ("old id 110105491231002", "old id ***********1002"),
        ("card 6222021234567890123", "card ***************0123"),
        ("mail zhang.san@example.com.", "mail z***@example.com."),
        ("tel 010-12345678", "tel ****5678"),
        ("tel 0755 8765 4321", "tel ****4321"),
        ("tel +442079460958", "tel ****0958"),
    ],
)
def test_mask_personal_data(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "request SR2026112900001 opened",
        "2026-11-29 06:40:00.123",
        "task 3f2c1e9a-5b7d-4c1e-9a0b-1234567890ab",
        "took 1732860000 s, 37.5 ms, 200 rows",
        "GET /customers/42/ 200",
    ],
)
def test_mask_personal_data_leaves_other_text_alone(text):
    assert mask_personal_data(text) == text


def test_log_record_with_personal_data_is_written_masked(json_lines):
    # given
    log = logging.getLogger("servicefirst.ops.test")
    # when: personal data in the message, its arguments, an extra field and an exception
    try:
        raise ValueError(f"no customer with phone {PHONE}")
    except ValueError:
        log.exception(
            "customer %s, id %s, mail %s",
            PHONE,
            ID_NUMBER,
            EMAIL,
            extra={"note": f"wrote from {EMAIL}", "rows": 3},
        )
    # then
    (line,) = json_lines()
    raw = json.dumps(line, ensure_ascii=False)
    for secret in (PHONE, ID_NUMBER, EMAIL, "zhang.san"):
        assert secret not in raw
    assert line["message"] == "customer 138****8000, id **************002X, mail z***@example.com"
    assert line["note"] == "wrote from z***@example.com"
    assert line["rows"] == 3
    assert "ValueError: no customer with phone 138****8000" in line["exception"]
    assert line["level"] == "ERROR"
    assert line["logger"] == "servicefirst.ops.test"
    assert line["request_id"] == "-"
    assert line["user_id"] is None
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_request_log_line(client, json_lines):
    # given: a signed-in member of staff
    staff = make_staff()
    client.force_login(staff.user)
    # when: a request whose query string and header carry personal data
    response = client.get(f"/healthz?phone={PHONE}", HTTP_X_REQUEST_ID="edge-req-0001")
    # then: one line with the request's id, the user's id (not name), path, status, duration
    (line,) = [entry for entry in json_lines() if entry["logger"] == "servicefirst.request"]
    assert response["X-Request-ID"] == "edge-req-0001"
    assert line["request_id"] == "edge-req-0001"
    assert line["user_id"] == staff.user.pk
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["view"] == "ops:healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert set(line) >= {"time", "level", "logger", "message"}
    raw = json.dumps(line, ensure_ascii=False)
    assert PHONE not in raw
    assert staff.user.username not in raw


@pytest.mark.django_db
def test_request_id_is_made_when_the_client_sends_none_or_a_bad_one(client, json_lines):
    first = client.get("/healthz")
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert len(first["X-Request-ID"]) == 32
    assert second["X-Request-ID"] != "bad id\nwith newline"
    assert [line["request_id"] for line in json_lines()] == [
        first["X-Request-ID"],
        second["X-Request-ID"],
    ]


@pytest.mark.django_db
def test_api_token_requests_log_the_token_user(client, json_lines):
    staff = make_staff()
    token = token_create(staff=staff, name="ops test")

    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    (line,) = [entry for entry in json_lines() if entry["logger"] == "servicefirst.request"]
    assert line["user_id"] == staff.user.pk
    assert line["path"] == "/api/me"


@pytest.mark.django_db
def test_djangos_own_error_lines_carry_the_request_id(client, json_lines):
    # Django logs 4xx/5xx (logger django.request) once the middleware has returned
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403
    (line,) = [entry for entry in json_lines() if entry["logger"] == "django.request"]
    assert line["message"] == "Forbidden: /metrics"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["status_code"] == 403


def _log_in_process(log_format: str) -> str:
    """What a fresh process configured by the settings writes to stderr for one warning."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "LOG_FORMAT": log_format}
    code = (
        "import django, logging; django.setup(); "
        f"logging.getLogger('servicefirst.ops.test').warning('callback to %s', '{PHONE}')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr


def test_settings_write_json_lines_to_stderr_masked():
    output = _log_in_process("json").splitlines()
    (line,) = [json.loads(raw) for raw in output if raw.startswith("{")]

    assert line["message"] == "callback to 138****8000"
    assert line["level"] == "WARNING"
    assert line["logger"] == "servicefirst.ops.test"
    assert line["request_id"] == "-"


def test_settings_write_the_human_format_masked():
    output = _log_in_process("text")

    assert "WARNING servicefirst.ops.test [-] callback to 138****8000" in output
    assert PHONE not in output
