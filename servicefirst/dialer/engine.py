"""The dialer process (`servicefirst dialer`): one asyncio loop that places the campaigns'
calls through the telephony port, puts answered customers through to agents within two
seconds, routes inbound calls by skill, and keeps every call's record in the database.

What it does every tick (a simulated second, DIALER_TICK_S; sooner when an agent frees up or
a call ends, but never more than one round per 50 ms):

1. robot agents (phone "sim:…", when enabled) come back from a pause and close their wrap-ups;
2. inbound calls waiting in the queue are offered to a free agent with the caller's language
   (and product), best caller first (`calls.waiting_inbound`, `calls.route_inbound`);
3. due callbacks are delivered and, for an agent who is READY (the callback's own agent, or
   for an unassigned one the campaign's agent who has waited longest), dialled through the
   desktop's own `callback_dial` (its compliance check included) — only for agents working a
   progressive or predictive campaign, or robots; preview agents dial their callbacks from the
   desktop;
4. QUEUED calls written by pages (click-to-dial, preview, callbacks) are dialled once their
   agent is reserved for them (an agent who is not READY keeps the call waiting);
5. each ACTIVE progressive or predictive campaign is paced: its logged-in agents (status and
   seconds in it), calls still ringing, answered calls waiting and its abandonment figures
   (today, rolling 24 h, rolling 30 days) become a `pacing.PacingState`; its pacer says how
   many calls to place; entries are claimed (`lists.claim_entries`, the compliance check) and
   their calls written DIALING *in the same transaction*, then originated after the commit.
   At most DIALER_MAX_LINES outbound calls are under way at once; when the campaigns want
   more, the lines are shared in proportion to their agents. A pacer that keeps books of
   what it placed hears, through `observe_placed(asked, placed)` when it has one, that fewer
   calls went out than it asked for.

A pacer starts from the campaign's history of the last 30 days (its calls' rings, answers,
talk and wrap-up times); a campaign with under 200 calls of its own borrows the other
campaigns', and with under 200 talk times the pacer also gets 400 quantiles of real
telemarketing call lengths (`durations.talk_durations`) — learning only from the calls that
ended first, the short ones, it would expect every agent to be free at any moment. It then
learns from every call as it ends.

Telephony events are applied in the order the port reports them (`calls.on_*`), except that an
answer is handled at once, ahead of the queue (the two-second clock is running), and calls
ringing are applied many in one step. While events wait more than a simulated second to be
applied, nothing is dialled: the database's picture of agents and ringing calls is stale.
An answered outbound call gets an agent of its campaign (or its own agent) within two seconds
— claims are retried every 100 ms — or it is abandoned: `calls.abandon` is committed first (so
a crash can never lose an abandonment from the rate), then the port plays the bank's
identification message (settings.DIALER_ID_MESSAGE, in the customer's language) and clears
the line. A customer who answered and hung up before an agent or the message came counts as
abandoned too. A machine is hung up on at once.

Blending (Bhulai & Koole, "A queueing model for call blending in call centers", IEEE TAC
48(8), 2003): agents who also take inbound calls get outbound work only while more than a
threshold of them are idle. The threshold is settings.DIALER_BLEND_IDLE_THRESHOLD when set;
otherwise it is computed every tick from the inbound queue (`blend_threshold`): the agents
Erlang C needs for the recent inbound arrival rate and handle time to answer
DIALER_INBOUND_SERVICE_LEVEL of calls within DIALER_INBOUND_TARGET_S (three rings), minus the
agents already on inbound calls, at least one while inbound calls arrive at all, plus one per
caller already waiting. Idle inbound-only agents count first; the rest is held back from the
campaigns in turn. A campaign's pacer then plans for its agents minus those held back (the
ready ones first, then those closest to finishing), so it dials as if they were not there.

Restarts and crashes. A call row is committed DIALING before the port is asked to dial it and
a restarted dialer never originates an existing row again: at start it asks the port what
became of every call left DIALING / RINGING / OFFERED / ANSWERED / CONNECTED
(`telephony.recover`; the simulator recomputes it from its journal), applies those events —
a call that rang out meanwhile ends as no answer, a conversation that ended is closed and its
agent goes to wrap-up, a customer who answered while no dialer ran is an abandoned call — and
closes the calls whose fate is still unknown with `calls.settle_interrupted` (failed; an
answered one as abandoned), hanging up whatever the port may still hold of them. Claimed entries and their call rows are one transaction, so
no entry is left "being called" without a call; reservations of agents left by the previous
process are released. The retry rules, not the restart, decide when a customer is called again.

Only one dialer dials at a time: the DialerProcess row named "dialer" is a lease.
A process takes it when it is free, stopped, or its heartbeat (every DIALER_HEARTBEAT_S, 2 s)
is older than DIALER_LEASE_S (15 s) — or at once when the holder ran on this host and its pid
is gone (a crash). Until then a second process stands by, hot: it polls the lease and takes
over when the holder stops or dies. The holder renews the lease with a conditional UPDATE on
its own (pid, host, started_at); if that updates nothing, another process has taken over and
this one stops dialing at once. A holder that cannot renew (database down) stops placing calls
after half the lease time, so two processes never dial together. Hosts' clocks must agree
(NTP) to within a small part of DIALER_LEASE_S.

Database work runs in one worker thread (`sync_to_async(thread_sensitive=True)`), each step
one short transaction; no ORM call is made on the event loop. An error in one campaign, event
or robot is logged and the loop goes on. SIGTERM / SIGINT (the command) stop gracefully: no
new calls, live calls finish for up to DIALER_STOP_GRACE_S, then the lease is released
(stopped_at). A second signal stops at once.

Time scale: with the simulator running faster than real time (time_scale 0.01 = 100 times),
the pacers, the two-second rule, robot wrap-ups and the tick all run in simulated seconds;
the database keeps wall-clock times.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import socket
from collections import defaultdict, deque

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    transaction,
)
from django.db import connection as db_connection
from django.db.models import Avg, Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.core.workers import pid_alive
from servicefirst.dialer import agents, calls, compliance, pacing
from servicefirst.dialer.models import (
    AgentState,
    Call,
    Callback,
    Campaign,
    DialerProcess,
    Disposition,
)
from servicefirst.dialer.telephony.port import AlreadyDialled, Event, EventKind

log = logging.getLogger("servicefirst.dialer")

State = Call.State
Status = AgentState.Status
Outcome = compliance.Outcome
UTC = dt.UTC

PACED_MODES = (Campaign.Mode.PROGRESSIVE, Campaign.Mode.PREDICTIVE)
LIVE_STATES = (State.DIALING, State.RINGING, State.OFFERED, State.ANSWERED, State.CONNECTED)
AVAILABLE = (Status.READY, Status.RESERVED, Status.ON_CALL, Status.WRAP_UP)
ROBOT_PREFIX = "sim:"
MIN_OWN_HISTORY = 200  # calls of its own before a campaign's pacer stops borrowing others'

DEFAULT_ID_MESSAGE = gettext_lazy(
    "This is ServiceFirst Bank calling; we will call you again. To stop our calls, call 95500."
)

# How robots close their calls: disposition kinds and their weights.
ROBOT_DISPOSITIONS = {
    Disposition.Kind.SALE: 6,
    Disposition.Kind.INTERESTED: 14,
    Disposition.Kind.CALLBACK: 8,
    Disposition.Kind.NOT_INTERESTED: 50,
    Disposition.Kind.WRONG_NUMBER: 3,
    Disposition.Kind.DO_NOT_CALL: 3,
    Disposition.Kind.NO_ANSWER: 4,
    Disposition.Kind.OTHER: 12,
}


def _setting(name: str, default):
    value = getattr(settings, name, None)
    return default if value is None else value


@dataclasses.dataclass(frozen=True)
class Options:
    """Everything the dialer reads from settings (the names below, with their defaults);
    the command's flags override some of them."""

    name: str = "dialer"  # DialerProcess row = the lease
    tick_s: float = 1.0  # DIALER_TICK_S: seconds between pacing rounds (simulated seconds)
    min_tick_s: float = 0.05  # never faster than this, in real seconds
    heartbeat_s: float = 2.0  # DIALER_HEARTBEAT_S (real seconds)
    lease_s: float = 15.0  # DIALER_LEASE_S: a heartbeat older than this is a dead dialer
    grace_s: float = 60.0  # DIALER_STOP_GRACE_S: how long live calls may finish on stop
    max_lines: int = 500  # DIALER_MAX_LINES: outbound calls under way at once, all campaigns
    originate_concurrency: int = 50  # DIALER_ORIGINATE_CONCURRENCY
    pacer: str = "ours"  # DIALER_PACER: strategy of predictive campaigns
    pacer_params: dict = dataclasses.field(default_factory=dict)  # DIALER_PACER_PARAMS
    caller_id: str = ""  # DIALER_CALLER_ID
    id_message: object = DEFAULT_ID_MESSAGE  # DIALER_ID_MESSAGE
    blend_threshold: int | None = None  # DIALER_BLEND_IDLE_THRESHOLD (None: Erlang C)
    blend_window_s: float = 1800.0  # DIALER_BLEND_WINDOW_S: inbound arrivals looked at
    inbound_service_level: float = 0.9  # DIALER_INBOUND_SERVICE_LEVEL
    inbound_target_s: float = 3 * calls.RING_CYCLE_S  # DIALER_INBOUND_TARGET_S: three rings
    inbound_aht_s: float = 180.0  # DIALER_INBOUND_AHT_S: handle time before any history
    robots: bool = False  # DIALER_ROBOT_AGENTS
    robot_wrap_mean_s: float = 30.0  # DIALER_ROBOT_WRAP_MEAN_S (simulated seconds)
    history_days: int = 30  # the pacers learn from this much of a campaign's history
    history_calls: int = 5000

    @classmethod
    def from_settings(cls, **overrides) -> Options:
        values = {
            "tick_s": float(_setting("DIALER_TICK_S", cls.tick_s)),
            "heartbeat_s": float(_setting("DIALER_HEARTBEAT_S", cls.heartbeat_s)),
            "lease_s": float(_setting("DIALER_LEASE_S", cls.lease_s)),
            "grace_s": float(_setting("DIALER_STOP_GRACE_S", cls.grace_s)),
            "max_lines": int(_setting("DIALER_MAX_LINES", cls.max_lines)),
            "originate_concurrency": int(
                _setting("DIALER_ORIGINATE_CONCURRENCY", cls.originate_concurrency)
            ),
            "pacer": str(_setting("DIALER_PACER", cls.pacer)),
            "pacer_params": dict(_setting("DIALER_PACER_PARAMS", {})),
            "caller_id": str(_setting("DIALER_CALLER_ID", "")),
            "id_message": _setting("DIALER_ID_MESSAGE", DEFAULT_ID_MESSAGE),
            "blend_threshold": getattr(settings, "DIALER_BLEND_IDLE_THRESHOLD", None),
            "blend_window_s": float(_setting("DIALER_BLEND_WINDOW_S", cls.blend_window_s)),
            "inbound_service_level": float(
                _setting("DIALER_INBOUND_SERVICE_LEVEL", cls.inbound_service_level)
            ),
            "inbound_target_s": float(_setting("DIALER_INBOUND_TARGET_S", cls.inbound_target_s)),
            "inbound_aht_s": float(_setting("DIALER_INBOUND_AHT_S", cls.inbound_aht_s)),
            "robots": bool(_setting("DIALER_ROBOT_AGENTS", False)),
            "robot_wrap_mean_s": float(_setting("DIALER_ROBOT_WRAP_MEAN_S", cls.robot_wrap_mean_s)),
        }
        if values["blend_threshold"] is not None:
            values["blend_threshold"] = int(values["blend_threshold"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# --------------------------------------------------------------------------- blending


def blend_threshold(
    *,
    arrivals_per_s: float,
    aht_s: float,
    inbound_busy: int,
    waiting: int,
    service_level: float = 0.9,
    target_s: float = 15.0,
) -> int:
    """How many idle agents to keep free for inbound calls (Bhulai & Koole 2003's threshold
    on idle agents), from the current inbound load: the agents Erlang C needs to answer
    `service_level` of the calls within `target_s`, less those already on inbound calls; at
    least one while calls arrive at all; plus one for each caller already waiting."""
    from servicefirst.staffing import erlang

    needed = 0
    if arrivals_per_s > 0 and aht_s > 0:
        needed = erlang.agents_for_service_level(arrivals_per_s, aht_s, service_level, target_s)
    floor = 1 if arrivals_per_s > 0 else 0
    return max(0, waiting) + max(floor, needed - max(0, inbound_busy))


def _share_lines(wanted: dict[int, int], agents: dict[int, int], free: int) -> dict[int, int]:
    """The calls each campaign may place now: what its pacer wants while the lines last;
    when they do not, shared in proportion to the campaigns' agents (what one leaves
    unused goes to the others)."""
    grant = dict.fromkeys(wanted, 0)
    free = max(0, free)
    if sum(wanted.values()) <= free:
        return dict(wanted)
    left = {k: v for k, v in wanted.items() if v > 0}
    while free > 0 and left:
        weight = sum(agents.get(k, 1) for k in left) or 1
        given = 0
        for k in sorted(left):
            share = max(1, free * agents.get(k, 1) // weight)
            take = min(share, left[k], free - given)
            grant[k] += take
            left[k] -= take
            given += take
        free -= given
        left = {k: v for k, v in left.items() if v > 0}
        if given == 0:
            break
    return grant


def _hold_order(agent: dict) -> tuple:
    """Which of a campaign's inbound-capable agents are held back for inbound first: the
    ready ones, then those in wrap-up longest, then those talking longest."""
    rank = {Status.READY: 0, Status.WRAP_UP: 1, Status.ON_CALL: 2}.get(agent["status"], 3)
    return (rank, -agent["elapsed"])


# --------------------------------------------------------------------------- the lease


class Lease:
    """The DialerProcess row `name`: held by one process at a time (see the module doc)."""

    def __init__(self, name: str, adapter: str, stale_s: float) -> None:
        self.name = name
        self.adapter = adapter[:20]
        self.stale_s = stale_s
        self.pid = os.getpid()
        self.host = socket.gethostname()[:120]
        self.started_at: dt.datetime | None = None
        self.holder: str = ""

    def _mine(self):
        return DialerProcess.objects.filter(
            name=self.name, pid=self.pid, host=self.host, started_at=self.started_at
        )

    def acquire(self) -> bool:
        now = timezone.now()
        with transaction.atomic():
            row = DialerProcess.objects.select_for_update().filter(name=self.name).first()
            if row is None:
                try:
                    with transaction.atomic():
                        DialerProcess.objects.create(
                            name=self.name,
                            pid=self.pid,
                            host=self.host,
                            adapter=self.adapter,
                            started_at=now,
                            heartbeat_at=now,
                        )
                except IntegrityError:
                    return False
                self.started_at = now
                return True
            free = (
                row.stopped_at is not None
                or row.heartbeat_at < now - dt.timedelta(seconds=self.stale_s)
                or (row.host == self.host and row.pid != self.pid and not pid_alive(row.pid))
            )
            if not free:
                self.holder = f"pid {row.pid} on {row.host}"
                return False
            won = (
                DialerProcess.objects.filter(pk=row.pk, heartbeat_at=row.heartbeat_at)
                .filter(Q(stopped_at=row.stopped_at) if row.stopped_at else Q(stopped_at=None))
                .update(
                    pid=self.pid,
                    host=self.host,
                    adapter=self.adapter,
                    started_at=now,
                    heartbeat_at=now,
                    stopped_at=None,
                )
            )
            if won:
                self.started_at = now
            return bool(won)

    def renew(self) -> bool:
        return bool(self._mine().update(heartbeat_at=timezone.now()))

    def release(self) -> None:
        if self.started_at is not None:
            now = timezone.now()
            self._mine().update(heartbeat_at=now, stopped_at=now)


# --------------------------------------------------------------------------- the dialer


@dataclasses.dataclass
class Counters:
    dialled: int = 0
    answered: int = 0
    connected: int = 0
    abandoned: int = 0
    inbound: int = 0
    inbound_answered: int = 0
    recovered: int = 0
    settled: int = 0
    errors: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class Dialer:
    """One dialer process. `await Dialer(telephony).run()`; `request_stop()` ends it."""

    def __init__(
        self,
        telephony,
        *,
        options: Options | None = None,
        time_scale: float | None = None,
        seed: int | None = None,
    ) -> None:
        self.telephony = telephony
        self.options = options or Options.from_settings()
        if time_scale is None:
            time_scale = getattr(getattr(telephony, "config", None), "time_scale", 1.0)
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.scale = float(time_scale)
        self.adapter = str(getattr(telephony, "name", "telephony"))
        self.lease = Lease(self.options.name, self.adapter, self.options.lease_s)
        self.counters = Counters()
        self.step_times: dict[str, float] = {}  # the slowest run of each database step (s)
        self.blend_threshold_now = 0  # idle agents kept for inbound calls, last round
        self.rng = random.Random(seed)
        self._pacers: dict[int, tuple[str, pacing.BasePacer]] = {}
        self._keys: dict[str, int] = {}
        self._originated: dict[int, dt.datetime] = {}  # call id → when the port was asked
        self._tasks: set[asyncio.Task] = set()
        self._robot_due: dict[int, int | None] = {}  # robot's state id → call being closed
        self._robots_dirty = True
        self._inbound_dirty = True
        self._stats_dirty = True
        self._last: dict[str, float] = {}
        self._cache: dict[str, object] = {}
        self._stopping = False
        self._hard_stop = False
        self._lost = False
        self._running = False
        self._last_renew = -1e9
        self._wrap_mark: dt.datetime | None = None
        self._last_learn = -1e9
        self._last_missed = -1e9
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: deque[Event] = deque()  # telephony events to apply, in order
        self._events_signal: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._originate_slots: asyncio.Semaphore | None = None
        self._t0 = 0.0
        self._lag = 0.0  # how late the event being handled is (real seconds)

    # ------------------------------------------------------------------ clocks and plumbing

    def _now_s(self) -> float:
        """Simulated seconds on a monotonic clock (what the pacers see)."""
        return (self._loop.time() - self._t0) / self.scale

    def _real(self, simulated_s: float) -> float:
        return simulated_s * self.scale

    def _tick_s(self) -> float:
        return max(self.options.min_tick_s, self._real(self.options.tick_s))

    async def _db(self, fn, *args, **kwargs):
        start = self._loop.time() if self._loop is not None else 0.0
        try:
            return await sync_to_async(_guarded(fn), thread_sensitive=True)(*args, **kwargs)
        finally:
            if self._loop is not None:
                took = self._loop.time() - start
                name = getattr(fn, "__name__", "?")
                self.step_times[name] = max(self.step_times.get(name, 0.0), took)

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def request_stop(self, *, now: bool = False) -> None:
        """Stop gracefully (no new calls, live calls may finish); `now`: skip the grace."""
        if self._stopping and not now:
            now = True  # a second request: stop at once
        self._stopping = True
        self._hard_stop = self._hard_stop or now
        if self._stop_event is not None:
            self._stop_event.set()
        self._wake_up()

    def _time_is_up(self) -> None:
        if not self._stopping:  # already stopping (a signal): leave its grace alone
            self.request_stop()

    @property
    def may_dial(self) -> bool:
        """Placing calls is allowed: running, not stopping, the lease surely still ours."""
        fresh = self._loop.time() - self._last_renew < self.options.lease_s / 2
        return self._running and not self._stopping and not self._lost and fresh

    # ------------------------------------------------------------------ the main loop

    async def run(self, *, for_seconds: float | None = None) -> Counters:
        """Take the lease (standing by until it is free), settle what an earlier process
        left, then dial until `request_stop()` (or `for_seconds` of real time)."""
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._events = deque()
        self._events_signal = asyncio.Event()
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._originate_slots = asyncio.Semaphore(self.options.originate_concurrency)
        if for_seconds:
            self._loop.call_at(self._t0 + for_seconds, self._time_is_up)
        if not await self._acquire_lease():
            await self._db(_close_connection)
            return self.counters
        self._last_renew = self._loop.time()
        consumer = heartbeat = None
        started = False
        try:
            await self.telephony.start(self._on_event)
            started = True
            consumer = asyncio.create_task(self._consume(), name="dialer-events")
            heartbeat = asyncio.create_task(self._heartbeat(), name="dialer-heartbeat")
            await self._recover()
            await self._db(_warm_up)
            self._running = True
            log.info("dialer: dialing (%s, time scale %g)", self.adapter, self.scale)
            while not self._stopping:
                await self._tick()
                await self._sleep_until_next_tick()
            if not self._hard_stop and not self._lost:
                await self._drain()
        finally:
            self._running = False
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if consumer is not None:
                await self._drain_events(consumer)
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            if started:
                with contextlib.suppress(Exception):
                    await self.telephony.stop()
            if not self._lost:
                with contextlib.suppress(Exception):
                    await self._db(self.lease.release)
            with contextlib.suppress(Exception):
                await self._db(_close_connection)
        slowest = sorted(self.step_times.items(), key=lambda item: -item[1])[:3]
        log.info(
            "dialer: stopped %s; slowest database steps %s",
            self.counters.as_dict(),
            ", ".join(f"{name} {took * 1000:.0f} ms" for name, took in slowest),
        )
        return self.counters

    async def _acquire_lease(self) -> bool:
        announced = False
        while not self._stopping:
            try:
                if await self._db(self.lease.acquire):
                    log.info("dialer: holding the lease %r", self.lease.name)
                    return True
            except Exception:
                log.exception("dialer: could not take the lease")
            if not announced:
                log.warning(
                    "dialer: standing by — %s holds the lease %r",
                    self.lease.holder or "another process",
                    self.lease.name,
                )
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), self.options.heartbeat_s)
        return False

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_s)
            try:
                await self._db(close_old_connections)
                if await self._db(self.lease.renew):
                    self._last_renew = self._loop.time()
                else:
                    log.critical("dialer: another process took the lease; stopping at once")
                    self._lost = True
                    self.request_stop(now=True)
                    return
            except Exception:
                log.exception("dialer: heartbeat failed")

    async def _sleep_until_next_tick(self) -> None:
        started = self._loop.time()
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._tick_s())
        # Woken early by an event: still no more than one round per min_tick_s.
        rest = self.options.min_tick_s - (self._loop.time() - started)
        if rest > 0:
            await asyncio.sleep(rest)

    async def _step(self, what: str, coro) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            self.counters.errors += 1
            log.exception("dialer: %s failed", what)

    def _due(self, what: str, every_s: float) -> bool:
        """True (and the clock reset) when `what` last ran `every_s` real seconds ago."""
        now = self._loop.time()
        if now - self._last.get(what, -1e9) >= every_s:
            self._last[what] = now
            return True
        return False

    async def _tick(self) -> None:
        if self.options.robots and (self._robots_dirty or self._due("robots", 1.0)):
            self._robots_dirty = False
            await self._step("robots", self._robots_tick())
        if self._inbound_dirty or self._due("inbound", self._tick_s()):
            self._inbound_dirty = False
            await self._step("inbound routing", self._route_waiting())
        await self._step("hang-ups", self._hang_up_requested())
        if not self.may_dial:
            return
        now = timezone.now()
        if self._due("callbacks", 5.0):
            await self._step("callbacks", self._callbacks_tick(now))
        await self._step("queued calls", self._dial_queued())
        await self._step("pacing", self._pace(now))
        await self._step("learning", self._learn_wraps())

    async def _drain(self) -> None:
        """Stopping: no new calls; live calls (and robots' wrap-ups) may finish in the grace."""
        grace_end = self._loop.time() + self.options.grace_s
        log.info("dialer: stopping — letting live calls finish (%g s)", self.options.grace_s)
        while not self._hard_stop and self._loop.time() < grace_end:
            left = await self._db(_live_work, self.options.robots)
            if left == 0 and not self._tasks:
                return
            if self.options.robots:
                await self._step("robots", self._robots_tick())
            await self._step("inbound routing", self._route_waiting())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._tick_s())
        log.warning("dialer: grace over with calls still live; the next start settles them")

    # ------------------------------------------------------------------ events

    async def _on_event(self, event: Event) -> None:
        if event.kind == EventKind.ANSWERED and self._running:
            # The two-second clock is running: an answer does not queue behind other events.
            # (Its call's earlier events were queued before it and reach the database first,
            # or do not matter: an answer is accepted from DIALING as from RINGING.)
            self._spawn(self._handle_safely(event), f"answered-{event.dial_key}")
        else:
            self._events.append(event)
            self._events_signal.set()

    async def _handle_safely(self, event: Event) -> None:
        try:
            await self._handle(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.counters.errors += 1
            log.exception("dialer: handling %s of %s failed", event.kind, event.dial_key)

    async def _consume(self) -> None:
        while True:
            while not self._events:
                self._events_signal.clear()
                await self._events_signal.wait()
            event = self._events.popleft()
            self._lag = (timezone.now() - event.at).total_seconds()
            if event.kind == EventKind.RINGING:
                # Calls ringing are many and alike: apply every one waiting in one step.
                batch = [event]
                while self._events and self._events[0].kind == EventKind.RINGING:
                    batch.append(self._events.popleft())
                try:
                    await self._ringing(batch)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.counters.errors += 1
                    log.exception("dialer: applying %d ringing events failed", len(batch))
                continue
            await self._handle_safely(event)

    async def _ringing(self, events: list[Event]) -> None:
        ids = []
        for event in events:
            call_id = await self._call_id(event.dial_key)
            if call_id is not None:
                ids.append(call_id)
        if ids:
            await self._db(_ringing_many, ids)

    async def _drain_events(self, consumer: asyncio.Task) -> None:
        """Apply the events already delivered, then stop the consumer."""
        deadline = self._loop.time() + 5.0
        while self._events and self._loop.time() < deadline and not consumer.done():
            await asyncio.sleep(0.01)
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer

    async def _call_id(self, dial_key: str) -> int | None:
        call_id = self._keys.get(dial_key)
        if call_id is None:
            call_id = await self._db(
                lambda: Call.objects.filter(dial_key=dial_key).values_list("pk", flat=True).first()
            )
            if call_id is not None:
                self._keys[dial_key] = call_id
        return call_id

    async def _handle(self, event: Event) -> None:
        kind = event.kind
        if kind == EventKind.OFFERED:
            await self._offered(event)
            return
        call_id = await self._call_id(event.dial_key)
        if call_id is None:
            log.warning("dialer: %s for an unknown call %s", kind, event.dial_key)
            return
        if kind == EventKind.RINGING:
            await self._db(_ringing_many, [call_id])
        elif kind == EventKind.ANSWERED:
            # Record the answer and try for an agent in the same step: the two-second clock
            # is running.
            info, connected = await self._db(_answered_and_connect, call_id, event.at)
            self._stats_dirty = True
            self._observe_call(info, event)
            if info["state"] == State.ANSWERED or connected is not None:
                self.counters.answered += 1
            if connected is not None:
                await self._bridge(call_id, event.dial_key, connected)
            elif info["state"] == State.ANSWERED:
                self._spawn(self._put_through(call_id, event), f"answer-{event.dial_key}")
        elif kind == EventKind.MACHINE:
            info = await self._db(_ended, call_id, event.at, "machine", event.at)
            self._observe_call(info, event)
            self._wake_up()
            with contextlib.suppress(Exception):
                await self.telephony.hangup(event.dial_key)  # no message on a machine
        elif kind in (EventKind.BUSY, EventKind.NO_ANSWER, EventKind.FAILED):
            info = await self._db(_ended, call_id, event.at, str(kind), None)
            self._observe_call(info, event)
            self._forget(event.dial_key)
            self._wake_up()
        elif kind == EventKind.HANGUP:
            info = await self._db(_hung_up, call_id, event.at)
            if info["talk_s"]:
                self._observe(info["campaign_id"], "observe_talk", info["talk_s"] / self.scale)
            if info["state"] == State.WRAP_UP:
                self._robots_dirty = True  # perhaps a robot's call: start its wrap-up timer
            if info["direction"] == Call.Direction.INBOUND:
                self._inbound_dirty = True
            self._stats_dirty = True
            self._forget(event.dial_key)
            self._wake_up()
        # CONNECTED: the port confirms a bridge or an answer the database already records.

    def _forget(self, dial_key: str) -> None:
        call_id = self._keys.pop(dial_key, None)
        if call_id is not None:
            self._originated.pop(call_id, None)

    def _observe(self, campaign_id, hook: str, *args) -> None:
        entry = self._pacers.get(campaign_id)
        if entry is None:
            return
        try:
            getattr(entry[1], hook)(*args)
        except Exception:
            log.exception("dialer: pacer %s failed", hook)

    def _observe_call(self, info: dict, event: Event) -> None:
        if info.get("direction") != Call.Direction.OUTBOUND or info.get("agent_id"):
            return  # inbound, or a dedicated call (preview, callback, click): not the pacer's
        asked = self._originated.get(info["id"])
        ring_s = (event.at - asked).total_seconds() if asked is not None else info["ring_s"]
        if ring_s is None:
            return
        machine = info["outcome"] == Outcome.MACHINE
        answered = info["answered"] or machine
        self._observe(
            info["campaign_id"], "observe_call", max(0.0, ring_s) / self.scale, answered, machine
        )

    # ------------------------------------------------------------------ outbound: answers

    async def _put_through(self, call_id: int, event: Event) -> None:
        """An answered customer gets an agent within two seconds, or is abandoned."""
        elapsed = (timezone.now() - event.at).total_seconds()
        deadline = self._loop.time() + self._real(calls.ABANDON_AFTER_S) - max(0.0, elapsed)
        retry = max(0.005, self._real(0.1))
        while True:
            result = await self._db(_try_connect, call_id)
            if result is None:
                if self._loop.time() >= deadline:
                    break
                await asyncio.sleep(min(retry, max(0.0, deadline - self._loop.time())) or 0)
                continue
            await self._bridge(call_id, event.dial_key, result)
            return
        info = await self._db(_abandon, call_id)
        if info is None:
            return  # no longer waiting (it hung up, or was put through at the last moment)
        self.counters.abandoned += 1
        self._stats_dirty = True
        self._observe(info["campaign_id"], "observe_answer", info["wait_s"] / self.scale, True)
        message = self._id_message(info["language"])
        try:
            await self.telephony.abandon(event.dial_key, message)
        except Exception as exc:
            log.warning("dialer: the abandon message for %s failed: %s", event.dial_key, exc)
            with contextlib.suppress(Exception):
                await self.telephony.hangup(event.dial_key)

    async def _bridge(self, call_id: int, dial_key: str, result: dict) -> None:
        if result["state"] != State.CONNECTED:
            return  # the customer hung up meanwhile (the HANGUP closed the call)
        self.counters.connected += 1
        wait_s = result["wait_s"] / self.scale
        self._observe(result["campaign_id"], "observe_answer", wait_s, False)
        try:
            await self.telephony.bridge(dial_key, result["uri"])
        except Exception as exc:
            log.warning("dialer: bridging %s failed: %s", dial_key, exc)
            with contextlib.suppress(Exception):
                await self.telephony.hangup(dial_key)
            await self._db(calls.on_ended, call_id)

    def _id_message(self, language: str) -> str:
        lang = "zh-hans" if (language or "").startswith("zh") else (language or "")
        with translation.override(lang or settings.LANGUAGE_CODE):
            return str(self.options.id_message)

    # ------------------------------------------------------------------ inbound

    async def _offered(self, event: Event) -> None:
        detail = event.detail or {}
        call = await self._db(
            calls.offer_inbound,
            dial_key=event.dial_key,
            caller=str(detail.get("caller", "")),
            queue=str(detail.get("queue") or detail.get("dialled") or "")[:30],
            language=str(detail.get("language", "")),
            product=str(detail.get("product", "")),
            adapter=self.adapter,
            at=event.at,
        )
        self._keys[event.dial_key] = call.pk
        self.counters.inbound += 1
        await self._route(call.pk, event.dial_key)

    async def _route(self, call_id: int, dial_key: str) -> bool:
        result = await self._db(_route_inbound, call_id)
        if result is None:
            return False
        self.counters.inbound_answered += 1
        try:
            await self.telephony.answer(dial_key, result["uri"])
        except Exception as exc:
            log.warning("dialer: answering %s failed: %s", dial_key, exc)
            with contextlib.suppress(Exception):
                await self.telephony.hangup(dial_key)
            await self._db(calls.on_ended, call_id)
        return True

    async def _route_waiting(self) -> None:
        waiting = await self._db(_waiting_inbound)
        for call_id, dial_key in waiting:
            try:
                await self._route(call_id, dial_key)
            except Exception:
                self.counters.errors += 1
                log.exception("dialer: routing inbound %s failed", dial_key)

    async def _hang_up_requested(self) -> None:
        """Agents who pressed Hang up (the desktop marks the call): clear those lines."""
        asked = self._cache.setdefault("hung_up", set())
        for call_id, dial_key in await self._db(_hangups_requested):
            if call_id in asked:
                continue
            asked.add(call_id)
            try:
                await self.telephony.hangup(dial_key)
            except Exception as exc:
                # The port no longer has the call: close it here (nothing more will come).
                log.warning("dialer: hanging up %s failed: %s", dial_key, exc)
                await self._db(calls.on_ended, call_id)
        if len(asked) > 10_000:
            asked.clear()

    # ------------------------------------------------------------------ dialing

    async def _originate(self, call: dict) -> None:
        async with self._originate_slots:
            key = call["dial_key"]
            self._keys[key] = call["id"]
            self._originated[call["id"]] = timezone.now()
            try:
                await self.telephony.originate(
                    key,
                    call["phone"],
                    ring_timeout_s=call["ring_timeout_s"],
                    caller_id=self.options.caller_id,
                )
                self.counters.dialled += 1
            except AlreadyDialled:
                log.error("dialer: %s was dialled before; settling it from the port", key)
                await self._recover_call(call["id"], key)
            except Exception as exc:
                log.warning("dialer: originating %s failed: %s", key, exc)
                await self._db(calls.on_ended, call["id"], outcome="failed")
                self._forget(key)

    async def _originate_all(self, rows: list[dict]) -> None:
        if rows:
            await asyncio.gather(*(self._originate(row) for row in rows))

    async def _dial_queued(self) -> None:
        ids = await self._db(_queued_ids)
        rows = []
        for call_id in ids:
            row = await self._db(_prepare_queued, call_id, self.adapter)
            if row is not None:
                rows.append(row)
        await self._originate_all(rows)

    async def _callbacks_tick(self, now: dt.datetime) -> None:
        if self._loop.time() - self._last_missed > 60:
            self._last_missed = self._loop.time()
            await self._db(_callbacks_missed, now)
        await self._db(_deliver_callbacks, now)
        refused = self._cache.setdefault("callbacks_refused", {})
        clock = self._loop.time()
        for callback_id, staff_ids in await self._db(_due_callbacks, now):
            if clock - refused.get(callback_id, -1e9) < 60:
                continue  # refused a minute ago (compliance, the agent): not again yet
            for staff_id in staff_ids:
                if await self._db(_dial_callback, callback_id, staff_id):
                    refused.pop(callback_id, None)
                    break
            else:
                refused[callback_id] = clock

    async def _pace(self, now: dt.datetime) -> None:
        stats_cache: dict = self._cache.setdefault("stats", {})
        fresh_stats = self._stats_dirty or self._due("stats", 5.0)
        fresh_inbound = self._due("inbound_load", 2.0) or "inbound" not in self._cache
        self._stats_dirty = False
        snap = await self._db(
            _snapshot,
            now,
            self.options,
            self.scale,
            stats=fresh_stats,
            known=frozenset(stats_cache),
            inbound=fresh_inbound,
        )
        stats_cache.update(snap["stats"])
        if snap["inbound"] is not None:
            self._cache["inbound"] = snap["inbound"]
        snap["inbound"] = self._cache["inbound"]
        if not snap["campaigns"]:
            return
        if self._events and self._lag > self._real(1.0):
            # Events are waiting and a simulated second late: what the database says of
            # agents and ringing calls is stale, and dialing on it would snowball.
            if self._due("lag warning", 10.0):
                log.warning(
                    "dialer: %d telephony events waiting, %.1f s late: not dialing until "
                    "they are applied",
                    len(self._events),
                    self._lag,
                )
            return
        holds = self._holds(snap)
        now_s = self._now_s()
        wanted: dict[int, int] = {}
        pacers: dict[int, pacing.BasePacer] = {}
        for c in snap["campaigns"]:
            try:
                pacer = pacers[c["id"]] = await self._pacer_for(c["id"], c["mode"])
                state = self._pacing_state(c, holds.get(c["id"], 0), now, now_s)
                wanted[c["id"]] = max(0, int(pacer.decide(state)))
                if wanted[c["id"]] and log.isEnabledFor(logging.DEBUG):
                    log.debug(
                        "dialer: campaign %s: %d new calls wanted (%d ready of %d agents, "
                        "%d ringing, %d waiting, %d held for inbound; abandoned %s of %s "
                        "live answers today)",
                        c["id"],
                        wanted[c["id"]],
                        sum(1 for a in state.agents if a.status == pacing.READY),
                        len(state.agents),
                        len(state.ringing),
                        state.waiting,
                        holds.get(c["id"], 0),
                        state.day.abandoned,
                        state.day.live_answered,
                    )
            except Exception:
                self.counters.errors += 1
                log.exception("dialer: pacing campaign %s failed", c["id"])
        grant = _share_lines(
            wanted,
            {c["id"]: len(c["agents"]) for c in snap["campaigns"]},
            self.options.max_lines - snap["lines_busy"],
        )
        rows: list[dict] = []
        for campaign_id, n in wanted.items():
            placed = []
            try:
                if grant[campaign_id] > 0:
                    placed = await self._db(
                        _claim_and_queue, campaign_id, grant[campaign_id], self.adapter
                    )
                    rows.extend(placed)
            except Exception:
                self.counters.errors += 1
                log.exception("dialer: dialing for campaign %s failed", campaign_id)
            if len(placed) < n:
                # Fewer than the pacer asked for (lines, the list, the calling hours): tell a
                # pacer that keeps books of what it placed.
                hook = getattr(pacers[campaign_id], "observe_placed", None)
                if hook is not None:
                    hook(n, len(placed))
        await self._originate_all(rows)

    def _holds(self, snap: dict) -> dict[int, int]:
        """Agents each campaign keeps idle for inbound calls (see the module doc)."""
        inbound = snap["inbound"]
        if self.options.blend_threshold is not None:
            threshold = int(self.options.blend_threshold)
        else:
            threshold = blend_threshold(
                arrivals_per_s=inbound["arrivals_per_s"],
                aht_s=inbound["aht_s"],
                inbound_busy=inbound["busy"],
                waiting=inbound["waiting"],
                service_level=self.options.inbound_service_level,
                target_s=self.options.inbound_target_s,
            )
        self.blend_threshold_now = threshold
        remaining = threshold - inbound["idle_elsewhere"]
        holds = {}
        for c in sorted(snap["campaigns"], key=lambda c: c["id"]):
            capable = sum(1 for a in c["agents"] if a["inbound"])
            hold = max(0, min(remaining, capable))
            holds[c["id"]] = hold
            remaining -= hold
        return holds

    def _pacing_state(self, c: dict, hold: int, now: dt.datetime, now_s: float):
        agents_ = c["agents"]
        if hold:
            held = sorted((a for a in agents_ if a["inbound"]), key=_hold_order)[:hold]
            held_ids = {id(a) for a in held}
            agents_ = [a for a in agents_ if id(a) not in held_ids]
        views = [pacing.AgentView(a["status"], a["elapsed"] / self.scale) for a in agents_]
        # How long each call has rung: from when the port was asked to dial it (known here),
        # else from the row's dialed_at (committed just before).
        wall = timezone.now()
        ringing = []
        for call_id, from_row in c["ringing"]:
            asked = self._originated.get(call_id)
            seconds = (wall - asked).total_seconds() if asked is not None else from_row
            ringing.append(pacing.CallView(max(0.0, seconds) / self.scale))
        stats = self._cache["stats"][c["id"]]
        day_end_s = None
        if c["day_left_s"] is not None:
            day_end_s = now_s + c["day_left_s"] / self.scale
        return pacing.PacingState(
            now_s=now_s,
            agents=views,
            ringing=ringing,
            waiting=c["waiting"],
            cap=c["cap"],
            day=pacing.AbandonStats(*stats["day"]),
            rolling_24h=pacing.AbandonStats(*stats["24h"]),
            rolling_30d=pacing.AbandonStats(*stats["30d"]),
            day_end_s=day_end_s,
        )

    async def _pacer_for(self, campaign_id: int, mode: str) -> pacing.BasePacer:
        name = "progressive" if mode == Campaign.Mode.PROGRESSIVE else self.options.pacer
        entry = self._pacers.get(campaign_id)
        if entry is not None and entry[0] == name:
            return entry[1]
        params = self.options.pacer_params if name == self.options.pacer else {}
        pacer = pacing.make_pacer(name, **params)
        history = await self._db(_history, campaign_id, self.options)
        scale = self.scale
        pacer.train(
            calls=[(r / scale, a, m) for r, a, m in history["calls"]],
            # prior talks are simulated seconds already (real calls' lengths)
            talks=history["prior_talks"] + [t / scale for t in history["talks"]],
            wraps=[w / scale for w in history["wraps"]],
        )
        self._pacers[campaign_id] = (name, pacer)
        if self._wrap_mark is None:
            self._wrap_mark = timezone.now()
        log.info(
            "dialer: campaign %s paced by %s (learnt from %d calls)",
            campaign_id,
            name,
            len(history["calls"]),
        )
        return pacer

    async def _learn_wraps(self) -> None:
        """Wrap-ups end on the agents' desktops: learn them from the database now and then."""
        if not self._pacers or self._loop.time() - self._last_learn < max(1.0, self._real(10)):
            return
        self._last_learn = self._loop.time()
        mark = self._wrap_mark or timezone.now()
        rows, self._wrap_mark = await self._db(_wraps_since, list(self._pacers), mark)
        for campaign_id, wrap_s in rows:
            self._observe(campaign_id, "observe_wrap", wrap_s / self.scale)

    # ------------------------------------------------------------------ robots

    async def _robots_tick(self) -> None:
        """Robots come back from a pause, and each wrap-up gets its timer (exponential, mean
        DIALER_ROBOT_WRAP_MEAN_S) after which the robot sets a disposition."""
        for row in await self._db(_robot_states):
            if row["status"] in (Status.PAUSED, Status.OFFLINE):
                await self._db(_robot_ready, row["id"])
                self._wake_up()
            elif self._robot_due.get(row["id"], -1) != row["call_id"]:
                self._robot_due[row["id"]] = row["call_id"]
                wrap = self.rng.expovariate(1.0 / self.options.robot_wrap_mean_s)
                self._spawn(
                    self._robot_wrap_up(row["id"], row["call_id"], self._real(wrap)),
                    f"robot-{row['id']}",
                )

    async def _robot_wrap_up(self, state_id: int, call_id: int | None, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            await self._db(_robot_dispose, state_id, self.rng.random())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.counters.errors += 1
            log.exception("dialer: robot %s could not close its call", state_id)
        finally:
            if self._robot_due.get(state_id, -1) == call_id:
                self._robot_due.pop(state_id, None)
        self._inbound_dirty = True  # a robot free again may take a waiting caller
        self._wake_up()

    # ------------------------------------------------------------------ restarts

    async def _recover(self) -> None:
        """Settle the calls an earlier process left live (see the module doc)."""
        rows = await self._db(_left_live)
        for call_id, dial_key in rows:
            try:
                await self._recover_call(call_id, dial_key)
            except Exception:
                self.counters.errors += 1
                log.exception("dialer: recovering %s failed", dial_key)
        released = await self._db(_release_stale_reservations)
        if rows or released:
            log.warning(
                "dialer: recovered %d calls left live (%d settled as interrupted), "
                "released %d agents",
                len(rows),
                self.counters.settled,
                released,
            )

    async def _recover_call(self, call_id: int, dial_key: str) -> None:
        try:
            events = await self.telephony.recover(dial_key)
        except Exception as exc:
            log.warning("dialer: the port cannot tell what became of %s: %s", dial_key, exc)
            events = []
        self.counters.recovered += 1
        for event in events:
            await self._db(_apply_recovered, call_id, event.kind, event.at)
        final = await self._db(_settle_if_live, call_id)
        if final:
            self.counters.settled += 1
            with contextlib.suppress(Exception):
                await self.telephony.hangup(dial_key)
        self._forget(dial_key)


# =========================================================================== database steps
# Each runs in the dialer's database thread, as one short transaction, and returns plain data.


def _close_connection() -> None:
    db_connection.close()


def _guarded(fn):
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # The connection may be broken (database restarted): start afresh next time.
            if not db_connection.in_atomic_block:
                db_connection.close()
            raise

    return run


def _call_info(call: Call) -> dict:
    return {
        "id": call.pk,
        "state": call.state,
        "outcome": call.outcome,
        "campaign_id": call.campaign_id,
        "agent_id": call.agent_id,
        "direction": call.direction,
        "ring_s": call.ring_s,
        "talk_s": call.talk_s,
        "answered": call.answered_at is not None and call.outcome != Outcome.MACHINE,
    }


def _answered_and_connect(call_id: int, at: dt.datetime) -> tuple[dict, dict | None]:
    info = _call_info(calls.on_answered(call_id, at=at))
    if info["state"] != State.ANSWERED:
        return info, None
    return info, _try_connect(call_id)


def _ringing_many(call_ids: list[int]) -> int:
    """`calls.on_ringing` for many calls at once: DIALING → RINGING (nothing else moves)."""
    return Call.objects.filter(pk__in=call_ids, state=State.DIALING).update(state=State.RINGING)


def _ended(call_id: int, at, outcome: str, answered_at) -> dict:
    return _call_info(calls.on_ended(call_id, at=at, outcome=outcome, answered_at=answered_at))


def _hung_up(call_id: int, at) -> dict:
    """The line is clear. A customer who answered and hung up before any agent came (or
    before the abandon) is an abandoned call: it counts against the cap."""
    state = Call.objects.filter(pk=call_id).values_list("state", "outcome").first()
    if state is not None and state[0] == State.ANSWERED and not state[1]:
        return _call_info(calls.settle_interrupted(call_id, at=at))
    return _call_info(calls.on_ended(call_id, at=at))


def _agent_uri(state: AgentState) -> str:
    if state.phone_uri:
        return state.phone_uri
    extension = getattr(state.staff, "phone_extension", "")
    return extension or f"agent:{state.staff_id}"


@transaction.atomic
def _try_connect(call_id: int) -> dict | None:
    """Reserve an agent for an answered call and put it through, in one transaction.
    None: no agent free yet. A dict with the call's state otherwise."""
    call = Call.objects.select_for_update().get(pk=call_id)
    if call.state != State.ANSWERED:
        return {"state": call.state}
    state = None
    if call.agent_id:
        own = AgentState.objects.filter(staff_id=call.agent_id).first()
        if own is not None and own.status == Status.RESERVED and own.current_call_id == call.pk:
            state = own
        else:
            state = agents.claim_agent(staff_id=call.agent_id)
    else:
        state = agents.claim_agent(campaign_id=call.campaign_id)
    if state is None:
        return None
    call = calls.connect(call.pk, state.pk)
    state = AgentState.objects.select_related("staff").get(pk=state.pk)
    return {
        "state": call.state,
        "uri": _agent_uri(state),
        "campaign_id": call.campaign_id,
        "wait_s": call.wait_s or 0.0,
    }


@transaction.atomic
def _abandon(call_id: int) -> dict | None:
    call = calls.abandon(call_id)
    if call.outcome != Outcome.ABANDONED or call.state != State.ANSWERED:
        return None
    language = ""
    if call.customer_id:
        from servicefirst.customers.models import Customer

        language = (
            Customer.objects.filter(pk=call.customer_id)
            .values_list("preferred_language", flat=True)
            .first()
            or ""
        )
    return {"campaign_id": call.campaign_id, "wait_s": call.wait_s or 0.0, "language": language}


@transaction.atomic
def _route_inbound(call_id: int) -> dict | None:
    call = Call.objects.select_for_update().get(pk=call_id)
    if call.state != State.OFFERED or call.agent_id:
        return None
    state = calls.route_inbound(call)
    if state is None:
        return None
    call = calls.connect(call.pk, state.pk)
    if call.state != State.CONNECTED:
        return None
    state = AgentState.objects.select_related("staff").get(pk=state.pk)
    return {"uri": _agent_uri(state)}


def _waiting_inbound(limit: int = 20) -> list[tuple[int, str]]:
    if not AgentState.objects.filter(status=Status.READY, takes_inbound=True).exists():
        return []
    return list(calls.waiting_inbound().values_list("pk", "dial_key")[:limit])


def _hangups_requested(limit: int = 100) -> list[tuple[int, str]]:
    return list(
        Call.objects.filter(
            hangup_requested_at__isnull=False,
            state__in=(State.DIALING, State.RINGING, State.ANSWERED, State.CONNECTED),
        )
        .order_by("hangup_requested_at")
        .values_list("pk", "dial_key")[:limit]
    )


def _ring_timeout(campaign: Campaign | None) -> float:
    if campaign is None:
        return compliance.ring_timeout_s(compliance.Policy(), None)
    from servicefirst.dialer import lists

    return compliance.ring_timeout_s(lists.policy_for(campaign), campaign.ring_timeout_s)


def _queued_ids(limit: int = 100) -> list[int]:
    return list(
        Call.objects.filter(state=State.QUEUED, direction=Call.Direction.OUTBOUND)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def _prepare_queued(call_id: int, adapter: str) -> dict | None:
    """A page's QUEUED call: reserve its agent (unless the page did) and commit DIALING.
    None: not now (its agent is not ready, or it is outside the customer's calling hours)."""
    now = timezone.now()
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(pk=call_id)
        .first()
    )
    if call is None or call.state != State.QUEUED:
        return None
    from servicefirst.dialer import lists

    policy = lists.policy_for(call.campaign) if call.campaign_id else compliance.Policy()
    hours = compliance.Contact(
        customer_id=call.customer_id or 0,
        phone=call.phone,
        phone_consent=True,
        marketing_consent=True,
    )
    if not compliance.may_dial(hours, [], policy, now):
        return None  # outside the calling hours (or no time zone): it waits
    if call.agent_id:
        own = AgentState.objects.select_for_update().filter(staff_id=call.agent_id).first()
        if own is None:
            return None
        if not (own.status == Status.RESERVED and own.current_call_id == call.pk):
            if own.status != Status.READY:
                return None
            reserved = agents.claim_agent(staff_id=call.agent_id, at=now)
            if reserved is None:
                return None
            reserved.current_call = call
            reserved.save(update_fields=["current_call"])
    dialing = calls.mark_dialing(call.pk, adapter=adapter, at=now)
    if dialing is None:
        return None
    return {
        "id": dialing.pk,
        "dial_key": dialing.dial_key,
        "phone": dialing.phone,
        "ring_timeout_s": _ring_timeout(call.campaign),
    }


def _claim_and_queue(campaign_id: int, n: int, adapter: str) -> list[dict]:
    """Claim up to n entries and write their calls DIALING, in one transaction."""
    from servicefirst.dialer import lists

    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.get(pk=campaign_id)
        entries = lists.claim_entries(campaign, n, now=now)
        if not entries:
            return []
        placed = calls.queue_outbound(entries=entries, mode=campaign.mode, adapter=adapter, at=now)
    timeout = _ring_timeout(campaign)
    return [
        {"id": c.pk, "dial_key": c.dial_key, "phone": c.phone, "ring_timeout_s": timeout}
        for c in placed
    ]


def _deliver_callbacks(now: dt.datetime) -> int:
    from servicefirst.dialer import callbacks

    return callbacks.deliver_due_callbacks(now)


def _callbacks_missed(now: dt.datetime) -> int:
    from servicefirst.dialer import callbacks

    return callbacks.callbacks_mark_missed(now)


def _auto_dialled(state_filter: Q) -> Q:
    """Agents whose callbacks the dialer places: on a progressive/predictive campaign, or
    robots."""
    return state_filter & (
        Q(campaign__mode__in=PACED_MODES, campaign__status=Campaign.Status.ACTIVE)
        | Q(phone_uri__startswith=ROBOT_PREFIX)
    )


def _due_callbacks(now: dt.datetime, limit: int = 50) -> list[tuple[int, list[int]]]:
    """Due callbacks not yet made, each with the READY agents who may make it (best first)."""
    ready = AgentState.objects.filter(_auto_dialled(Q(status=Status.READY)))
    if not ready.exists():
        return []
    rows = list(
        Callback.objects.filter(status=Callback.Status.DUE, done_call__isnull=True, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", "assigned_to_id", "campaign_id")[:limit]
    )
    out = []
    for pk, assigned_to_id, campaign_id in rows:
        if assigned_to_id:
            staff = list(ready.filter(staff_id=assigned_to_id).values_list("staff_id", flat=True))
        elif campaign_id:
            staff = list(
                ready.filter(campaign_id=campaign_id)
                .order_by("since", "id")
                .values_list("staff_id", flat=True)[:3]
            )
        else:
            staff = []
        if staff:
            out.append((pk, staff))
    return out


def _dial_callback(callback_id: int, staff_id: int) -> bool:
    """The agent's desktop action, done for them: take the callback, reserve them, QUEUE."""
    from servicefirst.accounts.models import Staff
    from servicefirst.core.errors import ServiceError
    from servicefirst.dialer import desktop

    staff = Staff.objects.select_related("user").filter(pk=staff_id).first()
    if staff is None:
        return False
    try:
        desktop.callback_dial(actor=staff.user, callback_id=callback_id)
    except ServiceError as exc:
        log.info("dialer: callback %s not dialled for %s: %s", callback_id, staff_id, exc)
        return False
    return True


def _abandon_stats(ids: list[int], now: dt.datetime) -> dict[int, dict]:
    """Live answers and abandons of each campaign: today (local), rolling 24 h and 30 days."""
    from servicefirst.dialer import selectors

    rates = selectors.abandon_rates_many(ids, now) if ids else {}
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    live = Q(answered_at__isnull=False) & ~Q(outcome=Outcome.MACHINE)
    day = {
        row["campaign_id"]: row
        for row in Call.objects.filter(campaign_id__in=ids, answered_at__gte=today)
        .order_by()
        .values("campaign_id")
        .annotate(
            live=Count("pk", filter=live),
            abandoned=Count("pk", filter=Q(outcome=Outcome.ABANDONED)),
        )
    }
    out = {}
    for pk in ids:
        r = rates.get(pk, {"24h": (0, 0, 0.0), "30d": (0, 0, 0.0)})
        d = day.get(pk, {"live": 0, "abandoned": 0})
        out[pk] = {
            "day": (d["live"], d["abandoned"]),
            "24h": (r["24h"][1], r["24h"][0]),
            "30d": (r["30d"][1], r["30d"][0]),
        }
    return out


def _snapshot(
    now: dt.datetime,
    options: Options,
    scale: float,
    *,
    stats: bool,
    known: frozenset = frozenset(),
    inbound: bool,
) -> dict:
    """What pacing needs about every running progressive/predictive campaign, at once. The
    abandonment figures (for all campaigns when `stats`, else only those not `known`) and the
    inbound load (when `inbound`) change slowly: the dialer keeps them a little while."""
    campaigns = list(
        Campaign.objects.filter(status=Campaign.Status.ACTIVE, mode__in=PACED_MODES)
        .order_by("id")
        .values("id", "mode", "abandon_cap", "window_end")
    )
    ids = [c["id"] for c in campaigns]
    by_campaign: dict[int, list[dict]] = defaultdict(list)
    for row in AgentState.objects.filter(campaign_id__in=ids, status__in=AVAILABLE).values(
        "campaign_id", "status", "since", "takes_inbound"
    ):
        by_campaign[row["campaign_id"]].append(
            {
                "status": row["status"],
                "elapsed": max(0.0, (now - row["since"]).total_seconds()),
                "inbound": row["takes_inbound"],
            }
        )
    ringing: dict[int, list[tuple[int, float]]] = defaultdict(list)
    waiting: dict[int, int] = defaultdict(int)
    for row in Call.objects.filter(
        campaign_id__in=ids,
        direction=Call.Direction.OUTBOUND,
        agent__isnull=True,
        state__in=(State.DIALING, State.RINGING, State.ANSWERED),
    ).values("pk", "campaign_id", "state", "dialed_at", "created_at"):
        if row["state"] == State.ANSWERED:
            waiting[row["campaign_id"]] += 1
        else:
            start = row["dialed_at"] or row["created_at"]
            ringing[row["campaign_id"]].append((row["pk"], (now - start).total_seconds()))
    out = []
    local = timezone.localtime(now)
    for c in campaigns:
        if not by_campaign.get(c["id"]):
            continue  # nobody to talk to
        end = local.replace(
            hour=c["window_end"].hour,
            minute=c["window_end"].minute,
            second=c["window_end"].second,
            microsecond=0,
        )
        out.append(
            {
                "id": c["id"],
                "mode": c["mode"],
                "cap": float(c["abandon_cap"]),
                "agents": by_campaign[c["id"]],
                "ringing": ringing.get(c["id"], []),
                "waiting": waiting.get(c["id"], 0),
                "day_left_s": max(0.0, (end - local).total_seconds()),
            }
        )
    busy: dict[int, int] = defaultdict(int)
    lines_busy = 0
    for row in (
        Call.objects.filter(direction=Call.Direction.OUTBOUND, state__in=LIVE_STATES)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
    ):
        busy[row["campaign_id"]] += row["n"]
        lines_busy += row["n"]
    for c in out:
        c["lines_busy"] = busy.get(c["id"], 0)
    wanted = [c["id"] for c in out if stats or c["id"] not in known]
    return {
        "campaigns": out,
        "lines_busy": lines_busy,
        "stats": _abandon_stats(wanted, now) if wanted else {},
        "inbound": _inbound_load(now, ids, options, scale) if inbound else None,
    }


def _inbound_load(now: dt.datetime, paced_ids: list[int], options: Options, scale: float) -> dict:
    """The inbound queue as blending sees it (handle times in simulated seconds)."""
    since = now - dt.timedelta(seconds=options.blend_window_s)
    recent = Call.objects.filter(direction=Call.Direction.INBOUND, source="", dialed_at__gte=since)
    offered = recent.count()
    aht = None
    if offered:
        aht = recent.filter(talk_s__isnull=False).aggregate(
            aht=Avg(F("talk_s") + F("wrap_s"), filter=Q(wrap_s__isnull=False))
        )["aht"]
    busy = AgentState.objects.filter(
        status__in=(Status.RESERVED, Status.ON_CALL, Status.WRAP_UP),
        current_call__direction=Call.Direction.INBOUND,
    ).count()
    idle_elsewhere = (
        AgentState.objects.filter(status=Status.READY, takes_inbound=True)
        .exclude(campaign_id__in=paced_ids)
        .count()
    )
    return {
        "arrivals_per_s": offered / (options.blend_window_s / scale),
        "aht_s": (aht / scale) if aht else options.inbound_aht_s,
        "busy": busy,
        "waiting": calls.waiting_inbound().count(),
        "idle_elsewhere": idle_elsewhere,
    }


def _history(campaign_id: int, options: Options) -> dict:
    """The campaign's recent calls, for a pacer's first lessons (seconds of the database).
    A campaign with little history of its own borrows the other campaigns' recent calls:
    who answers and after how long is the same population, and their talk times are a
    better start than none."""
    since = timezone.now() - dt.timedelta(days=options.history_days)
    done = Call.objects.filter(
        direction=Call.Direction.OUTBOUND,
        dialed_at__gte=since,
        state__in=(State.ENDED, State.WRAP_UP),
        source="",
    ).order_by("-dialed_at")
    fields = ("ring_s", "answered_at", "outcome", "talk_s", "wrap_s")
    rows = list(done.filter(campaign_id=campaign_id).values_list(*fields)[: options.history_calls])
    if len(rows) < MIN_OWN_HISTORY:
        rows += list(
            done.exclude(campaign_id=campaign_id).values_list(*fields)[: options.history_calls]
        )
    out = {"calls": [], "talks": [], "wraps": [], "prior_talks": []}
    for ring_s, answered_at, outcome, talk_s, wrap_s in rows:
        machine = outcome == Outcome.MACHINE
        if ring_s is not None and outcome != Outcome.FAILED:
            out["calls"].append((ring_s, answered_at is not None or machine, machine))
        if talk_s:
            out["talks"].append(talk_s)
        if wrap_s:
            out["wraps"].append(wrap_s)
    if len(out["talks"]) < MIN_OWN_HISTORY:
        out["prior_talks"] = _prior_talks()
    return out


def _prior_talks(n: int = 400) -> list[float]:
    """Talk times to start from when the bank has too few of its own: `n` evenly spaced
    quantiles of real telemarketing call lengths (durations.talk_durations). Without them a
    pacer learns only from the calls that ended first — the short ones — and expects every
    agent to be free at any moment."""
    from servicefirst.dialer.durations import talk_durations

    try:
        lengths = sorted(talk_durations())
    except (OSError, ValueError):
        return []
    step = len(lengths) / n
    return [lengths[int((i + 0.5) * step)] for i in range(n)]


def _wraps_since(campaign_ids: list[int], mark: dt.datetime):
    now = timezone.now()
    rows = list(
        Call.objects.filter(
            campaign_id__in=campaign_ids,
            wrap_ended_at__gt=mark,
            wrap_ended_at__lte=now,
            wrap_s__gt=0,
        ).values_list("campaign_id", "wrap_s")
    )
    return rows, now


def _live_work(robots: bool) -> int:
    live = Call.objects.filter(state__in=LIVE_STATES).count()
    if robots:
        live += AgentState.objects.filter(
            phone_uri__startswith=ROBOT_PREFIX, status=Status.WRAP_UP
        ).count()
    return live


# --- robots ----------------------------------------------------------------------------------


def _robot_states() -> list[dict]:
    rows = AgentState.objects.filter(phone_uri__startswith=ROBOT_PREFIX).filter(
        Q(status=Status.WRAP_UP)
        | Q(status=Status.PAUSED)
        | Q(status=Status.OFFLINE, campaign__isnull=False)
    )
    return [
        {"id": pk, "status": status, "call_id": call_id}
        for pk, status, call_id in rows.values_list("pk", "status", "current_call_id")
    ]


@transaction.atomic
def _robot_ready(state_id: int) -> None:
    state = AgentState.objects.select_for_update().get(pk=state_id)
    if state.status in (Status.PAUSED, Status.OFFLINE):
        if state.status == Status.OFFLINE:
            state.logged_in_at = timezone.now()
            state.save(update_fields=["logged_in_at"])
        agents.transition(state, Status.READY)


def _robot_dispose(state_id: int, u: float) -> None:
    """A robot closes its call: a random disposition of the campaign (weighted like a real
    floor's), ready again. A callback is promised for two hours later, to themselves."""
    state = AgentState.objects.select_related("staff__user").get(pk=state_id)
    if state.status != Status.WRAP_UP:
        return
    call = Call.objects.filter(pk=state.current_call_id).first() if state.current_call_id else None
    if call is None or call.wrap_ended_at is not None or call.state == State.CONNECTED:
        if call is None or call.wrap_ended_at is not None:
            with transaction.atomic():
                agents.transition(state, Status.READY)
        return
    choices = (
        list(Disposition.objects.filter(campaign_id=call.campaign_id)) if call.campaign_id else []
    )
    weights = [ROBOT_DISPOSITIONS.get(d.kind, 1) for d in choices]
    order = []
    if choices:
        total, acc = sum(weights), 0.0
        for d, w in zip(choices, weights, strict=True):
            acc += w / total
            if u <= acc:
                order.append(d)
                break
        order += [d for d in choices if d.kind != Disposition.Kind.CALLBACK and d not in order]
    notes = _("Simulated call (robot agent).")
    from servicefirst.core.errors import ServiceError

    for disposition in order or [None]:
        kwargs = {"notes": notes}
        if disposition is not None:
            kwargs["disposition_id"] = disposition.pk
            if disposition.kind == Disposition.Kind.CALLBACK:
                kwargs["callback_at"] = timezone.now() + dt.timedelta(hours=2)
                kwargs["callback_for_id"] = state.staff_id
        try:
            calls.call_disposition(actor=state.staff.user, call_id=call.pk, **kwargs)
            return
        except ServiceError as exc:
            log.info("dialer: robot disposition %s refused: %s", disposition, exc)
    raise RuntimeError(f"robot {state_id} could not close call {call.pk}")


# --- restarts --------------------------------------------------------------------------------


def _warm_up() -> None:
    """Load what the first compliance checks would otherwise load while calls wait: the
    holiday calendar of this year and next."""
    year = timezone.localdate().year
    calendar = compliance.china_holidays()
    for y in (year, year + 1):
        _ = dt.date(y, 1, 1) in calendar


def _left_live() -> list[tuple[int, str]]:
    return list(
        Call.objects.filter(state__in=LIVE_STATES).order_by("id").values_list("pk", "dial_key")
    )


def _apply_recovered(call_id: int, kind: str, at: dt.datetime) -> None:
    if kind == EventKind.RINGING:
        calls.on_ringing(call_id, at=at)
    elif kind == EventKind.ANSWERED:
        calls.on_answered(call_id, at=at)
    elif kind == EventKind.MACHINE:
        calls.on_ended(call_id, at=at, outcome="machine", answered_at=at)
    elif kind in (EventKind.BUSY, EventKind.NO_ANSWER, EventKind.FAILED):
        calls.on_ended(call_id, at=at, outcome=str(kind))
    elif kind == EventKind.HANGUP:
        _hung_up(call_id, at)
    # OFFERED, CONNECTED: the database records them already (or the agent is unknown).


def _settle_if_live(call_id: int) -> bool:
    state = Call.objects.filter(pk=call_id).values_list("state", flat=True).first()
    if state in LIVE_STATES:
        calls.settle_interrupted(call_id)
        return True
    return False


@transaction.atomic
def _release_stale_reservations() -> int:
    """Agents an earlier process reserved for a call that is no longer coming."""
    coming = (State.QUEUED, State.DIALING, State.RINGING, State.ANSWERED, State.OFFERED)
    stale = AgentState.objects.select_for_update().filter(status=Status.RESERVED)
    count = 0
    for state in stale:
        call = (
            Call.objects.filter(pk=state.current_call_id).first() if state.current_call_id else None
        )
        if call is not None and call.state in coming:
            continue
        agents.release_agent(state)
        count += 1
    return count
