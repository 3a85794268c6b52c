"""Wait prediction learned from the branch's own history.

Service times: every finished ticket's time at the counter (called → finished) is grouped by
branch, service and hour of day (local time); `learn_service_times` keeps each group's sample
count, mean, median and 90th percentile in ServiceTimeStat (a nightly task recomputes them).
Without enough history for that hour the branch's other hours of the service are used, and
without any history the service's typical time (Service.typical_minutes).

The wait of a ticket is estimated by dealing the branch's waiting tickets to its accepting
counters with the dispatching rule itself (`ranking.pick`): each counter is free when its
current customer's usual service time has run out, and each ticket called takes the hour's mean
service time of its service — the work ahead divided among the counters that can do it, a
flexible counter's time shared by all its queues, priorities and the fairness guard applied
as they will be. The wait is when the ticket's turn comes. Every ticket keeps the estimate it
was given at issue (Ticket.predicted_wait_s), so that `error_report` can compare it with the
wait that followed.
"""

import datetime
import heapq
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from servicefirst.floor import ranking
from servicefirst.floor.models import Counter, Service, ServiceTimeStat, Ticket

LEARN_DAYS = 90  # history used for the service-time distributions
MIN_SAMPLES = 5  # fewer samples in an hour: use the service's other hours
MIN_SERVICE_S = 10.0  # shorter "services" are mistakes (a call closed at once)
MAX_SERVICE_S = 4 * 3600.0  # longer ones are counters left open
WITHIN_S = 120  # the error report's "within 2 minutes"


def _quantile(sorted_values: list[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def learn_service_times(branch_id: int | None = None, *, days: int = LEARN_DAYS, now=None) -> int:
    """Recompute the service-time distributions of one branch (or all) from the finished
    tickets of the last `days` days. Returns the number of (service, hour) groups stored."""
    now = now or timezone.now()
    rows = Ticket.objects.filter(
        status=Ticket.Status.DONE,
        called_at__isnull=False,
        finished_at__isnull=False,
        called_at__gte=now - datetime.timedelta(days=days),
    )
    if branch_id is not None:
        rows = rows.filter(branch_id=branch_id)
    groups: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for branch, service, called, finished in rows.values_list(
        "branch_id", "service_id", "called_at", "finished_at"
    ).iterator(chunk_size=5000):
        seconds = (finished - called).total_seconds()
        if MIN_SERVICE_S <= seconds <= MAX_SERVICE_S:
            groups[(branch, service, timezone.localtime(called).hour)].append(seconds)
    stats = []
    for (branch, service, hour), values in groups.items():
        values.sort()
        stats.append(
            ServiceTimeStat(
                branch_id=branch,
                service_id=service,
                hour=hour,
                samples=len(values),
                mean_s=statistics.fmean(values),
                p50_s=_quantile(values, 0.5),
                p90_s=_quantile(values, 0.9),
            )
        )
    with transaction.atomic():
        old = ServiceTimeStat.objects.all()
        if branch_id is not None:
            old = old.filter(branch_id=branch_id)
        old.delete()
        ServiceTimeStat.objects.bulk_create(stats, batch_size=1000)
    return len(stats)


class ServiceTimes:
    """A branch's learned service times, read once: one query for all its ServiceTimeStat rows
    (and, the first time a service lacks history, one for the services' typical times). Build
    one per prediction (or per request, to share it between several) instead of asking the
    database per ticket; the answers are those of `usual_service_s`."""

    def __init__(self, branch_id: int):
        self.branch_id = branch_id
        self._rows: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
        for service_id, hour, samples, mean in (
            ServiceTimeStat.objects.filter(branch_id=branch_id)
            .order_by("service_id", "hour")
            .values_list("service_id", "hour", "samples", "mean_s")
        ):
            self._rows[service_id].append((hour, samples, mean))
        self._typical: dict[int, int] | None = None
        self._memo: dict[tuple[int, int], float] = {}

    def usual_s(self, service_id: int, hour: int) -> float:
        """The mean service time (s) of the service in that hour of the day: learned when the
        hour has enough history, else over the service's other hours, else its typical
        time."""
        key = (service_id, hour)
        if key not in self._memo:
            self._memo[key] = self._usual(service_id, hour)
        return self._memo[key]

    def _usual(self, service_id: int, hour: int) -> float:
        rows = self._rows.get(service_id, [])
        for h, samples, mean in rows:
            if h == hour and samples >= MIN_SAMPLES:
                return float(mean)
        total = sum(samples for _h, samples, _m in rows)
        if total >= MIN_SAMPLES:
            return sum(samples * mean for _h, samples, mean in rows) / total
        if self._typical is None:
            self._typical = dict(Service.objects.values_list("pk", "typical_minutes"))
        return float((self._typical.get(service_id) or 5) * 60)


def usual_service_s(branch_id: int, service_id: int, hour: int) -> float:
    """The mean service time (s) of the service at the branch in that hour of the day: learned
    when the hour has enough history, else over the service's other hours, else its typical
    time. (Several questions about one branch: build one `ServiceTimes` and ask it.)"""
    return ServiceTimes(branch_id).usual_s(service_id, hour)


def _later(now, seconds: float):
    return (
        now + datetime.timedelta(seconds=seconds)
        if isinstance(now, datetime.datetime)
        else now + seconds
    )


def estimate_wait(
    target_id,
    candidates: list[ranking.Candidate],
    counters: list[tuple[ranking.CounterView, float]],
    *,
    now,
    max_wait_s: float,
    mean_s: dict[int, float],
    retry_after: float = 60.0,
) -> float | None:
    """When the target ticket would be called (seconds from now) if nobody else arrived and
    every service took its mean time: the waiting tickets are dealt to the counters by the
    dispatching rule itself (`ranking.pick`: priorities, the fairness guard, languages, and the
    counters' services — so a flexible counter's time is shared by all its queues).

    `counters`: each accepting counter's view and the seconds until it is free. Pure, also
    used by the demo's simulation (any clock unit works when used consistently). None when no
    counter would ever call the target."""
    pool = list(candidates)
    heap = [(free_in, i) for i, (_view, free_in) in enumerate(counters)]
    heapq.heapify(heap)
    languages = [view.languages for view, _free in counters]
    while heap and pool:
        t, i = heapq.heappop(heap)
        view = counters[i][0]
        others = frozenset().union(*(languages[j] for j in range(len(counters)) if j != i))
        pick = ranking.pick(
            pool, view, now=_later(now, t), max_wait_s=max_wait_s, other_speakers=others
        )
        if pick is None:
            if ranking.eligible(pool, view) and heap:
                # Left for a teller who speaks the language, until the fairness guard.
                heapq.heappush(heap, (max(t, heap[0][0]) + retry_after, i))
            continue
        if pick.id == target_id:
            return t
        pool.remove(pick)
        heapq.heappush(heap, (t + mean_s.get(pick.service_id, 5 * retry_after), i))
    return None


@dataclass
class FloorNow:
    """What a wait prediction reads from the database, read once: the branch's fairness guard,
    its waiting tickets, its accepting counters with the customer at each and its service
    times. One serves any number of predictions for the same moment (`predict_waits_s`)."""

    branch_id: int
    now: datetime.datetime
    hour: int
    max_wait_s: float
    waiting: list[ranking.Candidate]
    counters: list[Counter]
    current: dict[int, Ticket]
    times: ServiceTimes

    @classmethod
    def load(cls, branch_id: int, *, now=None, times: ServiceTimes | None = None) -> "FloorNow":
        from servicefirst.floor import selectors

        now = now or timezone.now()
        settings = selectors.floor_settings(branch_id)
        counters = [
            c
            for c in Counter.objects.filter(branch_id=branch_id)
            .select_related("staff")
            .prefetch_related("services")
            .order_by("number")
            if c.accepting
        ]
        current: dict[int, Ticket] = {}
        if counters:
            current = {
                t.counter_id: t
                for t in Ticket.objects.filter(
                    counter__in=counters, status=Ticket.Status.CALLED
                ).order_by("called_at")
            }
        return cls(
            branch_id=branch_id,
            now=now,
            hour=timezone.localtime(now).hour,
            max_wait_s=settings.max_wait_minutes * 60,
            waiting=selectors.waiting_candidates(branch_id),
            counters=counters,
            current=current,
            times=times if times is not None else ServiceTimes(branch_id),
        )

    def predict(self, service_id: int, *, ticket: Ticket | None = None) -> int:
        """The estimated wait (s) of a ticket of the service taken now (`ticket=None`) or of a
        waiting ticket — see `predict_wait_s`."""
        from servicefirst.floor import selectors

        now, hour = self.now, self.hour
        if ticket is not None and ticket.pk:
            if ticket.status != Ticket.Status.WAITING:
                return 0
            target = selectors.candidate_of(ticket)
            pool = list(self.waiting)
        else:
            target = ranking.Candidate(id=0, service_id=service_id, issued_at=now)
            pool = [*self.waiting, target]
        means = {sid: self.times.usual_s(sid, hour) for sid in {c.service_id for c in pool}}
        handles = [
            c
            for c in self.counters
            if (target.target_counter_id == c.pk)
            or (
                target.target_counter_id is None
                and any(s.pk == service_id for s in c.services.all())
            )
        ]
        if handles:
            views = []
            for c in self.counters:
                busy = self.current.get(c.pk)
                free_in = 0.0
                if busy is not None and busy.called_at is not None:
                    mean = means.get(busy.service_id) or self.times.usual_s(busy.service_id, hour)
                    free_in = max(0.0, mean - (now - busy.called_at).total_seconds())
                views.append(
                    (
                        ranking.CounterView(
                            id=c.pk,
                            service_ids=frozenset(s.pk for s in c.services.all()),
                            languages=frozenset(c.staff.languages or [])
                            if c.staff
                            else frozenset(),
                        ),
                        free_in,
                    )
                )
            wait = estimate_wait(
                target.id, pool, views, now=now, max_wait_s=self.max_wait_s, mean_s=means
            )
            if wait is not None:
                return round(wait)
        # Nobody serves it now: the people ahead of it, one after another.
        queue = [
            c for c in pool if c.service_id == target.service_id and c.target_counter_id is None
        ]
        order = ranking.queue_order(queue, now=now, max_wait_s=self.max_wait_s)
        ahead = next((i for i, c in enumerate(order) if c.id == target.id), len(order))
        return round(sum(means.get(c.service_id, 0.0) for c in order[:ahead]))


def predict_wait_s(
    branch_id: int, service_id: int, *, ticket: Ticket | None = None, now=None
) -> int:
    """Estimated wait (s) for a ticket of this service taken now (`ticket=None`: an ordinary
    ticket behind everyone waiting), or for a waiting ticket. 0 when a counter is free for it.

    The branch's waiting tickets are dealt to its accepting counters by the dispatching rule
    (see `estimate_wait`), each taking the hour's mean service time of its service, each
    counter free when its current customer's usual time has run out. Without an accepting
    counter that handles the service: the people ahead (`ranking.queue_order`) times the mean
    service time, as if one counter opened now.

    Reads the floor once (`FloorNow`: a fixed handful of queries, however many tickets wait);
    for several services at once use `predict_waits_s`."""
    if ticket is not None and ticket.pk and ticket.status != Ticket.Status.WAITING:
        return 0
    return FloorNow.load(branch_id, now=now).predict(service_id, ticket=ticket)


def predict_waits_s(branch_id: int, service_ids, *, now=None) -> dict[int, int]:
    """`predict_wait_s` of a ticket taken now for each of the services, reading the floor
    once."""
    floor = FloorNow.load(branch_id, now=now)
    return {sid: floor.predict(sid) for sid in service_ids}


def error_report(branch_id: int, days: int = 7, *, now=None) -> dict:
    """How good the estimates given at the kiosk were over the last `days` days: for every
    called ticket that was given one, predicted − actual wait. `mean_error_s` is the bias
    (positive: we over-estimated), `within_2min` the share of estimates within two minutes."""
    now = now or timezone.now()
    rows = (
        Ticket.objects.filter(
            branch_id=branch_id,
            predicted_wait_s__isnull=False,
            called_at__isnull=False,
            issued_at__gte=now - datetime.timedelta(days=days),
        )
        .select_related("service")
        .only("predicted_wait_s", "called_at", "issued_at", "service__code")
    )
    errors: list[float] = []
    per_service: dict[str, list[float]] = defaultdict(list)
    for t in rows.iterator(chunk_size=5000):
        error = t.predicted_wait_s - (t.called_at - t.issued_at).total_seconds()
        errors.append(error)
        per_service[t.service.code].append(error)

    def summary(values: list[float]) -> dict:
        if not values:
            return {"tickets": 0, "mae_s": None, "mean_error_s": None, "within_2min": None}
        return {
            "tickets": len(values),
            "mae_s": statistics.fmean(abs(v) for v in values),
            "mean_error_s": statistics.fmean(values),
            "within_2min": sum(1 for v in values if abs(v) <= WITHIN_S) / len(values),
        }

    return {
        **summary(errors),
        "days": days,
        "by_service": {code: summary(values) for code, values in sorted(per_service.items())},
    }
