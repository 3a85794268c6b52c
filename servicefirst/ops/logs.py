"""Structured logs without personal data.

config/settings.py wires these into LOGGING: every record that reaches the console handler
(stderr) first passes `RequestContextFilter` (adds the request id and the user id of the
request being served) and `PersonalDataFilter` (masks phone numbers, PRC identity numbers,
bank card numbers and e-mail addresses in the message, its arguments, extra string fields and
the traceback), then `JsonFormatter` writes one JSON object per line (LOG_FORMAT=json, the
production default) or the human format writes a line of text (development).

This module is imported while logging is configured, before the apps are loaded: it imports
nothing that needs the app registry.
"""

import contextlib
import contextvars
import datetime
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.functional import empty

# --- the request being served ------------------------------------------------------------------


@dataclass
class RequestInfo:
    request_id: str
    request: Any = None  # the HttpRequest; read only for a user already resolved


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "servicefirst_log_request", default=None
)


@contextlib.contextmanager
def request_scope(request_id: str, request: Any = None) -> Iterator[RequestInfo]:
    """Within the block, every log record carries this request's id (and its user's id)."""
    token = _current.set(RequestInfo(request_id=request_id, request=request))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


def user_id_of(request: Any) -> int | None:
    """The authenticated user's id, only when the request already knows it: reading it never
    costs a query (a session lookup) nor recurses into logging from the database layer."""
    attributes = getattr(request, "__dict__", None)  # django.server passes a socket
    if not attributes:
        return None
    user = attributes.get("user")
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject until something read it
    if wrapped is not None and wrapped is not empty and getattr(wrapped, "is_authenticated", False):
        return wrapped.pk
    auth = attributes.get("auth")  # django-ninja's bearer-token user
    if auth is not None and getattr(auth, "is_authenticated", False):
        return getattr(auth, "pk", None)
    return None


class RequestContextFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) and `user_id` (None when anonymous or unknown)
    to every record, unless the record already carries them."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _current.get()
        # Django logs 4xx/5xx responses (django.request) after the middleware has returned,
        # passing the request along: its id is on it.
        request = info.request if info else getattr(record, "request", None)
        if not hasattr(record, "request_id"):
            if info:
                record.request_id = info.request_id
            else:
                record.request_id = getattr(request, "request_id", None) or "-"
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_of(request) if request is not None else None
        return True


# --- personal data -----------------------------------------------------------------------------

# Neither side of a match may touch a letter or digit, so numbers inside longer tokens (request
# numbers like SR2026112900001, hashes, UUIDs) are left alone.
_B = r"(?<![0-9A-Za-z])"
_E = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"(?<![\w.%+-])([\w.%+-]+)@((?:[\w-]+\.)+[A-Za-z]{2,})(?![\w-])")
# PRC resident identity numbers (18 characters, the last may be X; the old 15 digits) and bank
# card numbers (16-19 digits): one rule, 15 to 19 characters.
_LONG_NUMBER = re.compile(_B + r"\d{14,18}[\dXx]" + _E)
# Mainland mobiles, optionally +86 / 86, with spaces or hyphens: 13800138000, +86 138-0013-8000.
_MOBILE = re.compile(_B + r"(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})" + _E)
# Landlines with their area code: 010-12345678, 0755 8765 4321, +86 21 6123 4567.
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+?86[ -]?0?[1-9]\d{1,2}|0[1-9]\d{1,2})[ -]\d{3,4}[ -]?\d{4}" + _E
)
# Any other international number in E.164 form: +44 20 7946 0958 is not matched (spaces), but
# +442079460958 is.
_E164 = re.compile(r"(?<![0-9A-Za-z+])\+[1-9]\d{7,14}" + _E)


def _keep_last4(text: str) -> str:
    digits = re.sub(r"[^\dXx]", "", text)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_personal_data(text: str) -> str:
    """The text with personal data masked the way the pages mask it: 138****8000,
    **************123X, z***@example.com."""
    if not text:
        return text
    text = _EMAIL.sub(lambda m: f"{m.group(1)[:1]}***@{m.group(2)}", text)
    text = _LONG_NUMBER.sub(lambda m: _keep_last4(m.group(0)), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: "****" + re.sub(r"\D", "", m.group(0))[-4:], text)
    return _E164.sub(lambda m: "****" + m.group(0)[-4:], text)


# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the record before any formatter sees it: the message with its
    arguments (merged into one string), every string passed with `extra=`, the traceback and
    the stack. Attached to the handler, so records of every logger pass through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string still must not leak its arguments
            message = f"{record.msg!s} {record.args!r}"
        record.msg = mask_personal_data(message)
        record.args = None
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                record.__dict__[key] = mask_personal_data(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


# --- formats -----------------------------------------------------------------------------------

_JSON_SCALARS = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    user_id, then the record's `extra=` fields that are plain values (a request log line adds
    method, path, view, status and duration_ms), then `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key in out:
                continue
            if isinstance(value, _JSON_SCALARS):
                out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)
