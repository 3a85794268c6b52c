"""The pacers, on their own and through simulated campaign days (short ones, to stay quick).

No database: the pacing kernel and the simulation are plain Python and numpy."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicefirst.dialer import pacing, simulation
from servicefirst.dialer.durations import talk_durations
from servicefirst.dialer.pacing import (
    AbandonStats,
    AgentTable,
    AgentView,
    CallView,
    PacingState,
    make_pacer,
)

SHORT_DAY = 2 * 3600.0


@functools.cache
def talk() -> np.ndarray:
    return np.asarray(talk_durations(), dtype=float)


def days(strategy: str, *, agents: int, n: int = 2, cap: float = 0.03, seed: int = 3):
    return simulation.run(
        strategy, agents=agents, days=n, talk=talk(), cap=cap, seed=seed, day_s=SHORT_DAY
    )


def state(
    agents, ringing=(), *, waiting=0, cap=0.03, day=(0, 0), h24=(0, 0), d30=(0, 0), now=100.0
):
    return PacingState(
        now_s=now,
        agents=[AgentView(s, e) for s, e in agents],
        ringing=[CallView(e) for e in ringing],
        waiting=waiting,
        cap=cap,
        day=AbandonStats(*day),
        rolling_24h=AbandonStats(*h24),
        rolling_30d=AbandonStats(*d30),
        day_end_s=now + 3600,
    )


# --------------------------------------------------------------------------- in simulation


@pytest.mark.parametrize(("agents", "cap"), [(10, 0.03), (30, 0.03), (30, 0.01)])
def test_ours_keeps_every_day_under_the_cap_and_agents_busier_than_progressive(agents, cap):
    # given the same customers for both
    ours = days("ours", agents=agents, cap=cap)
    progressive = days("progressive", agents=agents, cap=cap)
    # then no day goes over the cap, and agents talk more than with one call per free agent
    assert all(d.live_answered > 50 for d in ours.days)
    assert ours.worst_day_abandon_rate <= cap
    assert ours.occupancy > progressive.occupancy + 0.02


def test_progressive_and_preview_never_abandon_a_call():
    for strategy in ("progressive", "preview"):
        run = days(strategy, agents=10)
        assert sum(d.live_answered for d in run.days) > 100
        assert sum(d.abandoned for d in run.days) == 0, strategy


def test_preview_costs_the_agents_the_time_they_spend_reading():
    preview, progressive = days("preview", agents=10), days("progressive", agents=10)
    assert preview.occupancy < progressive.occupancy


def test_every_strategy_meets_the_same_customers():
    # the k-th call of a day is the same customer whatever the pacing
    a = simulation.CallStream(5, 2, talk(), simulation.Population())
    b = simulation.CallStream(5, 2, talk(), simulation.Population())
    late = [a.call(k) for k in range(5000, 5010)]  # a reads far ahead first
    assert [b.call(k) for k in range(5000, 5010)] == late
    assert [a.call(k) for k in range(50)] == [b.call(k) for k in range(50)]
    kinds = [a.call(k)[0] for k in range(4000)]
    assert 0.27 < kinds.count(0) / 4000 < 0.33  # 30 % answered by a person


def test_vicidial_emulation_abandons_calls_to_keep_agents_busier():
    run = days("vicidial", agents=10, n=2)
    assert run.abandon_rate > 0.01  # it does abandon calls...
    assert run.occupancy > days("progressive", agents=10).occupancy  # ...to keep agents busier


# --------------------------------------------------------------------------- single decisions

AGENT = st.tuples(
    st.sampled_from(pacing.STATUSES), st.floats(min_value=0, max_value=5000, allow_nan=False)
)


@functools.cache
def history():
    return simulation.history_day(agents=10, talk=talk(), seed=1, day_s=SHORT_DAY)


def trained(name: str):
    """A fresh pacer; ours pre-trained as the benchmark does (real talk times, an earlier day)."""
    if name != "ours":
        return make_pacer(name)
    past = history()
    return make_pacer(
        "ours", talk_samples=list(talk()), wrap_samples=past.wraps, call_samples=past.calls
    )


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["preview", "progressive", "ratio", "vicidial", "ours"]),
    agents=st.lists(AGENT, max_size=40),
    ringing=st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), max_size=60),
    waiting=st.integers(min_value=0, max_value=5),
    answered=st.integers(min_value=0, max_value=2000),
    abandoned=st.integers(min_value=0, max_value=200),
    now=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_no_pacer_ever_asks_for_a_negative_or_absurd_number_of_calls(
    name, agents, ringing, waiting, answered, abandoned, now
):
    pacer = trained(name)
    s = state(agents, ringing, waiting=waiting, day=(answered, min(abandoned, answered)), now=now)
    n = pacer.decide(s)
    assert isinstance(n, int)
    assert 0 <= n <= 3 * len(agents) + 10


@settings(max_examples=60, deadline=None)
@given(
    agents=st.lists(AGENT, max_size=40),
    ringing=st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), max_size=30),
    waiting=st.integers(min_value=0, max_value=5),
)
def test_progressive_dials_exactly_for_the_free_agents_nobody_is_calling_for(
    agents, ringing, waiting
):
    ready = sum(1 for s, _ in agents if s == pacing.READY)
    n = make_pacer("progressive").decide(state(agents, ringing, waiting=waiting))
    assert n == max(0, ready - len(ringing) - waiting)


def test_ours_falls_back_to_progressive_when_the_budget_is_spent():
    pacer = trained("ours")
    agents = [("ready", 3.0)] * 3 + [("wrap_up", 25.0)] * 5 + [("on_call", 200.0)] * 12
    fresh = state(agents, day=(400, 8), h24=(400, 8), d30=(4000, 80))
    # the day is over budget; the 24 hours and 30 days are not
    spent_today = state(agents, day=(400, 40), h24=(400, 8), d30=(4000, 80))
    spent_24h = state(agents, day=(400, 8), h24=(900, 60), d30=(4000, 80))
    spent_30d = state(agents, day=(400, 8), h24=(400, 8), d30=(4000, 400))
    assert pacer.decide(fresh) > 3  # predicts the wrap-ups and dials ahead of them
    for spent in (spent_today, spent_24h, spent_30d):
        assert pacer.required_rate(spent) == 0
        assert pacer.decide(spent) == 3  # one call per ready agent, none at risk


def test_ours_dials_ahead_for_agents_about_to_finish_not_for_those_just_started():
    pacer = trained("ours")
    # a day well under the cap so far: budget to spend
    budget = {"day": (1000, 0), "h24": (1000, 0), "d30": (1000, 0)}
    wrapping = state([("wrap_up", 40.0)] * 10, **budget)
    just_connected = state([("on_call", 1.0)] * 10, **budget)
    assert pacer.decide(wrapping) > pacer.decide(just_connected) == 0


def test_what_the_forecaster_learns():
    fc = trained("ours").fc
    fc.refresh(force=True)
    horizon = np.array([20.0])
    short, long = fc.free_within(np.array([150.0, 900.0]), np.zeros(0), horizon)[:, 0]
    assert 0 < long < short < 1  # past the usual length, a call tends to go on
    early, late, over = fc.answered_within(np.array([1.0, 12.0, 16.0]), np.array([30.0]))[:, 0]
    assert 0.25 < early < 0.45  # about a third of fresh calls are answered
    assert 0 < late < early
    assert over == 0  # nobody answers after 15 s of ringing


def test_the_dialler_may_pass_plain_lists_or_columns():
    pacer = make_pacer("ours")
    views = [AgentView("ready", 2.0), AgentView("wrap_up", 20.0), AgentView("on_call", 90.0)]
    table = AgentTable(np.array([0, 3, 2]), np.array([2.0, 20.0, 90.0]))
    assert list(table) == views
    as_list = state([(v.status, v.elapsed_s) for v in views])
    as_table = PacingState(now_s=100.0, agents=table, ringing=[], waiting=0, day_end_s=3700.0)
    assert pacer.marginal_risk(as_list, 5)[0] == pytest.approx(pacer.marginal_risk(as_table, 5)[0])


# --------------------------------------------------------------------------- VICIdial


def vicidial_at(level: float, method: str, *, over: bool, hours_left: float = 6.0):
    pacer = make_pacer("vicidial", method=method, level=level)
    pacer._dialled_today = 100  # more than the 50 calls VICIdial waits for
    day = (1000, 50 if over else 10)  # 5 % or 1 % of answered calls dropped
    agents = [("on_call", 60.0)] * 10  # nobody ready, nobody waiting: the differential is 0
    for second in range(17):
        s = state(agents, day=day, now=1000.0 + second)
        s.day_end_s = 1000.0 + hours_left * 3600
        pacer.decide(s)
    return pacer.level


def test_vicidial_halves_its_dial_level_when_the_day_is_over_target():
    assert vicidial_at(2.4, "ADAPT_AVERAGE", over=True) == pytest.approx(1.2)
    assert vicidial_at(2.4, "ADAPT_AVERAGE", over=False) == pytest.approx(2.4)
    # tapered: × hours left / 10
    assert vicidial_at(2.4, "ADAPT_TAPERED", over=True, hours_left=5) == pytest.approx(
        1.2, abs=0.01
    )
    assert vicidial_at(2.4, "ADAPT_HARD_LIMIT", over=True) == 1.0
    assert vicidial_at(1.5, "ADAPT_AVERAGE", over=True) == 1.0  # never below 1


def test_vicidial_raises_its_level_while_agents_wait_and_lines_follow_it():
    pacer = make_pacer("vicidial", level=1.0)
    agents = [("ready", 5.0)] * 2 + [("on_call", 60.0)] * 8
    for second in range(16):
        pacer.decide(state(agents, ringing=[1.0] * 10, now=500.0 + second))
    assert pacer.level == pytest.approx(1.2)  # × (1 + 2 ready / 10 agents)
    pacer.level = 2.0
    assert pacer.decide(state(agents, ringing=[3.0], now=516.0)) == 3  # 2 × 2 ready − 1


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown pacing strategy"):
        make_pacer("magic")
