import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.parser import text_string_to_metric_families

from servicefirst.accounts.tests.factories import UnitFactory
from servicefirst.dialer.models import Call
from servicefirst.ops import metrics, system_checks
from servicefirst.remedies.tests.factories import breach, version

pytestmark = pytest.mark.django_db


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a text exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def scrape(client, **extra) -> dict:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())


def healthz_count(figures: dict) -> float:
    key = (
        "servicefirst_http_requests_total",
        (("method", "GET"), ("status", "200"), ("view", "ops:healthz")),
    )
    return figures.get(key, 0.0)


def _task(status: str, *, enqueued: datetime.datetime, started=None, finished=None, run_after=None):
    row = DBTaskResult.objects.create(
        task_path="servicefirst.floor.tasks.mark_missed_appointments",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=status, enqueued_at=enqueued, started_at=started, finished_at=finished
    )


def _call(n: int, *, outcome: str, at, connected=False, inbound=False) -> None:
    """An ended call; an inbound caller counts as answered only once an agent takes the call."""
    Call.objects.create(
        direction=Call.Direction.INBOUND if inbound else Call.Direction.OUTBOUND,
        mode=Call.Mode.INBOUND if inbound else Call.Mode.PREDICTIVE,
        state=Call.State.ENDED,
        outcome=outcome,
        dial_key=f"ops-test-{n}",
        dialed_at=at,
        answered_at=at if connected or not inbound else None,
        connected_at=at if connected else None,
    )


def test_metrics_show_requests_and_the_operational_figures(client):
    # given: requests answered, a breached case today and one still unresolved, tasks waiting
    # and finished, calls abandoned and connected today
    before = healthz_count(scrape(client))
    for _ in range(3):
        client.get("/healthz")

    now = timezone.now()
    unit = UnitFactory()
    promise = version(unit)
    breach(promise, unit=unit, at=now)  # resolved later (stopped_at set by the factory)
    unresolved = breach(promise, unit=unit, at=now - datetime.timedelta(days=3))
    type(unresolved).objects.filter(pk=unresolved.pk).update(stopped_at=None)

    _task("READY", enqueued=now - datetime.timedelta(seconds=30))
    _task("READY", enqueued=now, run_after=now + datetime.timedelta(hours=1))
    _task("RUNNING", enqueued=now, started=now)
    _task(
        "SUCCESSFUL",
        enqueued=now - datetime.timedelta(seconds=10),
        started=now - datetime.timedelta(seconds=7),
        finished=now - datetime.timedelta(seconds=5),
    )

    _call(1, outcome="abandoned", at=now)
    _call(2, outcome="answered", at=now, connected=True)
    _call(3, outcome="answered", at=now, connected=True)
    _call(4, outcome="abandoned", at=now, inbound=True)
    _call(5, outcome="answered", at=now, connected=True, inbound=True)

    # when
    figures = scrape(client)

    # then: requests by view, method and status, and their latency
    assert healthz_count(figures) == before + 3
    assert (
        figures[
            (
                "servicefirst_http_request_duration_seconds_count",
                (("method", "GET"), ("view", "ops:healthz")),
            )
        ]
        >= 3
    )
    # the task queue
    depth = "servicefirst_task_queue_depth"
    assert figures[(depth, (("queue", "default"), ("status", "ready")))] == 1
    assert figures[(depth, (("queue", "default"), ("status", "scheduled")))] == 1
    assert figures[(depth, (("queue", "default"), ("status", "running")))] == 1
    assert figures[("servicefirst_task_queue_oldest_ready_seconds", (("queue", "default"),))] >= 30
    assert figures[("servicefirst_task_start_latency_seconds_gcount", ())] == 1
    assert figures[("servicefirst_task_start_latency_seconds_gsum", ())] == pytest.approx(
        3, abs=0.01
    )
    assert figures[("servicefirst_task_start_latency_seconds_bucket", (("le", "2.0"),))] == 0
    assert figures[("servicefirst_task_start_latency_seconds_bucket", (("le", "5.0"),))] == 1
    # the dialer
    calls = "servicefirst_dialer_calls_today"
    assert figures[(calls, (("direction", "outbound"), ("result", "abandoned")))] == 1
    assert figures[(calls, (("direction", "outbound"), ("result", "connected")))] == 2
    assert figures[(calls, (("direction", "outbound"), ("result", "live_answered")))] == 3
    assert figures[(calls, (("direction", "outbound"), ("result", "total")))] == 3
    assert figures[(calls, (("direction", "inbound"), ("result", "abandoned")))] == 1
    assert figures[(calls, (("direction", "inbound"), ("result", "live_answered")))] == 1
    ratio = "servicefirst_dialer_abandon_ratio_today"
    assert figures[(ratio, (("direction", "outbound"),))] == pytest.approx(1 / 3)
    assert figures[(ratio, (("direction", "inbound"),))] == pytest.approx(1 / 2)
    # the commitments
    assert figures[("servicefirst_commitment_breaches_today", ())] == 1
    assert figures[("servicefirst_commitment_breaches_open", ())] == 1
    # the service desk (every active status, zero included)
    assert figures[("servicefirst_service_requests_open", (("status", "new"),))] == 0
    # every group could be read
    for group in ("tasks", "dialer", "commitments", "servicedesk"):
        assert figures[("servicefirst_metrics_collector_up", (("group", group),))] == 1


def test_metrics_refuse_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 403
    assert b"servicefirst_" not in response.content


def test_metrics_allow_ipv6_loopback_and_mapped_ipv4(client):
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200


@override_settings(METRICS_ALLOWED_IPS=["10.0.0.0/8"])
def test_metrics_allow_a_configured_network(client):
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@override_settings(METRICS_TOKEN="s3cret-metrics-token")
def test_metrics_accept_the_bearer_token_from_anywhere(client):
    far = {"REMOTE_ADDR": "203.0.113.9"}

    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **far).status_code
        == 200
    )
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 403
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-metrics-token", **far).status_code
        == 403
    )
    assert client.get("/metrics", **far).status_code == 403


@override_settings(METRICS_TOKEN="")
def test_metrics_accept_no_token_when_none_is_set(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403


def test_metrics_add_up_every_worker_process(tmp_path):
    """Several ASGI workers: each process writes its counters under PROMETHEUS_MULTIPROC_DIR and
    /metrics adds them up. Two real processes count one request each."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
    }
    code = (
        "import django; django.setup(); from servicefirst.ops import metrics; "
        "metrics.observe_request(view='ops-test:worker', method='GET', status=200, seconds=0.2)"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=settings.BASE_DIR)

    with override_settings(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)):
        figures = samples(metrics.scrape().decode())

    labels = (("method", "GET"), ("status", "200"), ("view", "ops-test:worker"))
    assert figures[("servicefirst_http_requests_total", labels)] == 2
    assert figures[("servicefirst_commitment_breaches_open", ())] == 0


def test_deploy_check_warns_when_the_metrics_directory_is_missing(tmp_path):
    with override_settings(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing")):
        assert [w.id for w in system_checks.metrics_directory(None)] == ["ops.W001"]
    with override_settings(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)):
        assert system_checks.metrics_directory(None) == []
    with override_settings(PROMETHEUS_MULTIPROC_DIR=""):
        assert system_checks.metrics_directory(None) == []
