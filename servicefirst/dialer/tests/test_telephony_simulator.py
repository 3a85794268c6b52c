"""The telephony simulator: the world it simulates (answer rates by the customer's hour, busy,
machines, ring and talk times from the real call durations), the port's behaviour live (bridge,
abandon, agent and customer hang-ups, inbound), and crash safety (the journal: no key dialled
twice, a call's outcome recomputed after a restart). No test waits for a time: live tests run
the simulated clock 100x faster and wait for events."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import statistics

import pytest
from django.core.exceptions import ImproperlyConfigured

from servicefirst.dialer.durations import talk_durations
from servicefirst.dialer.telephony.factory import get_telephony
from servicefirst.dialer.telephony.port import AlreadyDialled, EventKind, Telephony, TelephonyError
from servicefirst.dialer.telephony.simulator import SimulatorTelephony

MOBILE = "+8613800138000"  # a Chinese mobile: the customer's zone is Asia/Shanghai (UTC+8)
GUARD_S = 30  # only against a hang


def at_local(hour: int) -> dt.datetime:
    """A weekday at `hour`:30 in Shanghai, as UTC."""
    return dt.datetime(2026, 3, 3, hour, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(
        dt.UTC
    )


def outcome(events) -> str:
    """What happened when the call was placed: the last event before any hang-up."""
    kinds = [str(e.kind) for e in events]
    return kinds[-2] if kinds[-1] == "hangup" else kinds[-1]


@pytest.fixture
def sim(tmp_path):
    return SimulatorTelephony(journal_path=tmp_path / "journal.jsonl")


def test_outcomes_follow_the_hour_of_the_customers_day(sim):
    n = 4000
    rates = {}
    for hour in (9, 12, 15, 19):
        fates = collections.Counter(
            outcome(sim.preview(f"h{hour}-{i}", MOBILE, at=at_local(hour), ring_timeout_s=20))
            for i in range(n)
        )
        rates[hour] = {kind: count / n for kind, count in fates.items()}
    picked_up = {h: r.get("answered", 0) + r.get("machine", 0) for h, r in rates.items()}
    assert (
        picked_up[9] < picked_up[15] < picked_up[12] < picked_up[19]
    )  # quiet morning, busy evening
    assert picked_up[9] == pytest.approx(0.20, abs=0.03)
    assert picked_up[19] == pytest.approx(0.40, abs=0.03)
    for r in rates.values():
        assert r["busy"] == pytest.approx(0.10, abs=0.02)
        machines = r.get("machine", 0) / (r.get("answered", 0) + r.get("machine", 0))
        assert 0.03 <= machines <= 0.12
    # Over the calling day, about 30% pick up (the benchmark's assumption).
    day = [
        outcome(sim.preview(f"d{i}", MOBILE, at=at_local(9 + i % 12), ring_timeout_s=20))
        for i in range(6000)
    ]
    assert sum(k in ("answered", "machine") for k in day) / len(day) == pytest.approx(
        0.30, abs=0.02
    )


def test_ring_times_and_no_answer_follow_the_ring_timeout(sim):
    rings = []
    for i in range(2000):
        events = sim.preview(f"r{i}", MOBILE, at=at_local(19), ring_timeout_s=20)
        kinds = [str(e.kind) for e in events]
        if "answered" in kinds:
            rings.append(events[kinds.index("answered")].detail["ring_s"])
        if "no_answer" in kinds:
            assert events[kinds.index("no_answer")].detail["ring_s"] == 20
        if "ringing" in kinds:
            assert kinds[0] == "ringing"
    assert min(rings) >= 5
    assert max(rings) <= 15
    assert statistics.mean(rings) == pytest.approx(10, abs=0.5)
    # A ring timeout shorter than some customers take to answer loses them to no-answer.
    short = [
        outcome(sim.preview(f"r{i}", MOBILE, at=at_local(19), ring_timeout_s=8))
        for i in range(2000)
    ]
    assert short.count("answered") < 0.5 * len(rings)


def test_the_same_key_always_meets_the_same_fate(tmp_path):
    one = SimulatorTelephony(journal_path=tmp_path / "a.jsonl")
    two = SimulatorTelephony(journal_path=tmp_path / "b.jsonl")
    other_seed = SimulatorTelephony(journal_path=tmp_path / "c.jsonl", seed="another day")
    when = at_local(12)
    same = [one.preview(f"k{i}", MOBILE, at=when, ring_timeout_s=20) for i in range(200)]
    assert same == [two.preview(f"k{i}", MOBILE, at=when, ring_timeout_s=20) for i in range(200)]
    assert same != [
        other_seed.preview(f"k{i}", MOBILE, at=when, ring_timeout_s=20) for i in range(200)
    ]


def test_invalid_numbers_fail(sim):
    (failed,) = sim.preview("bad", "12345", at=at_local(12), ring_timeout_s=20)
    assert failed.kind == EventKind.FAILED
    assert failed.detail == {"cause": "invalid_number"}


class Recorder:
    def __init__(self) -> None:
        self.events: list = []
        self.changed = asyncio.Condition()

    async def __call__(self, event) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def of(self, key: str) -> list:
        return [e for e in self.events if e.dial_key == key]

    async def until(self, key: str, kind: EventKind):
        async def seen():
            async with self.changed:
                await self.changed.wait_for(lambda: any(e.kind == kind for e in self.of(key)))
            return next(e for e in self.of(key) if e.kind == kind)

        return await asyncio.wait_for(seen(), GUARD_S)


def fast(tmp_path, **options) -> SimulatorTelephony:
    # 100x faster; customers wait long enough for a slow test machine to react.
    options = {"time_scale": 0.01, "patience_min_s": 200, "patience_max_s": 300, **options}
    return SimulatorTelephony(journal_path=tmp_path / "journal.jsonl", **options)


def keys_that(sim, fate: str, count: int, *, prefix: str, talk: tuple | None = None):
    """Keys whose calls, placed now, meet `fate` (found with preview: same draws as live)."""
    found = []
    now = dt.datetime.now(dt.UTC)
    for i in range(100_000):
        key = f"{prefix}{i}"
        if outcome(sim.preview(key, MOBILE, at=now, ring_timeout_s=20)) != fate:
            continue
        if talk is not None:
            opening = {"seed": sim.config.seed, "key": key, "params": sim._params(MOBILE, now)}
            if not talk[0] <= sim._draws(opening).talk_s < talk[1]:
                continue
        found.append(key)
        if len(found) == count:
            return found
    raise AssertionError(f"no {fate} keys")


def test_bridged_calls_talk_for_real_durations_and_end_by_customer_or_agent(tmp_path):
    async def scenario():
        sim = fast(tmp_path)
        events = Recorder()
        await sim.start(events)
        try:
            (short_talk,) = keys_that(sim, "answered", 1, prefix="t", talk=(0, 60))
            (long_talk,) = keys_that(sim, "answered", 1, prefix="u", talk=(900, 10**6))
            for key in (short_talk, long_talk):
                await sim.originate(key, MOBILE, ring_timeout_s=20)
                await events.until(key, EventKind.ANSWERED)
                await sim.bridge(key, f"sip:agent-{key}@bank")
            hung_up = await events.until(short_talk, EventKind.HANGUP)
            assert hung_up.detail["by"] == "customer"
            assert hung_up.detail["talk_s"] in set(talk_durations())  # a real call length
            assert [str(e.kind) for e in events.of(short_talk)] == [
                "ringing",
                "answered",
                "connected",
                "hangup",
            ]
            connected = events.of(short_talk)[2]
            assert connected.detail == {"agent_uri": f"sip:agent-{short_talk}@bank"}

            await sim.hangup(long_talk)  # the agent ends it first
            assert (await events.until(long_talk, EventKind.HANGUP)).detail == {"by": "agent"}
            with pytest.raises(TelephonyError):
                await sim.bridge(long_talk, "sip:agent-9@bank")  # over
        finally:
            await sim.stop()

    asyncio.run(scenario())


def test_abandoned_call_plays_the_message_then_clears(tmp_path):
    async def scenario():
        sim = fast(tmp_path)
        events = Recorder()
        await sim.start(events)
        try:
            (key,) = keys_that(sim, "answered", 1, prefix="a")
            await sim.originate(key, MOBILE, ring_timeout_s=20)
            await events.until(key, EventKind.ANSWERED)
            await sim.abandon(key, "This is ServiceFirst Bank. We will call you again.")
            hangup = await events.until(key, EventKind.HANGUP)
            assert hangup.detail["by"] == "system"
            assert hangup.detail["abandoned"] is True
            assert hangup.detail["message"] == "This is ServiceFirst Bank. We will call you again."
        finally:
            await sim.stop()

    asyncio.run(scenario())


def test_an_unattended_answer_is_a_customer_hangup(tmp_path):
    async def scenario():
        sim = fast(tmp_path, patience_min_s=3, patience_max_s=10)
        events = Recorder()
        await sim.start(events)
        try:
            (key,) = keys_that(sim, "answered", 1, prefix="w")
            await sim.originate(key, MOBILE, ring_timeout_s=20)
            hangup = await events.until(key, EventKind.HANGUP)
            assert hangup.detail["by"] == "customer"
            assert hangup.detail["unattended"] is True
            assert 3 <= hangup.detail["waited_s"] <= 10
        finally:
            await sim.stop()

    asyncio.run(scenario())


def test_busy_no_answer_and_machine_arrive_live(tmp_path):
    async def scenario():
        sim = fast(tmp_path)
        events = Recorder()
        await sim.start(events)
        try:
            keys = {
                "busy": keys_that(sim, "busy", 1, prefix="b")[0],
                "no_answer": keys_that(sim, "no_answer", 1, prefix="n")[0],
                "machine": keys_that(sim, "machine", 1, prefix="m")[0],
            }
            for key in keys.values():
                await sim.originate(key, MOBILE, ring_timeout_s=20)
            await events.until(keys["busy"], EventKind.BUSY)
            await events.until(keys["no_answer"], EventKind.NO_ANSWER)
            await events.until(keys["machine"], EventKind.MACHINE)
            await sim.hangup(keys["machine"])
            assert (await events.until(keys["machine"], EventKind.HANGUP)).detail["by"] == "system"
            assert [str(e.kind) for e in events.of(keys["no_answer"])] == ["ringing", "no_answer"]
        finally:
            await sim.stop()

    asyncio.run(scenario())


def test_inbound_calls_are_answered_or_given_up(tmp_path):
    async def scenario():
        sim = fast(tmp_path, inbound_patience_mean_s=30)
        events = Recorder()
        await sim.start(events)
        try:
            taken = await sim.offer_inbound("+8613800138000", "95555")
            ignored = await sim.offer_inbound("+8613900139000", "95555")
            offered = await events.until(taken, EventKind.OFFERED)
            assert offered.detail == {"caller": "+8613800138000", "dialled": "95555"}
            await sim.answer(taken, "sip:agent-1@bank")
            connected = await events.until(taken, EventKind.CONNECTED)
            assert connected.detail["agent_uri"] == "sip:agent-1@bank"
            await sim.hangup(taken)
            assert (await events.until(taken, EventKind.HANGUP)).detail == {"by": "agent"}

            gave_up = await events.until(ignored, EventKind.HANGUP)
            assert gave_up.detail["by"] == "customer"
            assert gave_up.detail["before_answer"] is True
        finally:
            await sim.stop()

    asyncio.run(scenario())


def test_after_a_crash_nothing_is_dialled_twice_and_outcomes_are_recomputed(tmp_path):
    async def scenario():
        first = fast(tmp_path)
        events = Recorder()
        await first.start(events)
        bridged, ringing = keys_that(first, "answered", 2, prefix="c")
        await first.originate(bridged, MOBILE, ring_timeout_s=20)
        await events.until(bridged, EventKind.ANSWERED)
        await first.bridge(bridged, "sip:agent-2@bank")
        await first.originate(ringing, MOBILE, ring_timeout_s=20)
        await events.until(ringing, EventKind.RINGING)
        seen_before = events.of(ringing)
        expected = first.timeline(bridged)
        await first.stop()  # the dialer process dies

        second = fast(tmp_path)
        events = Recorder()
        await second.start(events)
        try:
            for key in (bridged, ringing):
                with pytest.raises(AlreadyDialled):
                    await second.originate(key, MOBILE, ring_timeout_s=20)
            # The call that was ringing: what had happened is told again, and the rest of
            # it arrives live, so the new dialer can put it through.
            recovered = await second.recover(ringing)
            assert recovered[: len(seen_before)] == seen_before
            await events.until(ringing, EventKind.ANSWERED)
            await second.bridge(ringing, "sip:agent-3@bank")
            await events.until(ringing, EventKind.CONNECTED)
            # The bridged call ends as it would have: same events, recomputed.
            assert second.timeline(bridged) == expected
        finally:
            await second.stop()

        # Much later (a clock an hour ahead), the whole story is known.
        later = SimulatorTelephony(
            journal_path=tmp_path / "journal.jsonl",
            time_scale=0.01,
            clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        )
        story = await later.recover(bridged)
        assert story == expected
        assert [str(e.kind) for e in story] == ["ringing", "answered", "connected", "hangup"]
        assert await later.recover("never-dialled") == []

    asyncio.run(scenario())


def test_factory_builds_the_adapter_the_settings_name(tmp_path):
    sim = get_telephony(
        {
            "ADAPTER": "simulator",
            "SIMULATOR": {"TIME_SCALE": "0.5", "JOURNAL_PATH": str(tmp_path / "j.jsonl")},
            "SIP": {"URI_TEMPLATE": "ignored for the simulator"},
        }
    )
    assert isinstance(sim, SimulatorTelephony)
    assert isinstance(sim, Telephony)
    assert sim.config.time_scale == 0.5

    sip = get_telephony(
        {
            "ADAPTER": "sip",
            "SIP": {
                "URI_TEMPLATE": "sip:{number}@pbx.bank:5060",
                "INBOUND_NUMBERS": "95555, 95556",
                "SPAWN": "false",
                "WORK_DIR": str(tmp_path / "sip"),
            },
        }
    )
    assert sip.name == "sip"
    assert isinstance(sip, Telephony)
    assert sip.uri_for("+8613800138000") == "sip:+8613800138000@pbx.bank:5060"
    assert sip.inbound_numbers == ["95555", "95556"]
    assert sip.spawn is False

    ami = get_telephony(
        {
            "ADAPTER": "ami",
            "HOST": "pbx.bank",
            "PORT": "5038",
            "SECRET": "x",
            "AMD": "true",
            "JOURNAL_PATH": str(tmp_path / "ami.jsonl"),
        }
    )
    assert (ami.name, ami.host, ami.port, ami.amd) == ("ami", "pbx.bank", 5038, True)

    with pytest.raises(ImproperlyConfigured):
        get_telephony({"ADAPTER": "skype"})
    with pytest.raises(ImproperlyConfigured):
        get_telephony({"ADAPTER": "simulator", "RING_FOREVER": True})
