"""A discrete-event simulation of outbound campaign days, paced by `servicefirst.dialer.pacing`.

Pure Python and numpy (no Django): the benchmark (`bench/dialer.py`) and the tests run the
product's own pacers through it.

The day. `agents` agents are logged in from the start of the day for `day_s` (8 hours) and
never pause. Every second — and at once whenever an agent becomes free or a call stops
ringing without an answer — the pacer is shown a `PacingState` (each agent's status and
seconds in it, each ringing call's seconds of ringing, the answered calls waiting, today's,
the rolling 24 hours' and the rolling 30 days' live answers and abandons) and places as many
calls as it says. Dialing stops at the end of the day; calls already placed still ring out
and agents finish the calls they are on, but only what happens within the 8 hours counts
towards occupancy.

The customers (`Population`, the issue's parameters): a call is answered by a person with
probability 30 % after 5–15 s of ringing (uniform), is busy with probability 10 % (the
busy tone after 2–6 s), otherwise rings for 20 s unanswered. An answered call goes to the
agent who has been free longest; with nobody free, it waits, and if no agent frees up
within 2 s it is abandoned (the customer hears the identification message). A conversation
lasts a talk time drawn from the real call durations (`durations.talk_durations()`, all
> 0), then the agent wraps up for an exponential time with mean 30 s and is free again.

Common random numbers. The k-th call dialled on day d is the same customer for every
strategy: its outcome, ring time, talk time and the wrap-up after it come from a stream
seeded by (seed, d) and indexed by k, so strategies differ only by their pacing.

Preview (a pacer with `preview_s` > 0) is agent-driven: a free agent is "reserved" while
they read the next customer's record, dials when the pacer says so (each call belongs to
one agent; an answer goes to that agent, so nothing is abandoned) and, if the call fails,
reads the next record.

Occupancy = (talk + wrap-up) / logged-in time. Abandonment rate = abandoned /
live-answered, per day and over all days.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from servicefirst.dialer import pacing
from servicefirst.dialer.pacing import AbandonStats, AgentTable, CallTable, PacingState

DAY_S = 8 * 3600.0
SECONDS_PER_DAY = 86_400.0

_READY, _RESERVED, _ON_CALL, _WRAP_UP = 0, 1, 2, 3
_ANSWERED, _BUSY, _NO_ANSWER = 0, 1, 2
_RING_END, _PATIENCE, _TALK_END, _WRAP_END = 0, 1, 2, 3


@dataclass(frozen=True)
class Population:
    """Who picks up, when, and for how long (the issue's benchmark parameters)."""

    answer_p: float = 0.30
    answer_after_s: tuple[float, float] = (5.0, 15.0)
    busy_p: float = 0.10
    busy_after_s: tuple[float, float] = (2.0, 6.0)
    ring_timeout_s: float = 20.0
    wrap_mean_s: float = 30.0
    patience_s: float = 2.0


class CallStream:
    """The customers of one day, call slot by call slot, the same for every strategy."""

    BLOCK = 4096

    def __init__(self, seed: int, day: int, talk: np.ndarray, population: Population):
        self.seed = seed
        self.day = day
        self.talk = np.asarray(talk, dtype=float)
        self.pop = population
        self.kind: list[int] = []
        self.ring: list[float] = []
        self.talk_s: list[float] = []
        self.wrap_s: list[float] = []

    def _grow(self) -> None:
        block = len(self.kind) // self.BLOCK
        rng = np.random.default_rng([self.seed, self.day, block])
        n, pop = self.BLOCK, self.pop
        u = rng.random(n)
        answer_at = rng.uniform(*pop.answer_after_s, n)
        busy_at = rng.uniform(*pop.busy_after_s, n)
        talk = self.talk[rng.integers(0, len(self.talk), n)]
        wrap = rng.exponential(pop.wrap_mean_s, n)
        kind = np.where(
            u < pop.answer_p, _ANSWERED, np.where(u < pop.answer_p + pop.busy_p, _BUSY, _NO_ANSWER)
        )
        ring = np.where(
            kind == _ANSWERED, answer_at, np.where(kind == _BUSY, busy_at, pop.ring_timeout_s)
        )
        self.kind.extend(kind.tolist())
        self.ring.extend(ring.tolist())
        self.talk_s.extend(talk.tolist())
        self.wrap_s.extend(wrap.tolist())

    def call(self, k: int) -> tuple[int, float, float, float]:
        while k >= len(self.kind):
            self._grow()
        return self.kind[k], self.ring[k], self.talk_s[k], self.wrap_s[k]


class Ledger:
    """Live answers and abandons of one campaign over the days: today, rolling 24 h, 30 days."""

    def __init__(self) -> None:
        self.recent: deque[tuple[float, bool]] = deque()  # last 24 h of answers
        self.day = AbandonStats()
        self.last_24h = AbandonStats()
        self.last_30d = AbandonStats()
        self.past_days: deque[tuple[int, int]] = deque(maxlen=29)

    def record(self, now: float, abandoned: bool) -> None:
        self.recent.append((now, abandoned))
        for stats in (self.day, self.last_24h, self.last_30d):
            stats.live_answered += 1
            stats.abandoned += abandoned

    def expire(self, now: float) -> None:
        recent, cutoff = self.recent, now - SECONDS_PER_DAY
        while recent and recent[0][0] <= cutoff:
            _, abandoned = recent.popleft()
            self.last_24h.live_answered -= 1
            self.last_24h.abandoned -= abandoned

    def close_day(self) -> None:
        if len(self.past_days) == self.past_days.maxlen:
            answered, abandoned = self.past_days[0]
            self.last_30d.live_answered -= answered
            self.last_30d.abandoned -= abandoned
        self.past_days.append((self.day.live_answered, self.day.abandoned))
        self.day = AbandonStats()


@dataclass
class DayResult:
    agents: int
    day: int
    logged_in_s: float
    talk_s: float = 0.0
    busy_s: float = 0.0  # talk + wrap-up within the day
    dials: int = 0
    live_answered: int = 0
    abandoned: int = 0
    connected: int = 0
    decisions: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    # with trace=True: per call slot, 0 not answered, 1 connected, 2 abandoned
    outcomes: dict[int, int] | None = field(default=None, repr=False)

    @property
    def occupancy(self) -> float:
        return self.busy_s / self.logged_in_s

    @property
    def talk_min_per_agent_hour(self) -> float:
        return self.talk_s / 60 / (self.logged_in_s / 3600)

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.live_answered if self.live_answered else 0.0


def simulate_day(
    pacer,
    *,
    agents: int,
    stream: CallStream,
    ledger: Ledger,
    day: int = 0,
    cap: float = 0.03,
    population: Population | None = None,
    day_s: float = DAY_S,
    decide_every_s: float = 1.0,
    decide_on_events: bool = True,
    trace: bool = False,
) -> DayResult:
    """One campaign day through `pacer`. `ledger` carries the abandonment windows from day
    to day (this closes the day in it at the end); day d starts at d × 24 h on the clock the
    pacer sees."""
    pop = population or stream.pop
    start = day * SECONDS_PER_DAY
    end = start + day_s
    preview = getattr(pacer, "preview_s", 0.0) > 0
    oracle = getattr(pacer, "oracle", False)
    decide_on_events = decide_on_events and getattr(pacer, "decide_on_events", True)
    result = DayResult(agents=agents, day=day, logged_in_s=agents * day_s)
    outcomes = result.outcomes = {} if trace else None

    status = np.full(agents, _RESERVED if preview else _READY, dtype=np.int8)
    since = np.full(agents, start)
    busy_until = np.full(agents, start)
    has_call = np.zeros(agents, dtype=bool)  # preview: the agent's own call is ringing
    ready: deque[int] = deque(range(agents)) if not preview else deque()
    ringing: dict[int, float] = {}  # slot -> dialled at
    owner: dict[int, int] = {}  # preview: slot -> agent
    waiting: deque[int] = deque()
    waiting_alive: dict[int, float] = {}  # slot -> answered at
    connect_at = [0.0] * agents
    talk_end_at = [0.0] * agents
    slot_of = [0] * agents
    heap: list[tuple[float, int, int, int]] = []
    seq = 0
    next_slot = 0
    patience = pop.patience_s

    def push(t: float, kind: int, x: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (t, seq, kind, x))

    def connect(agent: int, slot: int, now: float, wait: float) -> None:
        status[agent] = _ON_CALL
        since[agent] = now
        slot_of[agent] = slot
        connect_at[agent] = now
        _, _, talk, wrap = stream.call(slot)
        talk_end_at[agent] = now + talk
        busy_until[agent] = now + talk + wrap
        push(now + talk, _TALK_END, agent)
        if outcomes is not None:
            outcomes[slot] = 1
        result.connected += 1
        result.waits.append(wait)
        pacer.observe_answer(wait, False)

    def decide(now: float) -> None:
        nonlocal next_slot
        ledger.expire(now)
        remaining = np.maximum(busy_until - now, 0.0) if oracle else None
        state = PacingState(
            now_s=now,
            agents=AgentTable(status.copy(), now - since, remaining),
            ringing=CallTable(now - np.fromiter(ringing.values(), dtype=float, count=len(ringing))),
            waiting=len(waiting_alive),
            cap=cap,
            day=ledger.day,
            rolling_24h=ledger.last_24h,
            rolling_30d=ledger.last_30d,
            day_end_s=end,
        )
        n = int(pacer.decide(state))
        result.decisions += 1
        if n < 0:
            raise ValueError(f"{pacer.name} asked for {n} calls")
        if preview and n:
            free = np.nonzero((status == _RESERVED) & ~has_call & (now - since >= pacer.preview_s))[
                0
            ]
            callers = free[np.argsort(since[free], kind="stable")][:n].tolist()
        else:
            callers = None
        for j in range(n if callers is None else len(callers)):
            slot = next_slot
            next_slot += 1
            _, ring_s, _, _ = stream.call(slot)
            ringing[slot] = now
            if callers is not None:
                owner[slot] = callers[j]
                has_call[callers[j]] = True
            push(now + ring_s, _RING_END, slot)
            result.dials += 1

    def agent_free(agent: int, now: float) -> None:
        if preview:
            status[agent] = _RESERVED
            since[agent] = now
            has_call[agent] = False
            return
        while waiting:
            slot = waiting.popleft()
            answered_at = waiting_alive.pop(slot, None)
            if answered_at is not None:
                connect(agent, slot, now, now - answered_at)
                return
        status[agent] = _READY
        since[agent] = now
        ready.append(agent)

    next_tick = start
    while True:
        if heap and (heap[0][0] <= next_tick or next_tick >= end):
            now, _, kind, x = heapq.heappop(heap)
            if kind == _RING_END:
                slot = x
                dialled = ringing.pop(slot)
                outcome = stream.kind[slot]
                answered = outcome == _ANSWERED
                pacer.observe_call(now - dialled, answered, False)
                free_now = False
                if answered:
                    result.live_answered += 1
                    if preview:
                        connect(owner.pop(slot), slot, now, 0.0)
                        ledger.record(now, False)
                    elif ready:
                        agent = ready.popleft()
                        connect(agent, slot, now, 0.0)
                        ledger.record(now, False)
                    else:
                        waiting.append(slot)
                        waiting_alive[slot] = now
                        push(now + patience, _PATIENCE, slot)
                else:
                    if preview:
                        agent = owner.pop(slot)
                        has_call[agent] = False
                        since[agent] = now  # on to the next customer's record
                    free_now = True
                if free_now and decide_on_events and now < end:
                    decide(now)
            elif kind == _PATIENCE:
                if waiting_alive.pop(x, None) is not None:
                    if outcomes is not None:
                        outcomes[x] = 2
                    result.abandoned += 1
                    ledger.record(now, True)
                    pacer.observe_answer(patience, True)
            elif kind == _TALK_END:
                agent = x
                status[agent] = _WRAP_UP
                since[agent] = now
                pacer.observe_talk(now - connect_at[agent])
                push(busy_until[agent], _WRAP_END, agent)
            else:  # _WRAP_END
                agent = x
                c0 = connect_at[agent]
                result.talk_s += max(0.0, min(talk_end_at[agent], end) - c0)
                result.busy_s += max(0.0, min(now, end) - c0)
                pacer.observe_wrap(now - talk_end_at[agent])
                agent_free(agent, now)
                if decide_on_events and now < end:
                    decide(now)
        elif next_tick < end:
            decide(next_tick)
            next_tick += decide_every_s
        else:
            break
    ledger.close_day()
    return result


# --------------------------------------------------------------------------- runs


@dataclass
class RunResult:
    strategy: str
    agents: int
    cap: float
    days: list[DayResult]
    seconds: float = 0.0

    @property
    def occupancy(self) -> float:
        return sum(d.busy_s for d in self.days) / sum(d.logged_in_s for d in self.days)

    @property
    def talk_min_per_agent_hour(self) -> float:
        return (
            sum(d.talk_s for d in self.days) / 60 / (sum(d.logged_in_s for d in self.days) / 3600)
        )

    @property
    def abandon_rate(self) -> float:
        answered = sum(d.live_answered for d in self.days)
        return sum(d.abandoned for d in self.days) / answered if answered else 0.0

    @property
    def worst_day_abandon_rate(self) -> float:
        return max(d.abandon_rate for d in self.days)

    def as_json(self) -> dict:
        return {
            "agents": self.agents,
            "strategy": self.strategy,
            "cap": self.cap,
            "occupancy": round(self.occupancy, 5),
            "talk_min_per_agent_hour": round(self.talk_min_per_agent_hour, 3),
            "abandon_rate": round(self.abandon_rate, 5),
            "worst_day_abandon_rate": round(self.worst_day_abandon_rate, 5),
        }


class _Recorder(pacing.ProgressivePacer):
    """Progressive pacing that keeps what it observes: history for pre-training."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, bool, bool]] = []
        self.wraps: list[float] = []

    def observe_call(self, ring_s: float, answered: bool, machine: bool = False) -> None:
        self.calls.append((ring_s, answered, machine))

    def observe_wrap(self, wrap_s: float) -> None:
        self.wraps.append(wrap_s)


def history_day(
    *,
    agents: int,
    talk: np.ndarray,
    seed: int,
    population: Population | None = None,
    day_s: float = DAY_S,
) -> _Recorder:
    """An earlier day run progressively (its own customers): the call outcomes and wrap-up
    times a learning pacer may be pre-trained on."""
    pop = population or Population()
    recorder = _Recorder()
    stream = CallStream(seed * 1000 + 7919, 0, talk, pop)  # not one of the run's days
    simulate_day(recorder, agents=agents, stream=stream, ledger=Ledger(), day=0, day_s=day_s)
    return recorder


def learning(name: str) -> bool:
    return name in ("ours", "oracle")


def run(
    strategy: str,
    *,
    agents: int,
    days: int,
    talk: np.ndarray,
    cap: float = 0.03,
    seed: int = 1,
    params: dict | None = None,
    population: Population | None = None,
    day_s: float = DAY_S,
    pretrain: bool = True,
    decide_every_s: float = 1.0,
) -> RunResult:
    """`days` consecutive days of one campaign paced by `strategy` (one pacer, carried from
    day to day). A learning pacer is pre-trained on the real talk times and on one earlier
    simulated day (progressive: ring outcomes and wrap-up times), never on the days run."""
    pop = population or Population()
    params = dict(params or {})
    if learning(strategy) and pretrain:
        past = history_day(agents=agents, talk=talk, seed=seed, population=pop, day_s=day_s)
        params.setdefault("talk_samples", list(talk))
        params.setdefault("wrap_samples", past.wraps)
        params.setdefault("call_samples", past.calls)
    pacer = pacing.make_pacer(strategy, **params)
    ledger = Ledger()
    t0 = time.perf_counter()
    out = []
    for d in range(days):
        stream = CallStream(seed, d, talk, pop)
        out.append(
            simulate_day(
                pacer,
                agents=agents,
                stream=stream,
                ledger=ledger,
                day=d,
                cap=cap,
                population=pop,
                day_s=day_s,
                decide_every_s=decide_every_s,
            )
        )
    return RunResult(
        strategy=strategy, agents=agents, cap=cap, days=out, seconds=time.perf_counter() - t0
    )
