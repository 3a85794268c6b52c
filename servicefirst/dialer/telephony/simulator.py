"""The embedded telephony simulator: the default adapter, used by the demo, training and tests.

Every call is decided by a random stream seeded by its dial_key (and the simulator's seed): the
stream is drawn in a fixed order when the call starts — setup time, the outcome, ring time, the
answering-machine draw, talk time, patience, a machine's message length — so the same key placed
at the same moment always has the same fate, whatever the dialer does with it. That is what lets
`recover(dial_key)` after a restart recompute what happened: the journal (JSON lines, fsync'd
before `originate` returns) keeps the originate time, the seed, the parameters, and every action
the dialer took (bridge, abandon, hangup, answer) with its time.

The simulated world:
- a person or a machine picks up with a probability that follows the customer's local hour
  (lower at 9:00, higher at lunch and in the evening; mean over the calling day ~30%), after
  5–15 s of ringing; busy ~10%; otherwise no answer when the ring timeout runs out; ~7% of the
  pick-ups are answering machines; numbers that are not valid E.164 numbers fail;
- a person who answers and hears nobody hangs up after 3–10 s (the dialer's 2-second rule comes
  first); once bridged, they talk for a length drawn from the real telemarketing call durations
  (`servicefirst.dialer.durations.talk_durations()`) and hang up, unless the agent hangs up first;
- `abandon` plays the identification message (its text is recorded; it takes
  `abandon_message_s`), then clears the line;
- inbound calls are injected with `offer_inbound(caller, dialled)`; the caller waits with an
  exponential patience (mean `inbound_patience_mean_s`) and then hangs up if nobody answered.

Times: all durations are simulated seconds; `time_scale` maps them to real time (0.01 = 100x
faster). Event times (`Event.at`) are real wall-clock times; event details carry simulated
seconds (`ring_s`, `talk_s`, `waited_s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers

from .journal import CallJournal, from_iso, to_iso
from .port import AlreadyDialled, Event, EventHandler, EventKind, TelephonyError

log = logging.getLogger(__name__)

# Probability that someone (a person or a machine) picks up, by the customer's local hour.
# Low at 9:00, a lunch peak, an evening peak; the mean over 9:00–21:00 is 0.30.
DEFAULT_ANSWER_BY_HOUR: dict[int, float] = {
    0: 0.05, 1: 0.04, 2: 0.04, 3: 0.04, 4: 0.05, 5: 0.07, 6: 0.10, 7: 0.15, 8: 0.18,
    9: 0.20, 10: 0.25, 11: 0.28, 12: 0.38, 13: 0.36, 14: 0.26, 15: 0.25, 16: 0.27,
    17: 0.30, 18: 0.36, 19: 0.40, 20: 0.35, 21: 0.25, 22: 0.15, 23: 0.08,
}  # fmt: skip
DAY_HOURS = range(9, 21)
DRAWN_PARAMS = (
    "busy_rate", "machine_rate", "failure_rate", "setup_min_s", "setup_max_s", "ring_min_s",
    "ring_max_s", "patience_min_s", "patience_max_s", "machine_min_s", "machine_max_s",
    "abandon_message_s", "inbound_patience_mean_s",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SimulatorConfig:
    """The simulated world's parameters (seconds are simulated seconds)."""

    answer_by_hour: Mapping[int, float] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_ANSWER_BY_HOUR)
    )
    answer_rate: float | None = None  # rescales the profile so its 9:00–21:00 mean is this
    busy_rate: float = 0.10
    machine_rate: float = 0.07  # share of pick-ups that are answering machines
    failure_rate: float = 0.0  # network failures among valid numbers
    setup_min_s: float = 1.0
    setup_max_s: float = 3.0
    ring_min_s: float = 5.0
    ring_max_s: float = 15.0
    patience_min_s: float = 3.0  # an answered customer hearing silence
    patience_max_s: float = 10.0
    machine_min_s: float = 20.0  # a machine's greeting, beep and recording time
    machine_max_s: float = 40.0
    abandon_message_s: float = 5.0
    inbound_patience_mean_s: float = 90.0
    time_scale: float = 1.0
    seed: str = "servicefirst"
    time_zone: str = "Asia/Shanghai"  # for numbers whose zone cannot be told

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive.")
        for name in ("busy_rate", "machine_rate", "failure_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}.")
        if self.answer_rate is not None and not 0 <= self.answer_rate <= 1:
            raise ValueError("answer_rate must be between 0 and 1.")
        profile = {int(h): float(p) for h, p in self.answer_by_hour.items()}
        missing = set(range(24)) - set(profile)
        if missing:
            raise ValueError(f"answer_by_hour lacks hours {sorted(missing)}.")
        if self.answer_rate is not None:
            mean = sum(profile[h] for h in DAY_HOURS) / len(DAY_HOURS)
            factor = self.answer_rate / mean if mean else 0.0
            profile = {h: min(1.0, p * factor) for h, p in profile.items()}
        object.__setattr__(self, "answer_by_hour", profile)

    def answer_probability(self, number: str, at: dt.datetime) -> float:
        return self.answer_by_hour[local_hour(number, at, self.time_zone)]

    @classmethod
    def from_options(cls, options: Mapping) -> SimulatorConfig:
        """From settings-style options (upper- or lower-case keys); unknown keys are refused."""
        defaults = cls()
        names = {f.name for f in dataclasses.fields(cls)}
        values = {}
        for key, value in options.items():
            name = str(key).lower()
            if name not in names:
                raise ValueError(f"Unknown simulator option {key!r}.")
            default = getattr(defaults, name)
            if isinstance(value, str) and isinstance(default, float):
                value = float(value)  # from the environment
            elif name == "answer_rate" and isinstance(value, str):
                value = float(value)
            values[name] = value
        return cls(**values)


def local_hour(number: str, at: dt.datetime, default_zone: str) -> int:
    from servicefirst.dialer.compliance import phone_time_zones

    zones = phone_time_zones(number) if number else ()
    zone = ZoneInfo(zones[0] if zones else default_zone)
    return at.astimezone(zone).hour


def valid_number(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return number.startswith("+") and phonenumbers.is_valid_number(parsed)


@dataclasses.dataclass(frozen=True)
class Draws:
    """All random draws of one call, made up front and always in this order."""

    setup_s: float
    outcome_u: float
    ring_s: float
    machine_u: float
    talk_s: float
    patience_s: float
    machine_s: float
    inbound_patience_s: float

    @classmethod
    def make(cls, seed: str, key: str, p: Mapping, talk: Sequence[float]) -> Draws:
        digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:16], "big"))
        return cls(
            setup_s=rng.uniform(p["setup_min_s"], p["setup_max_s"]),
            outcome_u=rng.random(),
            ring_s=rng.uniform(p["ring_min_s"], p["ring_max_s"]),
            machine_u=rng.random(),
            talk_s=float(rng.choice(talk)),
            patience_s=rng.uniform(p["patience_min_s"], p["patience_max_s"]),
            machine_s=rng.uniform(p["machine_min_s"], p["machine_max_s"]),
            inbound_patience_s=rng.expovariate(1.0 / p["inbound_patience_mean_s"]),
        )


# States a simulated call passes through.
DIALING, RINGING, ANSWERED, MACHINE, OFFERED, CONNECTED, ABANDONING, ENDED = (
    "dialing",
    "ringing",
    "answered",
    "machine",
    "offered",
    "connected",
    "abandoning",
    "ended",
)


@dataclasses.dataclass(frozen=True)
class _Step:
    offset: float  # simulated seconds after the call started
    kind: EventKind
    detail: dict
    state: str  # the call's state once this event happened


class InvalidAction(TelephonyError):
    pass


@dataclasses.dataclass
class _Call:
    key: str
    opening: dict  # the journal's originate/inbound record
    draws: Draws
    actions: list[dict] = dataclasses.field(default_factory=list)
    emitted: int = 0
    steps: list[_Step] = dataclasses.field(default_factory=list)
    handle: asyncio.TimerHandle | None = None

    @property
    def started(self) -> dt.datetime:
        return from_iso(self.opening["at"])

    @property
    def scale(self) -> float:
        return float(self.opening["time_scale"])

    def offset(self, at: dt.datetime) -> float:
        return (at - self.started).total_seconds() / self.scale

    def at(self, offset: float) -> dt.datetime:
        return self.started + dt.timedelta(seconds=offset * self.scale)


def _base_steps(opening: dict, draws: Draws) -> list[_Step]:
    """What happens to a call if the dialer does nothing with it."""
    p = opening["params"]
    if opening["op"] == "inbound":
        waited = draws.inbound_patience_s
        return [
            _Step(
                0.0,
                EventKind.OFFERED,
                {
                    **opening.get("detail", {}),
                    "caller": opening["caller"],
                    "dialled": opening["dialled"],
                },
                OFFERED,
            ),
            _Step(
                waited,
                EventKind.HANGUP,
                {"by": "customer", "before_answer": True, "waited_s": round(waited, 3)},
                ENDED,
            ),
        ]
    setup = draws.setup_s
    if not opening["valid"]:
        return [_Step(setup, EventKind.FAILED, {"cause": "invalid_number"}, ENDED)]
    u = draws.outcome_u
    if u < p["failure_rate"]:
        return [_Step(setup, EventKind.FAILED, {"cause": "network"}, ENDED)]
    u -= p["failure_rate"]
    if u < p["busy_rate"]:
        return [_Step(setup, EventKind.BUSY, {}, ENDED)]
    u -= p["busy_rate"]
    ring_timeout = float(opening["ring_timeout_s"])
    steps = [_Step(setup, EventKind.RINGING, {}, RINGING)]
    if u < p["p_answer"] and draws.ring_s <= ring_timeout:
        ring = round(draws.ring_s, 3)
        answer = setup + draws.ring_s
        if draws.machine_u < p["machine_rate"]:
            steps.append(_Step(answer, EventKind.MACHINE, {"ring_s": ring}, MACHINE))
            steps.append(
                _Step(
                    answer + draws.machine_s,
                    EventKind.HANGUP,
                    {"by": "customer", "machine": True},
                    ENDED,
                )
            )
        else:
            steps.append(_Step(answer, EventKind.ANSWERED, {"ring_s": ring}, ANSWERED))
            waited = round(draws.patience_s, 3)
            steps.append(
                _Step(
                    answer + draws.patience_s,
                    EventKind.HANGUP,
                    {"by": "customer", "unattended": True, "waited_s": waited},
                    ENDED,
                )
            )
    else:
        steps.append(
            _Step(setup + ring_timeout, EventKind.NO_ANSWER, {"ring_s": ring_timeout}, ENDED)
        )
    return steps


def _state_at(steps: list[_Step], offset: float) -> tuple[str, _Step | None]:
    state, last = DIALING, None
    for step in steps:
        if step.offset <= offset:
            state, last = step.state, step
    return state, last


def _apply(call: _Call, steps: list[_Step], action: dict) -> list[_Step]:
    """The steps after the dialer's `action` (raises InvalidAction if it cannot be done)."""
    t = float(action["offset"])
    op = action["op"]
    state, last = _state_at(steps, t)
    kept = [s for s in steps if s.offset <= t]
    draws, p = call.draws, call.opening["params"]
    if op == "hangup":
        if state == ENDED:
            return steps  # already over: nothing to do
        by = action.get("by") or ("agent" if state == CONNECTED else "system")
        detail: dict = {"by": by}
        if state in (DIALING, RINGING, OFFERED):
            detail["before_answer"] = True
        return [*kept, _Step(t, EventKind.HANGUP, detail, ENDED)]
    if op in ("bridge", "answer"):
        wanted = (ANSWERED, MACHINE) if op == "bridge" else (OFFERED,)
        if state not in wanted:
            raise InvalidAction(
                f"Call {call.key} cannot be put through to an agent: it is {state}."
            )
        talk = draws.talk_s
        if state == MACHINE:  # the machine records until its own end
            talk = max(0.5, steps[-1].offset - t)
        connected = {"agent_uri": action["agent_uri"]}
        if state == OFFERED:
            connected["waited_s"] = round(t, 3)
        return [
            *kept,
            _Step(t, EventKind.CONNECTED, connected, CONNECTED),
            _Step(t + talk, EventKind.HANGUP, {"by": "customer", "talk_s": round(talk, 3)}, ENDED),
        ]
    if op == "abandon":
        if state not in (ANSWERED, MACHINE):
            raise InvalidAction(f"Call {call.key} cannot be abandoned: it is {state}.")
        message_s = float(p["abandon_message_s"])
        detail = {
            "by": "system",
            "abandoned": True,
            "message": action.get("message", ""),
            "message_s": message_s,
        }
        return [*kept, _Step(t + message_s, EventKind.HANGUP, detail, ENDED)]
    raise InvalidAction(f"Unknown action {op!r}.")


def _replay(call: _Call) -> list[_Step]:
    steps = _base_steps(call.opening, call.draws)
    for action in call.actions:
        try:
            steps = _apply(call, steps, action)
        except InvalidAction:
            log.warning("Ignoring an impossible %s of %s in the journal.", action["op"], call.key)
    return steps


def _default_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _settings_defaults() -> dict:
    """SIMULATOR options and the paths that come from Django settings, if configured."""
    try:
        from django.conf import settings

        return {
            "var_dir": Path(settings.VAR_DIR),
            "time_zone": getattr(settings, "TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai",
        }
    except Exception:  # settings not configured (a bare script)
        return {"var_dir": Path("var"), "time_zone": "Asia/Shanghai"}


class SimulatorTelephony:
    name = "simulator"

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        journal_path: str | Path | None = None,
        talk_times: Sequence[float] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        **options,
    ) -> None:
        """`options` are SimulatorConfig fields (e.g. time_scale=0.01, busy_rate=0.1), used when
        `config` is not given. `talk_times` replaces the real call durations (seconds)."""
        defaults = _settings_defaults()
        if config is None:
            options.setdefault("time_zone", defaults["time_zone"])
            config = SimulatorConfig.from_options(options)
        elif options:
            raise TypeError("Give either a config or options, not both.")
        self.config = config
        self.journal = CallJournal(
            journal_path or defaults["var_dir"] / "telephony-sim" / "journal.jsonl"
        )
        self._talk = tuple(talk_times) if talk_times is not None else None
        self._clock = clock or _default_clock
        self._calls: dict[str, _Call] = {}
        self._on_event: EventHandler | None = None
        self._queue: asyncio.Queue[Event] | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, on_event: EventHandler) -> None:
        if self._worker is not None:
            raise TelephonyError("The simulator is running already.")
        self._loop = asyncio.get_running_loop()
        self._on_event = on_event
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._deliver(), name="telephony-sim-events")

    async def stop(self) -> None:
        for call in self._calls.values():
            if call.handle is not None:
                call.handle.cancel()
                call.handle = None
        self._calls.clear()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._worker = self._queue = self._on_event = self._loop = None

    async def _deliver(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                if self._on_event is not None:
                    await self._on_event(event)
            except Exception:
                log.exception("The dialer's event handler failed on %s", event)

    # -- the port --------------------------------------------------------------------------

    def talk_times(self) -> Sequence[float]:
        if self._talk is None:
            from servicefirst.dialer.durations import talk_durations

            self._talk = talk_durations()
        return self._talk

    def _params(self, number: str, at: dt.datetime) -> dict:
        """Everything that decides the call, kept in the journal with it."""
        c = self.config
        params = {name: getattr(c, name) for name in DRAWN_PARAMS}
        params["p_answer"] = c.answer_probability(number, at) if valid_number(number) else 0.0
        return params

    async def originate(
        self, dial_key: str, number: str, *, ring_timeout_s: float, caller_id: str = ""
    ) -> None:
        self._require_running()
        if dial_key in self._calls or self.journal.knows(dial_key):
            raise AlreadyDialled(f"Call {dial_key!r} was placed before; not dialling it again.")
        now = self._clock()
        opening = {
            "op": "originate",
            "key": dial_key,
            "number": number,
            "caller_id": caller_id,
            "at": to_iso(now),
            "seed": self.config.seed,
            "ring_timeout_s": float(ring_timeout_s),
            "time_scale": self.config.time_scale,
            "valid": valid_number(number),
            "params": self._params(number, now),
        }
        await asyncio.to_thread(self.journal.claim, opening)
        self._open(opening)

    async def offer_inbound(
        self,
        caller: str,
        dialled: str,
        *,
        dial_key: str | None = None,
        detail: Mapping | None = None,
    ) -> str:
        """Inject an inbound call (→ OFFERED now); returns its dial_key. `detail` adds to the
        OFFERED event's detail (e.g. {"language": "zh", "product": "deposit"}, as an IVR would
        tell)."""
        self._require_running()
        key = dial_key or f"sim-in-{uuid.uuid4().hex[:24]}"
        if key in self._calls or self.journal.knows(key):
            raise AlreadyDialled(f"Call {key!r} exists already.")
        now = self._clock()
        opening = {
            "op": "inbound",
            "key": key,
            "caller": caller,
            "dialled": dialled,
            "detail": dict(detail or {}),
            "at": to_iso(now),
            "seed": self.config.seed,
            "time_scale": self.config.time_scale,
            "params": self._params(caller, now),
        }
        await asyncio.to_thread(self.journal.claim, opening)
        self._open(opening)
        return key

    async def bridge(self, dial_key: str, agent_uri: str) -> None:
        await self._act(dial_key, {"op": "bridge", "agent_uri": agent_uri})

    async def answer(self, dial_key: str, agent_uri: str) -> None:
        await self._act(dial_key, {"op": "answer", "agent_uri": agent_uri})

    async def abandon(self, dial_key: str, message: str) -> None:
        await self._act(dial_key, {"op": "abandon", "message": message})

    async def hangup(self, dial_key: str, *, by: str | None = None) -> None:
        """`by` ("agent" or "system") overrides the default: "agent" once connected, else "system"."""
        action = {"op": "hangup"}
        if by:
            action["by"] = by
        await self._act(dial_key, action)

    async def recover(self, dial_key: str) -> list[Event]:
        """The events of the call up to now, recomputed from the journal. While the simulator is
        running, a call that is not over yet is resumed: its later events arrive live and the
        dialer may act on it again (bridge it, hang it up)."""
        call = self._calls.get(dial_key) or self._resume(dial_key)
        if call is None:
            return []
        return [self._event(call, s) for s in call.steps[: call.emitted]]

    def _resume(self, dial_key: str) -> _Call | None:
        """A call placed by an earlier process, as it stands now (followed again if running)."""
        call = self._load(dial_key)
        if call is None:
            return None
        now = self._clock()
        call.steps = _replay(call)
        call.emitted = sum(1 for s in call.steps if call.at(s.offset) <= now)
        if self._worker is not None and call.emitted < len(call.steps):
            self._calls[dial_key] = call
            self._schedule_next(call)
        return call

    # -- inspection (demo, benchmark, tests) ------------------------------------------------

    def preview(
        self, dial_key: str, number: str, *, at: dt.datetime, ring_timeout_s: float
    ) -> list[Event]:
        """The fate of a call with this key placed at `at` if the dialer leaves it alone, without
        placing it (nothing is journaled) — the same draws `originate` would make."""
        opening = {
            "op": "originate",
            "key": dial_key,
            "number": number,
            "at": to_iso(at),
            "seed": self.config.seed,
            "ring_timeout_s": float(ring_timeout_s),
            "time_scale": self.config.time_scale,
            "valid": valid_number(number),
            "params": self._params(number, at),
        }
        call = _Call(key=dial_key, opening=opening, draws=self._draws(opening))
        return [self._event(call, s) for s in _base_steps(opening, call.draws)]

    def timeline(self, dial_key: str) -> list[Event]:
        """Every event of the call as things stand (including those still to come)."""
        call = self._calls.get(dial_key) or self._load(dial_key)
        if call is None:
            raise TelephonyError(f"No call {dial_key!r}.")
        steps = call.steps or _replay(call)
        return [self._event(call, s) for s in steps]

    # -- internals ---------------------------------------------------------------------------

    def _require_running(self) -> None:
        if self._worker is None:
            raise TelephonyError("The simulator is not started.")

    def _load(self, key: str) -> _Call | None:
        records = self.journal.records(key)
        opening = next((r for r in records if r.get("op") in ("originate", "inbound")), None)
        if opening is None:
            return None
        call = _Call(key=key, opening=opening, draws=self._draws(opening))
        call.actions = [
            r for r in records if r.get("op") in ("bridge", "answer", "abandon", "hangup")
        ]
        return call

    def _draws(self, opening: dict) -> Draws:
        return Draws.make(opening["seed"], opening["key"], opening["params"], self.talk_times())

    def _open(self, opening: dict) -> None:
        call = _Call(key=opening["key"], opening=opening, draws=self._draws(opening))
        call.steps = _replay(call)
        self._calls[call.key] = call
        self._schedule_next(call)

    def _event(self, call: _Call, step: _Step) -> Event:
        return Event(
            kind=step.kind, dial_key=call.key, at=call.at(step.offset), detail=dict(step.detail)
        )

    def _schedule_next(self, call: _Call) -> None:
        if call.handle is not None:
            call.handle.cancel()
            call.handle = None
        if self._loop is None or call.emitted >= len(call.steps):
            if call.emitted >= len(call.steps):
                self._calls.pop(call.key, None)
            return
        step = call.steps[call.emitted]
        delay = max(0.0, (call.at(step.offset) - self._clock()).total_seconds())
        call.handle = self._loop.call_later(delay, self._fire, call)

    def _fire(self, call: _Call) -> None:
        call.handle = None
        if call.emitted >= len(call.steps) or self._queue is None:
            return
        step = call.steps[call.emitted]
        call.emitted += 1
        self._queue.put_nowait(self._event(call, step))
        self._schedule_next(call)

    async def _act(self, dial_key: str, action: dict) -> None:
        self._require_running()
        call = self._calls.get(dial_key) or self._resume(dial_key)
        if call is None:
            raise TelephonyError(f"No call {dial_key!r}.")
        if dial_key not in self._calls:  # over
            if action["op"] == "hangup":
                return
            raise TelephonyError(f"Call {dial_key!r} is over.")
        now = self._clock()
        offset = call.offset(now)
        # Never act before an event already delivered: what the dialer saw stays true.
        if call.emitted:
            offset = max(offset, call.steps[call.emitted - 1].offset)
        action = {**action, "key": dial_key, "at": to_iso(now), "offset": offset}
        steps = _apply(call, call.steps, action)  # raises InvalidAction: nothing changes
        if steps is call.steps:
            return  # a hang-up of a call that is ending anyway
        if call.handle is not None:  # hold everything until the action is on disk
            call.handle.cancel()
            call.handle = None
        call.actions.append(action)
        call.steps = steps
        try:
            await asyncio.to_thread(self.journal.append, action)
        finally:
            self._schedule_next(call)
