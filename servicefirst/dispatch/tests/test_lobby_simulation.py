"""The branch-day simulation behind bench/lobby.py: one short day, every customer served under
every policy, and the benchmark's output shape."""

import dataclasses
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from servicefirst.dispatch import simulation as sim

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def short_day():
    """The default branch open for two hours (opening rush included)."""
    scenario = sim.default_scenario()
    return dataclasses.replace(scenario, closes_s=scenario.opens_s + 2 * sim.HOUR)


def test_every_customer_is_served_once_under_each_policy(short_day):
    # given: one seeded day's customers
    customers = sim.generate_day(short_day, random.Random("test-day"))
    assert customers
    assert all(short_day.opens_s <= c.arrival_s < short_day.closes_s for c in customers)

    for policy in sim.POLICIES:
        # when
        result = sim.simulate_day(customers, short_day, policy)

        # then: everyone served exactly once, never before they arrived
        served = [c.id for c, _ in result.waits]
        assert sorted(served) == [c.id for c in customers], policy
        assert all(wait >= 0 for _, wait in result.waits), policy
        if policy != "ours":
            assert result.moves == 0


def test_the_day_has_vip_elderly_and_ordinary_customers_with_their_priorities(short_day):
    customers = sim.generate_day(short_day, random.Random("test-day"))
    rules = short_day.rules

    for c in customers:
        if c.tier and c.priority == rules.vip[c.tier]:
            assert c.reason == "vip"
        elif c.age >= rules.elderly_age:
            assert (c.reason, c.priority) == ("elderly", rules.elderly)
        else:
            assert (c.reason, c.priority) == ("", 0)
    assert any(c.ordinary for c in customers)


def test_both_policies_see_the_same_customers_and_the_output_has_the_benchmark_shape(
    short_day,
):
    # when
    results = sim.run(short_day, days=1, seed=7)
    figures = sim.bench_json(results)

    # then
    assert results["fifo"]["customers"] == results["ours"]["customers"] > 0
    assert set(figures) == {"fifo", "ours"}
    for policy in ("fifo", "ours"):
        assert set(figures[policy]) == set(sim.METRICS)
        assert all(isinstance(v, int | float) for v in figures[policy].values())
        assert 0 <= figures[policy]["within_commitment"] <= 1
    json.dumps(figures)  # plain JSON values


def test_the_same_seed_gives_the_same_day(short_day):
    first = sim.bench_json(sim.run(short_day, days=1, seed=3))
    again = sim.bench_json(sim.run(short_day, days=1, seed=3))

    assert first == again


def test_counter_layouts_are_checked():
    assert [c.flexible for c in sim.parse_counters("cash; *cards+account")] == [False, True]
    with pytest.raises(ValueError, match="unknown service"):
        sim.parse_counters("cash;mortgages")
    with pytest.raises(ValueError, match="no counter handles"):
        sim.default_scenario(counters="cash")


def test_bench_script_prints_one_json_object():
    # when
    run = subprocess.run(
        [sys.executable, "bench/lobby.py", "--days", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    # then
    figures = json.loads(run.stdout)
    assert set(figures) == {"fifo", "ours"}
    assert set(figures["ours"]) == set(sim.METRICS)
