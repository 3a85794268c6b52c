"""A branch day, simulated through the real dispatching code (`bench/lobby.py`).

A discrete-event simulation (a heap of arrivals, service ends and the manager's glances at
the board), seeded and free of the database, that runs the same customers through:

- **fifo** — each counter fixed to its services, first come first served
  (`ranking.pick(..., fifo=True)`);
- **priorities** — our dispatching rule without moving anyone (`ranking.pick`: priorities
  from `ranking.ticket_priority`, the fairness guard) — shown to separate the two effects;
- **ours** — the same rule, plus the board's recommendations (`recommend.recommend_moves`)
  followed by the manager every few minutes: a flexible counter takes the service whose wait
  grows, and goes back to its own services when those grow in turn (or when nobody waits
  any more for the services it took).

The day (`Scenario`): arrivals per service from a non-homogeneous Poisson process over the
opening hours, peaking at opening and over lunch; service times lognormal per service (mean
from the standard services, `floor.defaults.SERVICES`, and a spread per service); shares of
VIP customers (by value tier) and of elderly ones; the priority points, wait commitment and
fairness guard of a branch's default `FloorSettings`. Customers arrive until closing time and
all of them are served (counters stay open until the hall is empty). Every customer's service
time is drawn once, so each policy serves exactly the same customers with the same needs.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field

from servicefirst.dispatch.recommend import CounterLoad, ServiceLoad, pressure, recommend_moves
from servicefirst.floor.defaults import SERVICES
from servicefirst.floor.ranking import (
    Candidate,
    CounterView,
    PriorityRules,
    pick,
    ticket_priority,
)

POLICIES = ("fifo", "priorities", "ours")
METRICS = (
    "mean_wait_s",
    "p90_wait_s",
    "within_commitment",
    "vip_mean_wait_s",
    "ordinary_p90_wait_s",
    "max_ordinary_wait_s",
)

HOUR = 3600.0
MINUTE = 60.0


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its mean service time, the spread (coefficient of variation) of the
    lognormal service times, and the expected number of tickets on a day."""

    id: int
    code: str
    mean_s: float
    cv: float
    daily: float


@dataclass(frozen=True)
class CounterSpec:
    """A counter: the services it handles all day (its "home"), and whether its teller is
    trained for every service and may be moved by the manager."""

    number: int
    services: tuple[str, ...]
    flexible: bool = False


# Expected tickets per day and service-time spread (coefficient of variation) per service;
# the means are the standard services' typical minutes (cash 4, account 12, cards 8,
# loans 20, wealth 15, fx 8). About 310 tickets a day, a busy city branch; each counter group
# works about 60 % of the day on average, and more than 100 % at the opening and lunch peaks.
DAILY_TICKETS = {"cash": 250, "account": 11, "cards": 20, "loans": 7, "wealth": 10, "fx": 16}
SPREAD = {"cash": 0.6, "account": 0.4, "cards": 0.5, "loans": 0.5, "wealth": 0.6, "fx": 0.5}

# Six counters: two cash, cards + account, loans + wealth, fx + cash, and one flexible
# teller (trained for everything) at a cash counter.
DEFAULT_COUNTERS = "cash;cash;cards+account;loans+wealth;fx+cash;*cash"


def parse_counters(text: str) -> tuple[CounterSpec, ...]:
    """Counters from a layout such as `cash;cards+account;*cash` (counters 1, 2 and 3; ";"
    between counters, "+" between services, a leading "*" marks a flexible teller)."""
    codes = {code for code, *_ in SERVICES}
    out = []
    for number, part in enumerate((p.strip() for p in text.split(";") if p.strip()), start=1):
        flexible = part.startswith("*")
        services = tuple(s.strip() for s in part.lstrip("*").split("+") if s.strip())
        unknown = [s for s in services if s not in codes]
        if not services or unknown:
            raise ValueError(
                f"counter {number}: unknown service(s) {', '.join(unknown) or '(none)'}; "
                f"known: {', '.join(sorted(codes))}"
            )
        out.append(CounterSpec(number=number, services=services, flexible=flexible))
    if not out:
        raise ValueError("no counters")
    return tuple(out)


def default_services(scale: float = 1.0) -> tuple[ServiceSpec, ...]:
    return tuple(
        ServiceSpec(
            id=i,
            code=code,
            mean_s=minutes * MINUTE,
            cv=SPREAD[code],
            daily=DAILY_TICKETS[code] * scale,
        )
        for i, (code, _zh, _en, _letter, minutes) in enumerate(SERVICES, start=1)
    )


@dataclass(frozen=True)
class Scenario:
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    rules: PriorityRules
    commitment_s: float = 15 * MINUTE
    max_wait_s: float = 20 * MINUTE
    opens_s: float = 9 * HOUR
    closes_s: float = 17 * HOUR
    vip_share: float = 0.08
    vip_tiers: tuple[tuple[str, float], ...] = (
        ("affluent", 0.6),
        ("wealth", 0.3),
        ("private", 0.1),
    )
    elderly_share: float = 0.12
    check_every_s: float = 3 * MINUTE  # how often the manager acts on the board
    # a moved flexible teller goes back home when the wait of its own services reaches this
    # share of the commitment (4.5 minutes of 15)
    return_share: float = 0.3


def default_scenario(
    *, counters: str = DEFAULT_COUNTERS, scale: float = 1.0, check_every_min: float = 3
) -> Scenario:
    """The default branch: default FloorSettings (priorities, 15-minute commitment,
    20-minute fairness guard) read from the model's defaults, no database needed."""
    from servicefirst.floor.models import FloorSettings

    settings = FloorSettings()  # unsaved: the defaults a new branch gets
    layout = parse_counters(counters)
    handled = {code for c in layout for code in c.services}
    missing = [code for code, *_ in SERVICES if code not in handled]
    if missing:
        raise ValueError(f"no counter handles {', '.join(missing)}")
    return Scenario(
        services=default_services(scale),
        counters=layout,
        rules=PriorityRules.of(settings),
        commitment_s=settings.commitment_minutes * MINUTE,
        max_wait_s=settings.max_wait_minutes * MINUTE,
        opens_s=settings.opens_at.hour * HOUR + settings.opens_at.minute * MINUTE,
        closes_s=settings.closes_at.hour * HOUR + settings.closes_at.minute * MINUTE,
        check_every_s=check_every_min * MINUTE,
    )


# --- arrivals ---------------------------------------------------------------------------


def arrival_shape(t_s: float, opens_s: float) -> float:
    """Relative arrival rate at time t: a base level, a crowd at the door at opening that
    thins out over the first hour, and the lunch-break peak (12:00–13:30, soft edges)."""
    minutes = (t_s - opens_s) / MINUTE
    clock = t_s / HOUR
    opening = 1.4 * math.exp(-minutes / 35.0)
    lunch = 1.0 / (1 + math.exp(-(clock - 12.0) * 12)) - 1.0 / (1 + math.exp(-(clock - 13.5) * 12))
    return 1.0 + opening + lunch


@dataclass
class Customer:
    id: int
    service_id: int
    arrival_s: float
    service_s: float
    tier: str
    age: int
    priority: int
    reason: str  # "", "vip", "elderly"

    @property
    def vip(self) -> bool:
        return bool(self.tier)

    @property
    def ordinary(self) -> bool:
        return self.priority == 0


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def generate_day(scenario: Scenario, rng: random.Random) -> list[Customer]:
    """The customers of one day, by arrival time (thinning of a Poisson process)."""
    step = MINUTE
    grid = [
        scenario.opens_s + i * step
        for i in range(int((scenario.closes_s - scenario.opens_s) / step))
    ]
    shapes = [arrival_shape(t + step / 2, scenario.opens_s) for t in grid]
    area = sum(shapes) * step
    peak = max(arrival_shape(t, scenario.opens_s) for t in [scenario.opens_s, *grid]) * 1.01
    tiers, tier_weights = zip(*scenario.vip_tiers, strict=True)

    arrivals: list[tuple[float, ServiceSpec]] = []
    for spec in scenario.services:
        scale = spec.daily / area  # rate = scale × shape, expected spec.daily in the day
        lam_max = scale * peak
        t = scenario.opens_s
        while True:
            t += rng.expovariate(lam_max)
            if t >= scenario.closes_s:
                break
            if rng.random() * lam_max <= scale * arrival_shape(t, scenario.opens_s):
                arrivals.append((t, spec))
    arrivals.sort(key=lambda a: (a[0], a[1].id))

    customers = []
    for i, (t, spec) in enumerate(arrivals, start=1):
        tier = rng.choices(tiers, tier_weights)[0] if rng.random() < scenario.vip_share else ""
        elderly = rng.random() < scenario.elderly_share
        age = rng.randint(scenario.rules.elderly_age, 88) if elderly else rng.randint(18, 64)
        priority, reason = ticket_priority(scenario.rules, tier=tier, age=age)
        customers.append(
            Customer(
                id=i,
                service_id=spec.id,
                arrival_s=t,
                service_s=_lognormal(rng, spec.mean_s, spec.cv),
                tier=tier,
                age=age,
                priority=priority,
                reason=reason,
            )
        )
    return customers


# --- one day under one policy -----------------------------------------------------------


@dataclass
class DayResult:
    waits: list[tuple[Customer, float]] = field(default_factory=list)
    moves: int = 0
    returns: int = 0
    last_finish_s: float = 0.0


_ARRIVE, _FINISH, _CHECK = 0, 1, 2


def simulate_day(customers: list[Customer], scenario: Scenario, policy: str) -> DayResult:
    """Run one day's customers through the counters under `policy` ("fifo", "priorities"
    or "ours"); returns every customer's wait."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
    fifo = policy == "fifo"
    moving = policy == "ours"
    codes = {s.code: s.id for s in scenario.services}
    means = {s.id: s.mean_s for s in scenario.services}
    home = {c.number: frozenset(codes[s] for s in c.services) for c in scenario.counters}
    services_of = dict(home)  # what each counter handles now
    flexible = frozenset(c.number for c in scenario.counters if c.flexible)
    serving: dict[int, Customer | None] = {c.number: None for c in scenario.counters}
    started: dict[int, float] = {}
    waiting: dict[int, Candidate] = {}
    by_id = {c.id: c for c in customers}
    result = DayResult()

    events: list[tuple[float, int, int, int]] = []  # (time, kind, seq, payload)
    seq = 0

    def push(t: float, kind: int, payload: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, kind, seq, payload))

    for c in customers:
        push(c.arrival_s, _ARRIVE, c.id)
    if moving:
        push(scenario.opens_s + scenario.check_every_s, _CHECK, 0)

    def dispatch(now: float) -> None:
        for number in sorted(serving):
            if serving[number] is not None or not waiting:
                continue
            view = CounterView(id=number, service_ids=services_of[number])
            chosen = pick(
                list(waiting.values()),
                view,
                now=now,
                max_wait_s=scenario.max_wait_s,
                fifo=fifo,
            )
            if chosen is None:
                continue
            del waiting[chosen.id]
            customer = by_id[chosen.id]
            serving[number] = customer
            started[number] = now
            result.waits.append((customer, now - customer.arrival_s))
            push(now + customer.service_s, _FINISH, number)

    def remaining(number: int, now: float) -> float:
        """The board's guess of how long the counter's current customer still needs: the
        usual time of their service minus the time so far (at least a quarter of it)."""
        customer = serving[number]
        if customer is None:
            return 0.0
        usual = means[customer.service_id]
        return max(usual - (now - started[number]), usual / 4)

    def loads(now: float) -> list[ServiceLoad]:
        """What the board shows per service: people waiting, the longest wait, and a
        predicted wait for a ticket taken now: the usual time of the people waiting plus
        what the counters' current customers still need, shared by the counters handling
        the service."""
        out = []
        for spec in scenario.services:
            queue = [c for c in waiting.values() if c.service_id == spec.id]
            handling = [n for n, s in services_of.items() if spec.id in s]
            longest = max((now - c.issued_at for c in queue), default=0.0)
            if handling:
                work = len(queue) * means[spec.id] + sum(remaining(n, now) for n in handling)
                predicted = work / len(handling)
            else:
                predicted = longest
            out.append(ServiceLoad(spec.id, len(queue), longest, predicted))
        return out

    def manage(now: float) -> None:
        """The manager glances at the board: sends flexible tellers back home when their own
        services grow (or nobody waits any more for what they took), then follows the
        board's recommended moves for the flexible tellers."""
        board = loads(now)
        by_service = {s.service_id: s for s in board}
        for number in sorted(flexible):
            extra = services_of[number] - home[number]
            if not extra:
                continue
            home_share = max(pressure(by_service[s], scenario.commitment_s) for s in home[number])
            crisis_over = all(by_service[s].waiting == 0 for s in extra)
            if home_share >= scenario.return_share or crisis_over:
                services_of[number] = home[number]
                result.returns += 1
                board = loads(now)  # fewer counters handle the services it had taken
        counters = [
            CounterLoad(
                counter_id=number,
                service_ids=services_of[number],
                busy=serving[number] is not None,
                accepting=True,
            )
            for number in sorted(serving)
        ]
        for move in recommend_moves(
            board, counters, commitment_s=scenario.commitment_s, movable=flexible
        ):
            services_of[move.counter_id] = services_of[move.counter_id] | {move.service_id}
            result.moves += 1

    while events:
        now, kind, _, payload = heapq.heappop(events)
        if kind == _ARRIVE:
            c = by_id[payload]
            waiting[c.id] = Candidate(
                id=c.id, service_id=c.service_id, issued_at=c.arrival_s, priority=c.priority
            )
        elif kind == _FINISH:
            serving[payload] = None
            result.last_finish_s = max(result.last_finish_s, now)
        else:
            manage(now)
            if now < scenario.closes_s or waiting:
                push(now + scenario.check_every_s, _CHECK, 0)
        dispatch(now)

    if waiting or len(result.waits) != len(customers):
        raise RuntimeError(
            f"{policy}: {len(waiting)} customers never served — a service has no counter"
        )
    return result


# --- figures ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def day_figures(result: DayResult, commitment_s: float) -> dict:
    waits = [w for _, w in result.waits]
    vip = [w for c, w in result.waits if c.vip]
    ordinary = [w for c, w in result.waits if c.ordinary]
    return {
        "mean_wait_s": sum(waits) / len(waits),
        "p90_wait_s": percentile(waits, 0.9),
        "within_commitment": sum(1 for w in waits if w <= commitment_s) / len(waits),
        "vip_mean_wait_s": sum(vip) / len(vip) if vip else None,
        "ordinary_p90_wait_s": percentile(ordinary, 0.9) if ordinary else None,
        "max_ordinary_wait_s": max(ordinary) if ordinary else None,
        "customers": len(waits),
        "vip_customers": len(vip),
        "moves": result.moves,
        "returns": result.returns,
        "last_finish_s": result.last_finish_s,
    }


def _mean(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def run(
    scenario: Scenario,
    *,
    days: int = 20,
    seed: int = 1,
    policies: tuple[str, ...] = POLICIES,
) -> dict:
    """Simulate `days` seeded days under each policy; each figure is the mean of the daily
    figures. Returns {policy: {metric: value, ..., "days": [...daily figures]}} plus
    "worst_max_ordinary_wait_s" (the longest ordinary wait over all days)."""
    daily: dict[str, list[dict]] = {p: [] for p in policies}
    for day in range(days):
        customers = generate_day(scenario, random.Random(f"servicefirst-lobby:{seed}:{day}"))
        for policy in policies:
            daily[policy].append(
                day_figures(simulate_day(customers, scenario, policy), scenario.commitment_s)
            )
    out = {}
    for policy, figures in daily.items():
        summary = {key: _mean([f[key] for f in figures]) for key in figures[0]}
        summary["worst_max_ordinary_wait_s"] = max(
            (f["max_ordinary_wait_s"] for f in figures if f["max_ordinary_wait_s"] is not None),
            default=None,
        )
        summary["days"] = figures
        out[policy] = summary
    return out


def bench_json(results: dict) -> dict:
    """The benchmark's JSON: {"fifo": {...}, "ours": {...}}, each with exactly `METRICS`
    (seconds to 0.1 s, `within_commitment` a share to 4 decimals)."""

    def clean(figures: dict) -> dict:
        return {
            key: None
            if figures[key] is None
            else round(figures[key], 4 if key == "within_commitment" else 1)
            for key in METRICS
        }

    return {"fifo": clean(results["fifo"]), "ours": clean(results["ours"])}


def verdict(fifo: dict, ours: dict) -> tuple[bool, str]:
    """The issue's condition: VIPs served faster than under FIFO, and the ordinary
    customers' 90th-percentile wait not more than 10 % worse."""
    vip_ok = ours["vip_mean_wait_s"] < fifo["vip_mean_wait_s"]
    limit = fifo["ordinary_p90_wait_s"] * 1.10
    p90_ok = ours["ordinary_p90_wait_s"] <= limit
    text = (
        f"VIP mean wait {ours['vip_mean_wait_s']:.0f} s vs FIFO {fifo['vip_mean_wait_s']:.0f} s "
        f"({'faster' if vip_ok else 'NOT faster'}); ordinary p90 "
        f"{ours['ordinary_p90_wait_s']:.0f} s vs limit {limit:.0f} s (FIFO +10 %) "
        f"({'ok' if p90_ok else 'too slow'})"
    )
    return vip_ok and p90_ok, text
