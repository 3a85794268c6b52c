"""Reads behind /metrics: a few aggregate queries, each on an indexed column, cheap enough to
run at every scrape. No personal data: counts only."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from servicefirst.commitments.models import Case
from servicefirst.dialer.models import Call
from servicefirst.servicedesk.models import ServiceRequest

# At most this many finished tasks feed the latency histogram of one scrape.
TASK_LATENCY_SAMPLE = 5000

_READY, _RUNNING, _FAILED, _SUCCESSFUL = "READY", "RUNNING", "FAILED", "SUCCESSFUL"


def local_midnight(now: datetime.datetime) -> datetime.datetime:
    """The start of `now`'s day in the bank's time zone (settings.TIME_ZONE)."""
    day = timezone.localtime(now).date()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    ready: int
    scheduled: int
    running: int
    oldest_ready_s: float


def task_queue_depth(*, now: datetime.datetime) -> list[QueueDepth]:
    """Tasks waiting (due now, or scheduled for later) and running, per queue. Finished results
    are not counted (that table grows until pruned)."""
    no_run_after = get_date_max()
    due = Q(status=_READY) & (Q(run_after=no_run_after) | Q(run_after__lte=now))
    rows = (
        DBTaskResult.objects.filter(status__in=[_READY, _RUNNING])
        .order_by()
        .values("queue_name")
        .annotate(
            ready=Count("pk", filter=due),
            waiting=Count("pk", filter=Q(status=_READY)),
            running=Count("pk", filter=Q(status=_RUNNING)),
            oldest=Min("enqueued_at", filter=due),
        )
    )
    return [
        QueueDepth(
            queue=row["queue_name"],
            ready=row["ready"],
            scheduled=row["waiting"] - row["ready"],
            running=row["running"],
            oldest_ready_s=max(0.0, (now - row["oldest"]).total_seconds())
            if row["oldest"]
            else 0.0,
        )
        for row in sorted(rows, key=lambda r: r["queue_name"])
    ]


def task_start_latencies(*, now: datetime.datetime, window: datetime.timedelta) -> list[float]:
    """Seconds from enqueued to started of the tasks finished within `window` (the latest
    TASK_LATENCY_SAMPLE of them). A task scheduled for later counts from its run_after."""
    no_run_after = get_date_max()
    rows = (
        DBTaskResult.objects.filter(
            status__in=[_SUCCESSFUL, _FAILED],
            finished_at__gte=now - window,
            started_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("enqueued_at", "run_after", "started_at")[:TASK_LATENCY_SAMPLE]
    )
    out = []
    for enqueued, run_after, started in rows:
        since = enqueued if run_after == no_run_after else max(enqueued, run_after)
        out.append(max(0.0, (started - since).total_seconds()))
    return out


@dataclass(frozen=True)
class CallsToday:
    direction: str
    total: int
    live_answered: int
    connected: int
    abandoned: int

    @property
    def abandon_ratio(self) -> float:
        """Outbound: abandoned / answered by a person (the regulators' rate, as the dialer
        keeps it per campaign). Inbound: abandoned / (abandoned + connected), the callers who
        gave up among those whose wait is over."""
        if self.direction == Call.Direction.INBOUND:
            base = self.abandoned + self.connected
        else:
            base = self.live_answered
        return self.abandoned / base if base else 0.0


def calls_today(*, now: datetime.datetime) -> list[CallsToday]:
    """Calls dialled (outbound) or offered (inbound) since local midnight: live-answered,
    connected to an agent, abandoned. On the (direction, dialed_at) index."""
    directions = [Call.Direction.OUTBOUND, Call.Direction.INBOUND]
    rows = {
        row["direction"]: row
        for row in Call.objects.filter(
            direction__in=directions, dialed_at__gte=local_midnight(now), dialed_at__lte=now
        )
        .order_by()
        .values("direction")
        .annotate(
            total=Count("pk"),
            live=Count(
                "pk", filter=Q(answered_at__isnull=False) & ~Q(outcome=Call.Outcome.MACHINE)
            ),
            connected=Count("pk", filter=Q(connected_at__isnull=False)),
            abandoned=Count("pk", filter=Q(outcome=Call.Outcome.ABANDONED)),
        )
    }
    empty = {"total": 0, "live": 0, "connected": 0, "abandoned": 0}
    return [
        CallsToday(
            direction=str(direction),
            total=rows.get(direction, empty)["total"],
            live_answered=rows.get(direction, empty)["live"],
            connected=rows.get(direction, empty)["connected"],
            abandoned=rows.get(direction, empty)["abandoned"],
        )
        for direction in directions
    ]


@dataclass(frozen=True)
class Breaches:
    today: int
    open: int


def commitment_breaches(*, now: datetime.datetime) -> Breaches:
    """Cases breached since local midnight (breached_at is the due time the case missed), and
    breached cases still unresolved. On the partial index of breached cases."""
    row = Case.objects.filter(state=Case.State.BREACHED).aggregate(
        today=Count("pk", filter=Q(breached_at__gte=local_midnight(now), breached_at__lte=now)),
        open=Count("pk", filter=Q(stopped_at__isnull=True)),
    )
    return Breaches(today=row["today"], open=row["open"])


def service_requests_open() -> dict[str, int]:
    """Service requests not yet resolved, by status (every active status, zero included)."""
    counts = dict(
        ServiceRequest.objects.filter(status__in=ServiceRequest.ACTIVE)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {str(status): counts.get(status, 0) for status in ServiceRequest.ACTIVE}
