"""Where an action came from (web, api, cli, task), for the audit log."""

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    user_agent: str = ""
    channel: str = "system"


_DEFAULT_ORIGIN = Origin()
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar(
    "servicefirst_origin",
    default=_DEFAULT_ORIGIN,  # noqa: B039 - Origin is frozen
)


def current_origin() -> Origin:
    return _origin.get()


@contextlib.contextmanager
def request_context(
    *, ip: str | None = None, user_agent: str = "", channel: str = "system"
) -> Iterator[Origin]:
    token = _origin.set(Origin(ip=ip, user_agent=user_agent, channel=channel))
    try:
        yield _origin.get()
    finally:
        _origin.reset(token)
