"""Prometheus metrics: the web requests (counted as they are answered) and the bank's
operational figures (computed from the database when Prometheus scrapes /metrics).

Several ASGI workers: each worker process counts its own requests. With the environment
variable PROMETHEUS_MULTIPROC_DIR naming an empty directory (wiped before the server starts;
the systemd unit uses a RuntimeDirectory), prometheus_client keeps the counters in files
there and /metrics adds up every worker's. Without it, /metrics shows the figures of the
worker that answered the scrape (right for one worker). The operational figures come from
the database and are the same whichever worker answers.
"""

import datetime
import logging
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric

from servicefirst.ops import selectors

log = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "servicefirst_http_requests",
    "HTTP requests answered, by view (URL name or route), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "servicefirst_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# Task latency (enqueued -> started) of the tasks finished within the window, in these buckets.
TASK_LATENCY_WINDOW = datetime.timedelta(minutes=15)
TASK_LATENCY_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)


def view_label(request: HttpRequest) -> str:
    """A bounded label: the URL name (or the route pattern) of the view that answered, never
    the path itself (paths carry ids)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match.route or "<unnamed>"


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)


# --- figures computed at scrape time -----------------------------------------------------------


class OperationsCollector:
    """The bank's operational figures, read from the database at each scrape (a handful of
    aggregate queries on indexed columns). A group whose query fails is left out and
    reported by servicefirst_metrics_collector_up{group} = 0; the others still show."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "servicefirst_metrics_collector_up",
            "1 when the group of operational figures could be read at this scrape.",
            labels=["group"],
        )
        for group, produce in (
            ("tasks", self._tasks),
            ("dialer", self._dialer),
            ("commitments", self._commitments),
            ("servicedesk", self._servicedesk),
        ):
            try:
                families = list(produce(now))
            except Exception:
                log.exception("metrics group %s could not be read", group)
                up.add_metric([group], 0)
                continue
            up.add_metric([group], 1)
            yield from families
        yield up

    def _tasks(self, now: datetime.datetime) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "servicefirst_task_queue_depth",
            "Background tasks waiting or running, by queue and status (ready: due now; "
            "scheduled: waiting for a later time; running).",
            labels=["queue", "status"],
        )
        oldest = GaugeMetricFamily(
            "servicefirst_task_queue_oldest_ready_seconds",
            "Age of the oldest task that is due and not yet started, by queue.",
            labels=["queue"],
        )
        for row in selectors.task_queue_depth(now=now):
            for status in ("ready", "scheduled", "running"):
                depth.add_metric([row.queue, status], getattr(row, status))
            oldest.add_metric([row.queue], row.oldest_ready_s)
        latencies = selectors.task_start_latencies(now=now, window=TASK_LATENCY_WINDOW)
        latency = GaugeHistogramMetricFamily(
            "servicefirst_task_start_latency_seconds",
            "Enqueued -> started, of the tasks finished in the last "
            f"{int(TASK_LATENCY_WINDOW.total_seconds() // 60)} minutes.",
            buckets=_buckets(latencies, TASK_LATENCY_BUCKETS),
            gsum_value=sum(latencies),
        )
        yield from (depth, oldest, latency)

    def _dialer(self, now: datetime.datetime) -> Iterator[Metric]:
        calls = GaugeMetricFamily(
            "servicefirst_dialer_calls_today",
            "Calls dialled (outbound) or offered (inbound) since local midnight, by direction "
            "and result (total; live_answered: answered by a person; connected: put through "
            "to an agent; abandoned: answered but no agent in time, or the caller hung up in "
            "the queue).",
            labels=["direction", "result"],
        )
        ratio = GaugeMetricFamily(
            "servicefirst_dialer_abandon_ratio_today",
            "Abandoned calls since local midnight: outbound over those answered by a person, "
            "inbound over those whose wait is over (connected or abandoned).",
            labels=["direction"],
        )
        for row in selectors.calls_today(now=now):
            for result in ("total", "live_answered", "connected", "abandoned"):
                calls.add_metric([row.direction, result], getattr(row, result))
            ratio.add_metric([row.direction], row.abandon_ratio)
        yield from (calls, ratio)

    def _commitments(self, now: datetime.datetime) -> Iterator[Metric]:
        figures = selectors.commitment_breaches(now=now)
        yield GaugeMetricFamily(
            "servicefirst_commitment_breaches_today",
            "Commitment cases breached since local midnight (by their due time).",
            value=figures.today,
        )
        yield GaugeMetricFamily(
            "servicefirst_commitment_breaches_open",
            "Breached commitment cases not yet resolved.",
            value=figures.open,
        )

    def _servicedesk(self, now: datetime.datetime) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "servicefirst_service_requests_open",
            "Service requests not yet resolved, by status.",
            labels=["status"],
        )
        for status, count in selectors.service_requests_open().items():
            family.add_metric([status], count)
        yield family


def _buckets(values: list[float], bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    """Cumulative bucket counts, ending with +Inf, as Prometheus histograms want them."""
    out = [(repr(float(bound)), sum(1 for v in values if v <= bound)) for bound in bounds]
    out.append(("+Inf", len(values)))
    return out


class _ThisProcess:
    """The default registry's figures (this process's requests, process and GC collectors),
    for the single-process case."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def scrape() -> bytes:
    """The text exposition of every metric for one scrape."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(OperationsCollector())
    return generate_latest(registry)
