"""Readiness: can this process serve? Each check is a small real round trip — the database
answers and has every migration applied, the cache and the channel layer (Redis when
REDIS_URL is set) answer, the task queue's table answers. A failure names only the kind of
error, never a host, a password or any data.

Liveness (/healthz) runs none of this: it only shows the process answers.
"""

import functools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

# Seconds a Redis server may take to accept a connection or answer PING.
REDIS_TIMEOUT_S = 2.0

OK, FAIL = "ok", "fail"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "ok" | "fail"
    detail: str = ""
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == OK

    def as_dict(self) -> dict:
        out: dict = {"status": self.status, "duration_ms": self.duration_ms}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class Readiness:
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict:
        return {
            "status": OK if self.ok else FAIL,
            "checks": {check.name: check.as_dict() for check in self.checks},
        }


class CheckFailed(Exception):
    """A failure whose message is safe to show (it names no host and holds no data)."""


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Runs one check; its return value is a short detail. A failure is named by the class of
    its exception (messages can hold connection strings), or by a CheckFailed's message."""
    started = time.perf_counter()
    try:
        detail, status = check(), OK
    except CheckFailed as exc:
        detail, status = str(exc), FAIL
    except Exception as exc:
        detail, status = type(exc).__name__, FAIL
    return CheckResult(
        name=name,
        status=status,
        detail=detail,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


# --- database ----------------------------------------------------------------------------------


def database_check(connection: BaseDatabaseWrapper | None = None) -> str:
    connection = connection or connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


@functools.cache
def expected_migrations() -> tuple[tuple[tuple[str, str], tuple[tuple[str, str], ...]], ...]:
    """Every migration of the code, once per process (reading them from disk is the costly
    part): (app, name) and, for a squashed migration, the migrations it replaces."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return tuple(
        (key, tuple(tuple(r) for r in (graph.nodes[key].replaces or ())))
        for key in sorted(graph.nodes)
    )


def pending_migrations(expected, applied: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The expected migrations not applied; a squashed one counts as applied when every
    migration it replaces is."""
    return [
        key
        for key, replaces in expected
        if key not in applied and not (replaces and all(r in applied for r in replaces))
    ]


def migrations_check(connection: BaseDatabaseWrapper | None = None) -> str:
    connection = connection or connections[DEFAULT_DB_ALIAS]
    applied = set(MigrationRecorder(connection).applied_migrations())
    pending = pending_migrations(expected_migrations(), applied)
    if pending:
        app, name = pending[0]
        raise CheckFailed(f"{len(pending)} pending, first {app}.{name}")
    return f"{len(applied)} applied"


# --- Redis, cache and channel layer ------------------------------------------------------------


def redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    finally:
        client.close()


def _redis_locations(location) -> list[str]:
    if isinstance(location, str):
        return [part for part in re.split("[;,]", location) if part]
    return list(location or [])


def cache_check() -> str:
    config = settings.CACHES["default"]
    if "redis" in config["BACKEND"].lower():
        # The primary only (writes go there); with timeouts, so a dead host cannot hang us.
        redis_ping(_redis_locations(config.get("LOCATION"))[0])
        return "redis"
    cache = caches["default"]
    key, token = "servicefirst:ops:readyz", secrets.token_hex(8)
    cache.set(key, token, 10)
    if cache.get(key) != token:
        raise CheckFailed("the cache did not return the value just stored")
    cache.delete(key)
    return config["BACKEND"].rsplit(".", 1)[-1]


def _channel_layer_urls(config: dict) -> list[str]:
    urls = []
    for host in config.get("CONFIG", {}).get("hosts", []):
        if isinstance(host, dict):
            host = host.get("address", "")
        if isinstance(host, list | tuple):
            host = f"redis://{host[0]}:{host[1]}"
        if host:
            urls.append(host)
    return urls


def channel_layer_check() -> str:
    config = settings.CHANNEL_LAYERS.get("default", {})
    backend = config.get("BACKEND", "")
    if "channels_redis" not in backend:
        return backend.rsplit(".", 1)[-1] or "none"
    urls = _channel_layer_urls(config)
    if not urls:
        raise CheckFailed("the Redis channel layer names no host")
    for url in urls:
        redis_ping(url)
    return "redis"


# --- task queue --------------------------------------------------------------------------------


def task_queue_check() -> str:
    """The task backend can be reached: for the database backend, its table answers."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import task_backends
    from django_tasks_db.models import DBTaskResult

    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        return type(backend).__name__
    list(DBTaskResult.objects.order_by().values_list("pk", flat=True)[:1])
    return "database"


# --- all of them -------------------------------------------------------------------------------


def readiness() -> Readiness:
    database = run_check("database", database_check)
    checks = [
        database,
        run_check("migrations", migrations_check)
        if database.ok
        else CheckResult("migrations", FAIL, "database unavailable"),
        run_check("cache", cache_check),
        run_check("channel_layer", channel_layer_check),
        run_check("task_queue", task_queue_check)
        if database.ok
        else CheckResult("task_queue", FAIL, "database unavailable"),
    ]
    return Readiness(checks=checks)
