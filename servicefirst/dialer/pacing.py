"""Pacing: how many new calls the dialer places now, for one campaign.

Pure Python and numpy: no Django, no database. The dialer process builds a `PacingState`
from its live view of the campaign every second (and whenever an agent frees up or a call
fails), asks its `Pacer` for a number, and originates that many calls; it feeds the pacer
what history teaches through the `observe_*` hooks (from the `Call` rows at start-up, then
live). The benchmark (`servicefirst.dialer.simulation`, `bench/dialer.py`) drives exactly
the same objects through a simulated day.

Strategies (`make_pacer(name, **params)`):

- ``preview`` — the agent sees the next customer's record for `preview_s` seconds (status
  ``reserved``), then dials them; one call per agent, never an abandoned call. A failed
  attempt sends the agent to the next customer's record.
- ``progressive`` — one call per free agent, counting the calls already ringing and the
  answered calls waiting: it never abandons a call.
- ``ratio`` — a fixed number of lines per free agent (`ratio`, default 2.0) minus the calls
  already ringing: the blunt instrument of early predictive dialers.
- ``vicidial`` — an emulation of VICIdial's adaptive methods (`AST_VDadapt.pl` and
  `AST_VDauto_dial.pl`): lines = dial level × agents counted − calls in progress (by
  default VICIdial's `available_only_ratio_tally` = Y: ready agents, calls ringing or
  waiting); every 15 s the level is multiplied by 1 + (mean ready agents − mean waiting
  calls over the last 15 one-second samples) / mean agents, kept within [1, 3]; when more
  than 50 calls were placed today and today's drop rate (drops / answers) is over the
  target, ADAPT_AVERAGE halves it, ADAPT_TAPERED multiplies it by the hours left / 10,
  ADAPT_HARD_LIMIT sets it to 1.
- ``ours`` — `PredictivePacer`, see its docstring.
- ``oracle`` — the same decision rule told every agent's true remaining busy time
  (`AgentView.remaining_s`): a ceiling for the benchmark, impossible in the product.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

READY = "ready"
RESERVED = "reserved"
ON_CALL = "on_call"
WRAP_UP = "wrap_up"
STATUSES = (READY, RESERVED, ON_CALL, WRAP_UP)


# --------------------------------------------------------------------------- the state


@dataclass(frozen=True, slots=True)
class AgentView:
    """One logged-in, unpaused agent as the pacer sees them."""

    status: str  # "ready" | "reserved" | "on_call" | "wrap_up"
    elapsed_s: float  # seconds in the current status
    # Only a simulation sets this, for the benchmark's oracle: the true seconds until the
    # agent is free again. The product never knows it; the real pacers ignore it.
    remaining_s: float | None = None


@dataclass(frozen=True, slots=True)
class CallView:
    """A call dialled and still ringing (not yet answered, busy or timed out)."""

    elapsed_s: float  # seconds since it was dialled


@dataclass
class AbandonStats:
    """Live-answered calls (by a person; machines excluded) and how many were abandoned."""

    live_answered: int = 0
    abandoned: int = 0

    @property
    def rate(self) -> float:
        return self.abandoned / self.live_answered if self.live_answered else 0.0


STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}


class AgentTable(Sequence[AgentView]):
    """The agents as columns — a status code (index into STATUSES) and the seconds in that
    status per agent, optionally the true remaining busy seconds (simulation only). Behaves
    as a sequence of AgentView; pacers read the columns directly, which keeps a simulation
    of a hundred agents deciding every second fast. The product may pass a plain list."""

    __slots__ = ("codes", "elapsed", "remaining")

    def __init__(self, codes: np.ndarray, elapsed: np.ndarray, remaining: np.ndarray | None = None):
        self.codes = np.asarray(codes, dtype=np.int8)
        self.elapsed = np.asarray(elapsed, dtype=float)
        self.remaining = None if remaining is None else np.asarray(remaining, dtype=float)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        remaining = None
        if self.remaining is not None and self.codes[i] >= STATUS_CODE[ON_CALL]:
            remaining = float(self.remaining[i])
        return AgentView(STATUSES[self.codes[i]], float(self.elapsed[i]), remaining)


class CallTable(Sequence[CallView]):
    """The ringing calls as one column of elapsed seconds; a sequence of CallView."""

    __slots__ = ("elapsed",)

    def __init__(self, elapsed: np.ndarray):
        self.elapsed = np.asarray(elapsed, dtype=float)

    def __len__(self) -> int:
        return len(self.elapsed)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return CallView(float(self.elapsed[i]))


def agent_columns(agents: Sequence[AgentView]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(status codes, elapsed seconds, true remaining seconds or None) of the agents."""
    if isinstance(agents, AgentTable):
        return agents.codes, agents.elapsed, agents.remaining
    codes = np.fromiter((STATUS_CODE[a.status] for a in agents), dtype=np.int8, count=len(agents))
    elapsed = np.fromiter((a.elapsed_s for a in agents), dtype=float, count=len(agents))
    if any(a.remaining_s is not None for a in agents):
        remaining = np.array(
            [np.nan if a.remaining_s is None else a.remaining_s for a in agents], dtype=float
        )
    else:
        remaining = None
    return codes, elapsed, remaining


def ringing_elapsed(ringing: Sequence[CallView]) -> np.ndarray:
    if isinstance(ringing, CallTable):
        return ringing.elapsed
    return np.fromiter((c.elapsed_s for c in ringing), dtype=float, count=len(ringing))


@dataclass
class PacingState:
    now_s: float  # any monotonic clock in seconds (the simulation: seconds since day 0)
    agents: Sequence[AgentView]  # a list, or an AgentTable
    ringing: Sequence[CallView]  # a list, or a CallTable
    waiting: int  # answered calls waiting for an agent right now
    cap: float = 0.03  # the campaign's abandonment cap (abandoned / live-answered)
    day: AbandonStats = field(default_factory=AbandonStats)
    rolling_24h: AbandonStats = field(default_factory=AbandonStats)
    rolling_30d: AbandonStats = field(default_factory=AbandonStats)
    # When today's calling stops (same clock as now_s); None: unknown, plan two hours ahead.
    day_end_s: float | None = None


@runtime_checkable
class Pacer(Protocol):
    name: str
    # > 0: agent-driven (preview) dialing — free agents are "reserved" while they read the
    # customer's record and each dials their own call. The simulation honours it.
    preview_s: float

    def decide(self, state: PacingState) -> int:
        """How many new calls to place now (>= 0)."""
        ...

    def observe_call(self, ring_s: float, answered: bool, machine: bool = False) -> None:
        """A dialled call stopped ringing after ring_s: answered by a person (answered),
        by a machine (machine), or not at all (busy, no answer, failed)."""
        ...

    def observe_answer(self, wait_s: float, abandoned: bool) -> None:
        """A live-answered call got an agent after wait_s, or was abandoned."""
        ...

    def observe_talk(self, talk_s: float) -> None:
        """A conversation ended after talk_s seconds."""
        ...

    def observe_wrap(self, wrap_s: float) -> None:
        """An agent's wrap-up ended after wrap_s seconds."""
        ...


class BasePacer:
    """Common plumbing: the hooks do nothing unless a strategy learns from them."""

    name = "base"
    preview_s = 0.0
    oracle = False
    # Also decide as soon as an agent frees up or a call stops ringing unanswered (besides
    # the one-second clock)? A hint to the dialer process and the simulation.
    decide_on_events = True

    def decide(self, state: PacingState) -> int:  # pragma: no cover - every strategy defines it
        """How many new calls to place now (never negative)."""
        raise TypeError(f"{type(self).__name__} does not say how many calls to place")

    def observe_call(self, ring_s: float, answered: bool, machine: bool = False) -> None:
        pass

    def observe_answer(self, wait_s: float, abandoned: bool) -> None:
        pass

    def observe_talk(self, talk_s: float) -> None:
        pass

    def observe_wrap(self, wrap_s: float) -> None:
        pass

    def train(
        self,
        *,
        calls: Iterable[tuple[float, bool, bool]] = (),
        talks: Iterable[float] = (),
        wraps: Iterable[float] = (),
    ) -> None:
        """Feed history in bulk: calls as (ring_s, answered, machine), talk and wrap times."""
        for ring_s, answered, machine in calls:
            self.observe_call(ring_s, answered, machine)
        for talk_s in talks:
            self.observe_talk(talk_s)
        for wrap_s in wraps:
            self.observe_wrap(wrap_s)


def _counts(state: PacingState) -> tuple[int, int]:
    """(ready agents, agents talking)."""
    codes = agent_columns(state.agents)[0]
    return int(np.count_nonzero(codes == 0)), int(np.count_nonzero(codes == 2))


# --------------------------------------------------------------------------- simple strategies


class PreviewPacer(BasePacer):
    """The agent reads the next customer's record (status "reserved") for `preview_s`
    seconds, then dials with one key. One call per agent whose preview is over and who has
    no call ringing yet: the reserved agents whose preview is done, minus the calls ringing
    (each ringing call belongs to one of them). A failed attempt starts a new preview."""

    name = "preview"

    def __init__(self, preview_s: float = 10.0) -> None:
        if preview_s <= 0:
            raise ValueError("preview_s must be positive")
        self.preview_s = float(preview_s)

    def decide(self, state: PacingState) -> int:
        codes, elapsed, _ = agent_columns(state.agents)
        done = int(np.count_nonzero((codes == 1) & (elapsed >= self.preview_s)))
        return max(0, done - len(state.ringing) - state.waiting)


class ProgressivePacer(BasePacer):
    """One call per free agent: ready agents minus calls ringing or waiting. Every answered
    call has an agent kept free for it, so nothing is ever abandoned."""

    name = "progressive"

    def decide(self, state: PacingState) -> int:
        ready, _ = _counts(state)
        return max(0, ready - len(state.ringing) - state.waiting)


class RatioPacer(BasePacer):
    """A fixed number of lines per free agent: round(ratio × ready) lines ringing."""

    name = "ratio"

    def __init__(self, ratio: float = 2.0) -> None:
        if ratio < 1:
            raise ValueError("ratio must be at least 1")
        self.ratio = float(ratio)

    def decide(self, state: PacingState) -> int:
        ready, _ = _counts(state)
        return max(0, round(self.ratio * ready) - len(state.ringing) - state.waiting)


class VicidialPacer(BasePacer):
    """VICIdial's adaptive predictive pacing (ADAPT_AVERAGE by default).

    `AST_VDauto_dial.pl` keeps round(dial level × agents counted) calls in progress. With
    `available_only` (VICIdial's `available_only_ratio_tally` = Y, our default) it counts
    the ready agents against the calls ringing or waiting; without it (VICIdial's default)
    the ready and talking agents against the calls ringing, waiting and connected — agents
    in wrap-up are "paused" in VICIdial and not counted. `AST_VDadapt.pl` samples ready
    agents, waiting calls and logged-in agents every second and every 15 s sets level ←
    level × (1 + (mean ready − mean waiting + dl_diff_target) / mean agents), the change
    scaled by the intensity setting, within [1, max_level]. When more than 50 calls were
    placed today and today's drops / answers exceed the target: ADAPT_AVERAGE halves the
    level, ADAPT_TAPERED multiplies it by (hours left in the day) / 10 (1 beyond ten hours),
    ADAPT_HARD_LIMIT sets it to 1. A minute with more than 20 answers and over 50 % drops
    halves it too. The level never goes below 1 (= progressive). The target is the cap.
    """

    name = "vicidial"
    METHODS = ("ADAPT_AVERAGE", "ADAPT_TAPERED", "ADAPT_HARD_LIMIT")

    def __init__(
        self,
        method: str = "ADAPT_AVERAGE",
        level: float = 1.0,
        max_level: float = 3.0,
        update_every_s: float = 15.0,
        target: float | None = None,
        available_only: bool = True,
        dl_diff_target: float = 0.0,
        intensity: float = 0.0,
    ) -> None:
        if method not in self.METHODS:
            raise ValueError(f"method must be one of {', '.join(self.METHODS)}")
        self.method = method
        self.level = float(level)
        self.max_level = float(max_level)
        self.update_every_s = float(update_every_s)
        self.target = target
        self.available_only = bool(available_only)
        self.dl_diff_target = float(dl_diff_target)
        self.intensity = float(intensity)
        self._samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self._last_sample: float | None = None
        self._last_update: float | None = None
        self._dialled_today = 0
        self._day_answered = -1
        self._minute: deque[tuple[float, bool]] = deque()  # (when, abandoned) of answers
        self._now = 0.0

    def observe_answer(self, wait_s: float, abandoned: bool) -> None:
        self._minute.append((self._now, abandoned))

    def decide(self, state: PacingState) -> int:
        now = state.now_s
        self._now = now
        ready, talking = _counts(state)
        if state.day.live_answered < self._day_answered:  # a new day: today's counters reset
            self._dialled_today = 0
        self._day_answered = state.day.live_answered
        if self._last_sample is None or now - self._last_sample >= 1.0:
            self._samples.append((ready, state.waiting, len(state.agents)))
            self._last_sample = now
        if self._last_update is None:
            self._last_update = now
        elif now - self._last_update >= self.update_every_s:
            self._last_update = now
            self._adapt(state)
        if self.available_only:  # available_only_ratio_tally = Y
            counted = ready
            in_progress = len(state.ringing) + state.waiting
        else:
            counted = ready + talking
            in_progress = len(state.ringing) + state.waiting + talking
        goal = round(self.level * max(counted + self.dl_diff_target, 0))
        n = max(0, goal - in_progress)
        self._dialled_today += n
        return n

    def _adapt(self, state: PacingState) -> None:
        k = len(self._samples)
        if k:
            mean_ready = sum(s[0] for s in self._samples) / k
            mean_waiting = sum(s[1] for s in self._samples) / k
            mean_agents = sum(s[2] for s in self._samples) / k
            if mean_agents > 0:
                pct = (mean_ready - mean_waiting + self.dl_diff_target) / mean_agents
                boost = self.intensity / 100
                pct *= abs(boost - 1) if pct < 0 else boost + 1
                self.level *= 1 + pct
        self.level = min(max(self.level, 1.0), self.max_level)
        while self._minute and self._minute[0][0] < state.now_s - 60:
            self._minute.popleft()
        minute_drops = sum(1 for _, dropped in self._minute if dropped)
        if len(self._minute) > 20 and minute_drops > 0.5 * len(self._minute):
            self.level /= 2
        target = state.cap if self.target is None else self.target
        if self._dialled_today > 50 and state.day.rate > target:
            if self.method == "ADAPT_AVERAGE":
                self.level /= 2
            elif self.method == "ADAPT_HARD_LIMIT":
                self.level = 1.0
            else:
                hours_left = (
                    (state.day_end_s - state.now_s) / 3600 if state.day_end_s is not None else 10
                )
                self.level = 1.0 if hours_left < 0 else self.level * min(1.0, hours_left / 10)
        self.level = max(self.level, 1.0)


# --------------------------------------------------------------------------- what history says


def _normal_cdf_approx(x: np.ndarray) -> np.ndarray:
    """Φ(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), vectorised."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erfc = poly * np.exp(-z * z)
    return np.where(x >= 0, 1.0 - 0.5 * erfc, 0.5 * erfc)


try:  # SciPy comes with scikit-learn; one ufunc call is what a decision can afford
    from scipy.special import ndtr as _normal_cdf
except ImportError:  # pragma: no cover
    _normal_cdf = _normal_cdf_approx


class _Durations:
    """A duration's survival function P(X > x), learnt from observed samples (the most
    recent `keep`), on a grid of `step` seconds. Beyond the point where fewer than
    `tail_min` samples remain, the elapsed time is held there (a memoryless tail)."""

    def __init__(self, *, keep: int, max_s: float, step: float = 1.0, tail_min: int = 40):
        self.samples: deque[float] = deque(maxlen=keep)
        self.max_s = max_s
        self.step = step
        self.tail_min = tail_min
        self.version = 0
        self.grid = np.arange(0.0, max_s + step, step)
        self.surv = np.ones_like(self.grid)
        self.last_reliable = max_s

    def add(self, x: float) -> None:
        if x > 0 and math.isfinite(x):
            self.samples.append(min(float(x), self.max_s))
            self.version += 1

    def extend(self, xs: Iterable[float]) -> None:
        for x in xs:
            self.add(x)

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples)) if self.samples else 0.0

    def build(self) -> None:
        data = np.sort(np.fromiter(self.samples, dtype=float, count=len(self.samples)))
        n = len(data)
        if n == 0:
            return
        above = n - np.searchsorted(data, self.grid, side="right")
        self.surv = above / n
        reliable = np.nonzero(above >= min(self.tail_min, n))[0]
        self.last_reliable = float(self.grid[reliable[-1]]) if len(reliable) else 0.0

    def survival(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.grid, self.surv)


class Forecaster:
    """Everything the predictive pacer knows about the future, learnt from history only:

    - talk times (`observe_talk`; seed it with the campaign's or the bank's past call
      lengths) and wrap-up times (`observe_wrap`), from which the probability that an agent
      `e` seconds into a call (or into wrap-up) is free within `h` seconds;
    - ring outcomes (`observe_call`): when answered calls were answered and when the others
      stopped ringing, from which the probability that a call ringing for `r` seconds is
      answered by a person within `t` more seconds, and the answer-time distribution of a
      call dialled now.

    Tables are rebuilt lazily once enough new observations came in (a quarter more, at
    least 200).
    """

    STEP = 0.5  # horizon grid, seconds
    HORIZON = 40.0  # longest horizon kept in the tables

    def __init__(self, *, keep_talk: int = 50_000, keep_calls: int = 20_000) -> None:
        self.talk = _Durations(keep=keep_talk, max_s=7200.0)
        self.wrap = _Durations(keep=5_000, max_s=1800.0)
        self.calls: deque[tuple[float, bool]] = deque(maxlen=keep_calls)
        self._calls_version = 0
        self._built_versions = (-1, -1, -1)
        self._due = (0, 0, 0)
        self.h = np.arange(0.0, self.HORIZON + self.STEP / 2, self.STEP)
        self.busy_table = np.zeros((1, len(self.h)))
        self.ring_grid = np.arange(0.0, 121.0, 0.25)
        self.cum_answered = np.zeros_like(self.ring_grid)
        self.alive = np.ones_like(self.ring_grid)
        self.answer_p = 0.0
        self._tables: _Tables | None = None
        self._tables_key = None

    # feeding
    def add_call(self, ring_s: float, answered: bool) -> None:
        if ring_s >= 0 and math.isfinite(ring_s):
            self.calls.append((min(float(ring_s), 120.0), bool(answered)))
            self._calls_version += 1

    def refresh(self, force: bool = False) -> None:
        versions = (self.talk.version, self.wrap.version, self._calls_version)
        if not force and all(v < due for v, due in zip(versions, self._due, strict=True)):
            return
        self._build()
        self._built_versions = versions
        sizes = (len(self.talk), len(self.wrap), len(self.calls))
        # rebuild once any source has had a quarter more observations (at least 200)
        self._due = tuple(v + max(200, n // 4) for v, n in zip(versions, sizes, strict=True))

    def _build(self) -> None:
        self.talk.build()
        self.wrap.build()
        # Rings: cumulative share answered by a person by time x, share still ringing at x.
        if self.calls:
            ring = np.fromiter((c[0] for c in self.calls), dtype=float, count=len(self.calls))
            ans = np.fromiter((c[1] for c in self.calls), dtype=bool, count=len(self.calls))
            n = len(ring)
            answered_at = np.sort(ring[ans])
            ended_at = np.sort(ring)
            self.cum_answered = np.searchsorted(answered_at, self.ring_grid, side="right") / n
            self.alive = (n - np.searchsorted(ended_at, self.ring_grid, side="right")) / n
            self.answer_p = len(answered_at) / n
        # Busy: P(remaining talk + wrap-up <= h | talking for e seconds), e on a 1 s grid.
        talk_e = np.arange(0.0, self.talk.last_reliable + 1.0)
        step = self.STEP
        wrap_cdf = 1.0 - self.wrap.survival(self.h) if len(self.wrap) else np.ones_like(self.h)
        s_e = np.maximum(self.talk.survival(talk_e), 1e-12)
        table = np.zeros((len(talk_e), len(self.h)))
        prev = s_e
        for k in range(len(self.h) - 1):
            nxt = self.talk.survival(talk_e + (k + 1) * step)
            mass = (prev - nxt) / s_e  # remaining talk in (k·step, (k+1)·step]
            prev = nxt
            # the call ends at the bin's upper edge, then the wrap-up:
            # free by h_j iff wrap-up <= h_j - (k+1)·step
            table[:, k + 1 :] += mass[:, None] * wrap_cdf[None, : len(self.h) - k - 1]
        self.busy_table = np.clip(table, 0.0, 1.0)

    # asking
    def free_within(
        self, talking_e: np.ndarray, wrapping_e: np.ndarray, horizons: np.ndarray
    ) -> np.ndarray:
        """P(free within each horizon) for agents talking / in wrap-up for e seconds:
        array (len(talking_e) + len(wrapping_e), len(horizons))."""
        parts = []
        if len(talking_e):
            rows = np.minimum(talking_e.astype(int), len(self.busy_table) - 1)
            cols = np.clip(np.rint(horizons / self.STEP).astype(int), 0, len(self.h) - 1)
            parts.append(self.busy_table[rows[:, None], cols[None, :]])
        if len(wrapping_e):
            w = np.minimum(wrapping_e, self.wrap.last_reliable)
            s0 = np.maximum(self.wrap.survival(w), 1e-12)
            s1 = self.wrap.survival(w[:, None] + horizons[None, :])
            parts.append(1.0 - s1 / s0[:, None])
        if not parts:
            return np.zeros((0, len(horizons)))
        return np.vstack(parts)

    def answered_within(self, ringing_e: np.ndarray, horizons: np.ndarray) -> np.ndarray:
        """P(answered by a person within each horizon | still ringing after e seconds)."""
        if not len(ringing_e):
            return np.zeros((0, len(horizons)))
        alive = np.interp(ringing_e, self.ring_grid, self.alive)
        c0 = np.interp(ringing_e, self.ring_grid, self.cum_answered)
        c1 = np.interp(ringing_e[:, None] + horizons[None, :], self.ring_grid, self.cum_answered)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(alive[:, None] > 1e-9, (c1 - c0[:, None]) / alive[:, None], 0.0)
        return np.clip(q, 0.0, 1.0)

    def fresh_answer_bins(self, width: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """A call dialled now: (bin centres t, P(answered in the bin)) over its ring time."""
        edges = np.arange(0.0, 60.0 + width, width)
        cum = np.interp(edges, self.ring_grid, self.cum_answered)
        mass = np.diff(cum)
        keep = mass > 1e-6
        return (edges[:-1] + width / 2)[keep], mass[keep]

    def tables(self, patience_s: float) -> _Tables:
        """The lookup tables of one decision (rebuilt with the forecasts)."""
        self.refresh()
        key = (self._built_versions, patience_s)
        if self._tables is None or self._tables_key != key:
            self._tables = _Tables.build(self, patience_s)
            self._tables_key = key
        return self._tables


@dataclass
class _Tables:
    """Forecasts tabulated at the horizons one decision needs: a fresh call is answered in
    bin k (centre t[k], probability w[k] given it is answered, by t[k] with probability
    g[k]); it needs an agent free by t[k] + patience.

    `agent` holds, for every status and elapsed time, [P(free by t[k] + patience),
    P(1 - P)] side by side (2K columns): row `base[code] + min(int(elapsed × scale[code]),
    last[code])` — one row for every ready agent (P = 1), one for reserved (P = 0), 1 s
    rows of talk elapsed (talk + wrap-up over), 0.5 s rows of wrap-up elapsed. `ring` is
    the same for ringing calls (0.25 s rows of ring time, P = answered by a person by t)."""

    t: np.ndarray
    w: np.ndarray
    g: np.ndarray
    agent: np.ndarray
    base: np.ndarray
    scale: np.ndarray
    last: np.ndarray
    ring: np.ndarray
    RING_SCALE = 4.0  # rows per second of ring time

    @classmethod
    def build(cls, fc: Forecaster, patience_s: float) -> _Tables:
        t, mass = fc.fresh_answer_bins()
        total = mass.sum()
        w = mass / total if total > 0 else mass
        g = np.interp(t, fc.ring_grid, fc.cum_answered)
        supply = t + patience_s
        cols = np.clip(np.rint(supply / fc.STEP).astype(int), 0, len(fc.h) - 1)
        busy = fc.busy_table[:, cols]
        wrap_e = np.arange(0.0, fc.wrap.last_reliable + 0.5, 0.5)
        wrap = fc.free_within(np.zeros(0), wrap_e, supply)
        ring = fc.answered_within(np.arange(0.0, 60.0, 1 / cls.RING_SCALE), t)
        k = len(t)
        p = np.vstack([np.ones((1, k)), np.zeros((1, k)), busy, wrap])
        # codes: ready, reserved, on_call, wrap_up
        base = np.array([0, 1, 2, 2 + len(busy)], dtype=np.intp)
        scale = np.array([0.0, 0.0, 1.0, 2.0])
        last = np.array([0, 0, len(busy) - 1, len(wrap) - 1], dtype=np.intp)

        def both(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(np.hstack([x, x * (1 - x)]))

        return cls(t=t, w=w, g=g, agent=both(p), base=base, scale=scale, last=last, ring=both(ring))


# Defaults when a campaign has no history yet (the simulated population): 30 %
# answered after 5-15 s, 10 % busy after 2-6 s, the rest give up after a 20 s ring;
# wrap-up exponential with mean 30 s; talk exponential with mean 180 s (feed real
# talk times with `observe_talk` / `train(talks=...)` as soon as there are any).
def _prior_calls(n: int = 200) -> list[tuple[float, bool, bool]]:
    u = (np.arange(n) + 0.5) / n
    out = []
    for x in u:
        if x < 0.3:
            out.append((5.0 + 10.0 * (x / 0.3), True, False))
        elif x < 0.4:
            out.append((2.0 + 4.0 * ((x - 0.3) / 0.1), False, False))
        else:
            out.append((20.0, False, False))
    return out


def _prior_exponential(mean: float, n: int = 200) -> list[float]:
    u = (np.arange(n) + 0.5) / n
    return list(-mean * np.log1p(-u))


# --------------------------------------------------------------------------- ours


class PredictivePacer(BasePacer):
    """Our predictive pacing: dial the next call only while the risk that it finds no agent
    stays under a threshold, and steer that threshold with the abandonment budget left.

    Every decision looks at the next seconds as a race between agents coming free and
    calls being answered. For a call dialled now and answered t seconds later (t from the
    learnt answer-time distribution of fresh calls), it is abandoned if, by then, the calls
    answered before it (the answered calls waiting now, the ringing calls — each with the
    learnt probability of being answered by a person within t given how long it has rung —
    and the other calls dialled now) are at least as many as the agents free by t + 2 s:
    the ready agents plus each busy agent with the probability that their remaining talk
    and wrap-up ends by then, given how long they have been talking (the empirical talk-time
    distribution conditioned on the elapsed time: long calls tend to go on) or wrapping up.
    Both sides are sums of independent Bernoulli variables; their difference is taken as
    normal (continuity-corrected). The k-th call dialled now is placed while its
    probability of abandonment given a person answers is ≤ θ, and never fewer calls than
    progressive would place (those cannot be abandoned).

    θ follows the budget (`required_rate`): for today, the rolling 24 hours (planned two
    hours ahead) and the rolling 30 days, budget = target × (live answers so far + answers
    expected until the horizon) − abandoned so far − a cushion of `cushion_sd` standard
    deviations of what the next hour may bring; the rate allowed from now on is budget /
    answers expected; the smallest of the three wins, within [0, 3 × target]. The target is
    `target_share` (0.95) of the cap. So a day that ran over slows down for its remaining
    hours, one that ran under spends what is left, and the last hour keeps a reserve it
    cannot make up for afterwards. θ = allowed rate / κ, where κ — the abandonment rate the
    rule actually produces per unit of θ — is learnt: the predicted abandonments of the
    calls placed (their risk when placed) over Σ θ × their expected answers, times realised
    over predicted abandonments, over roughly the last thousand answered calls (the model
    ignores the calls later decisions will place, so its risks are low by a steady factor;
    κ absorbs it). Decisions run every second (`decide_on_events` = False).
    """

    name = "ours"
    # It places calls ahead of need, so it decides on the one-second clock only: deciding
    # again whenever an agent frees up or a call fails changed nothing measurable (and
    # doubled the work at a hundred agents).
    decide_on_events = False

    def __init__(
        self,
        *,
        target_share: float = 0.95,
        cushion_sd: float = 1.0,
        patience_s: float = 2.0,
        talk_samples: Sequence[float] | None = None,
        wrap_samples: Sequence[float] | None = None,
        call_samples: Sequence[tuple[float, bool, bool]] | None = None,
        use_truth: bool = False,
        memory_answers: float = 1000.0,
        min_history_calls: int = 100,
    ) -> None:
        self.target_share = float(target_share)
        # Cold start: until this many call outcomes are known (history given or observed),
        # the pacer places what progressive would — a new campaign's answer rate is a guess.
        self.min_history_calls = int(min_history_calls)
        self._known_calls = len(call_samples) if call_samples is not None else 0
        self._booked: tuple | None = None
        self.cushion_sd = float(cushion_sd)
        self.theta = 0.0  # the threshold of the last decision (diagnostics)
        self.patience_s = float(patience_s)
        self.oracle = bool(use_truth)
        if use_truth:
            self.name = "oracle"
        self.memory_answers = float(memory_answers)
        self.fc = Forecaster()
        self.fc.talk.extend(talk_samples if talk_samples is not None else _prior_exponential(180))
        self.fc.wrap.extend(wrap_samples if wrap_samples is not None else _prior_exponential(30))
        for ring_s, answered, machine in call_samples or _prior_calls():
            self.fc.add_call(ring_s, answered and not machine)
        # realised vs predicted abandonments, predicted rate vs threshold (fading sums)
        self._real_ab = 0.0
        self._pred_ab = 0.0
        self._theta_ans = 0.0  # Σ θ × expected answers of the calls dialled
        self._answer_rate = 0.0  # live answers per second (EWMA)
        self._answers_since = 0
        self._last_now: float | None = None
        self.last_required = None  # for the benchmark's diagnostics

    # hooks
    def observe_call(self, ring_s: float, answered: bool, machine: bool = False) -> None:
        self.fc.add_call(ring_s, answered and not machine)
        self._known_calls += 1
        if answered and not machine:
            self._answers_since += 1

    def observe_placed(self, asked: int, placed: int) -> None:
        """Only `placed` of the `asked` calls of the last decision went out (lines full, list
        empty, calling hours closed): take back what was booked for the others, or the
        controller would believe it spent a budget it never used and loosen without end."""
        booked, self._booked = self._booked, None
        if booked is None or booked[0] != asked or placed >= asked:
            return
        _n, risks, answer_p, theta = booked
        tail = risks[max(placed, 0) : asked]
        self._pred_ab -= float(tail.sum()) * answer_p
        self._theta_ans -= len(tail) * answer_p * theta

    def observe_answer(self, wait_s: float, abandoned: bool) -> None:
        if abandoned:
            self._real_ab += 1.0

    def observe_talk(self, talk_s: float) -> None:
        self.fc.talk.add(talk_s)

    def observe_wrap(self, wrap_s: float) -> None:
        self.fc.wrap.add(wrap_s)

    # the controller
    def _tick(self, now: float) -> None:
        if self._last_now is None:
            self._last_now = now
            return
        dt = now - self._last_now
        self._last_now = now
        if dt <= 0:
            return
        if dt > 600:  # overnight or a long pause: keep what was learnt
            self._answers_since = 0
            return
        tau = 600.0
        a = math.exp(-dt / tau)
        self._answer_rate = a * self._answer_rate + (1 - a) * (self._answers_since / dt)
        # the calibration forgets at the pace calls are answered (the last ~1000 answers)
        fade = math.exp(-self._answers_since / self.memory_answers)
        self._answers_since = 0
        self._real_ab *= fade
        self._pred_ab *= fade
        self._theta_ans *= fade

    def required_rate(self, state: PacingState) -> float:
        """The abandonment rate the pacing may run at from now on, given the budget left.

        For today, the rolling 24 hours (planned two hours ahead) and the rolling 30 days
        (planned to the end of the day): budget = target × (answered so far + answers
        expected until the horizon) − abandoned so far, less a cushion of `cushion_sd`
        standard deviations of the abandonments the next hour may bring (Poisson at the
        target rate) — the part of the day that cannot be made up for afterwards; the
        rate is budget / answers expected. The smallest of the three wins, within
        [0, 3 × target]."""
        target = self.target_share * state.cap
        rate = max(self._answer_rate, 1e-3)
        day_left = (
            max(state.day_end_s - state.now_s, 0.0) if state.day_end_s is not None else 7200.0
        )
        windows = (
            (state.day, day_left),
            (state.rolling_24h, 7200.0),
            (state.rolling_30d, day_left),
        )
        required = 3 * target
        for stats, horizon in windows:
            future = max(rate * horizon, 10.0)
            near = min(future, rate * 3600.0)
            cushion = self.cushion_sd * math.sqrt(target * near)
            allowed = target * (stats.live_answered + future) - stats.abandoned - cushion
            required = min(required, allowed / future)
        return max(required, 0.0)

    def _kappa(self) -> float:
        # priors worth 100 answered calls at a 3 % threshold: κ 0.7, realised = predicted
        prior = 0.03 * 100
        calib = (self._real_ab + 2.0) / (self._pred_ab + 2.0)
        ratio = (self._pred_ab + 0.7 * prior) / (self._theta_ans + prior)
        return max(calib * ratio, 1e-3)

    # the decision
    def marginal_risk(self, state: PacingState, max_new: int) -> tuple[np.ndarray, int]:
        """P(abandoned | answered) of the 1st, 2nd, ... call dialled now, and the number
        progressive would dial (ready agents − ringing − waiting)."""
        fc = self.fc
        codes, elapsed, remaining = agent_columns(state.agents)
        ringing = ringing_elapsed(state.ringing)
        ready = int(np.count_nonzero(codes == 0))
        n_safe = max(0, ready - len(ringing) - state.waiting)
        tab = fc.tables(self.patience_s)
        k = len(tab.t)
        if not k or max_new <= 0:
            return np.ones(max(max_new, 0)), n_safe
        rows = tab.base[codes] + np.minimum(
            (elapsed * tab.scale[codes]).astype(np.intp), tab.last[codes]
        )
        truth = None
        if self.oracle and remaining is not None:
            known = (codes >= 2) & ~np.isnan(remaining)
            if known.any():
                truth = remaining[known]
                rows = rows[~known]
        pv = tab.agent[rows].sum(0)
        qv = tab.ring[
            np.minimum((ringing * tab.RING_SCALE).astype(np.intp), len(tab.ring) - 1)
        ].sum(0)
        # X = answered calls competing − agents free, at each answer bin: mean and variance
        mu0 = state.waiting + qv[:k] - pv[:k]
        v0 = pv[k:] + qv[k:] + 1e-4
        if truth is not None:
            mu0 = mu0 - (truth[:, None] <= (tab.t + self.patience_s)[None, :]).sum(0)
        g = tab.g
        # Beyond about this many calls even the latest-answering bin is certain to be short
        # of agents; compute the risk up to there (doubling in the rare case it is not enough).
        top = g[-1] if g[-1] > 0 else 1.0
        size = int((4.0 * math.sqrt(float(v0.max())) + 2.0 - float(mu0.min())) / top) + 2
        size = min(max(size, n_safe + 1, 8), max_new)
        while True:
            m = np.arange(size)[:, None]
            risk = _normal_cdf((mu0 + m * g + 0.5) / np.sqrt(v0 + m * (g * (1 - g)))) @ tab.w
            if size >= max_new or risk[-1] > 0.5:
                return risk, n_safe
            size = min(2 * size, max_new)

    def decide(self, state: PacingState) -> int:
        if self._answer_rate == 0 and len(state.agents):
            # before anything was observed: every agent on a call a handle time long
            self.fc.refresh()
            handle = self.fc.talk.mean + self.fc.wrap.mean
            self._answer_rate = len(state.agents) / max(handle, 1.0)
        self._tick(state.now_s)
        max_new = 3 * len(state.agents) + 10
        risk, n_safe = self.marginal_risk(state, max_new)
        required = self.required_rate(state)
        self.last_required = required
        theta = required / self._kappa()
        self.theta = theta
        over = np.nonzero(risk > theta)[0]
        n_risky = int(over[0]) if len(over) else len(risk)
        n = max(n_safe, n_risky)
        self._booked = None
        if self._known_calls < self.min_history_calls:
            return n_safe
        if n > 0:
            answer_p = self.fc.answer_p
            placed = risk[:n].copy()
            placed[:n_safe] = 0.0
            self._pred_ab += float(placed.sum()) * answer_p
            self._theta_ans += n * answer_p * theta
            self._booked = (n, placed, answer_p, theta)
        return n


# --------------------------------------------------------------------------- factory

STRATEGIES = ("preview", "progressive", "ratio", "vicidial", "ours")


def make_pacer(name: str, **params) -> BasePacer:
    """A pacer by name: "preview" | "progressive" | "ratio" | "vicidial" | "ours" (and
    "oracle", the benchmark's ceiling, which needs AgentView.remaining_s)."""
    if name == "preview":
        return PreviewPacer(**params)
    if name == "progressive":
        return ProgressivePacer(**params)
    if name == "ratio":
        return RatioPacer(**params)
    if name == "vicidial":
        return VicidialPacer(**params)
    if name == "ours":
        return PredictivePacer(**params)
    if name == "oracle":
        return PredictivePacer(use_truth=True, **params)
    raise ValueError(f"unknown pacing strategy {name!r}; one of {', '.join(STRATEGIES)}")
