import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler
from django.test import override_settings

from servicefirst.ops import checks

CHECKS = {"database", "migrations", "cache", "channel_layer", "task_queue"}


def test_healthz_answers_anonymous_without_the_database(client):
    # given: no database access allowed in this test (pytest-django refuses it)
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["X-Request-ID"]


def test_healthz_answers_head(client):
    assert client.head("/healthz").status_code == 200


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_lists_every_check_and_is_ok(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["status"] == "ok" for check in body["checks"].values())
    # the suite's channel layer is the real Redis
    assert body["checks"]["channel_layer"]["detail"] == "redis"
    assert body["checks"]["database"]["detail"] == connection.vendor


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_redis_is_unreachable(client, closed_port):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0", CACHES=unreachable):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["cache"] == {
        "status": "fail",
        "detail": "ConnectionError",
        "duration_ms": body["checks"]["cache"]["duration_ms"],
    }
    assert body["checks"]["database"]["status"] == "ok"
    # the failure names the kind of error, not the host
    assert str(closed_port) not in response.content.decode()


@pytest.mark.django_db
def test_readyz_is_503_when_the_channel_layer_is_unreachable(client, closed_port):
    layer = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layer):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["status"] == "fail"
    assert response.json()["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_not_applied(client):
    # given: the database forgets one applied migration (rolled back after the test)
    recorder = MigrationRecorder.Migration.objects
    latest = recorder.filter(app="core").order_by("-id").first()
    recorder.filter(pk=latest.pk).delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert migrations["status"] == "fail"
    assert migrations["detail"] == f"1 pending, first core.{latest.name}"


@pytest.mark.django_db
def test_database_check_fails_on_an_unreachable_server(closed_port):
    # given: a real PostgreSQL connection to a port nothing listens on
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": str(closed_port),
                "NAME": "sf_ops_unreachable",
                "USER": "postgres",
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    unreachable = handler["default"]
    try:
        # when
        result = checks.run_check("database", lambda: checks.database_check(unreachable))
    finally:
        unreachable.close()
    # then
    assert result.status == "fail"
    assert result.detail == "OperationalError"


def test_pending_migrations_counts_a_squash_whose_replaced_migrations_are_applied():
    expected = (
        (("a", "0001_initial"), ()),
        (("a", "0002_squashed_0004"), (("a", "0002_x"), ("a", "0003_y"), ("a", "0004_z"))),
        (("b", "0001_initial"), ()),
    )
    replaced = {("a", "0002_x"), ("a", "0003_y"), ("a", "0004_z")}

    assert checks.pending_migrations(expected, {("a", "0001_initial"), ("b", "0001_initial")}) == [
        ("a", "0002_squashed_0004")
    ]
    assert (
        checks.pending_migrations(
            expected, {("a", "0001_initial"), ("b", "0001_initial")} | replaced
        )
        == []
    )
    assert checks.pending_migrations(expected, set()) == [
        ("a", "0001_initial"),
        ("a", "0002_squashed_0004"),
        ("b", "0001_initial"),
    ]
