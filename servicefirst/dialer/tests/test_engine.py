"""The dialer process in this process, against the telephony simulator running ten times
faster than real time: what a supervisor would check after a stretch of dialing — every call
closed with an outcome, nobody called again before the retry rules allow, abandoned calls
given the bank's message and within the cap, inbound callers put through to an agent who
speaks their language, agents held back for inbound calls while blending.

The engine commits from its own database thread, so these tests use committed data
(`transactional_db`). Waits are for a state to be reached (with a generous ceiling), never
assertions about how long something took."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import math

import pytest
from asgiref.sync import sync_to_async
from django.db.models import Q
from django.utils import timezone, translation

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.models import Campaign as CrmCampaign
from servicefirst.customers.models import Consent, Customer, Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer import agents, calls, desktop, engine, lists
from servicefirst.dialer.durations import talk_durations
from servicefirst.dialer.models import (
    AgentState,
    AgentStatusLog,
    Call,
    Callback,
    CallListEntry,
    Campaign,
    DialerProcess,
    Disposition,
)
from servicefirst.dialer.telephony.journal import CallJournal
from servicefirst.dialer.telephony.simulator import SimulatorTelephony

pytestmark = pytest.mark.django_db(transaction=True)

SCALE = 0.1  # ten simulated seconds per real second: the 2-second rule has 200 ms
FLAT_ANSWER = dict.fromkeys(range(24), 0.35)  # the test may run at any hour
MESSAGE = (
    "This is ServiceFirst Bank calling; we will call you again. To stop our calls, call 95500."
)


def message_for(customer: Customer) -> str:
    """The identification message in the customer's language (Chinese by default)."""
    language = "en" if customer.preferred_language == "en" else "zh-hans"
    with translation.override(language):
        return str(engine.DEFAULT_ID_MESSAGE)


_numbers = itertools.count(1)

RETRY_HOURS = {  # what the campaigns below allow after each outcome
    Call.Outcome.BUSY: 0,
    Call.Outcome.FAILED: 0,
    Call.Outcome.NO_ANSWER: 4,
    Call.Outcome.MACHINE: 24,
    Call.Outcome.ABANDONED: 72,
}


# --------------------------------------------------------------------------- the floor


def make_campaign(mode=Campaign.Mode.PREDICTIVE, **fields) -> Campaign:
    n = next(_numbers)
    crm = CrmCampaign.objects.create(code=f"engine-{n}", name=f"Engine test {n}")
    values = {
        "name": f"Engine test {n}",
        "mode": mode,
        "status": Campaign.Status.ACTIVE,
        # Any hour and any day: the test may run at night or on a holiday.
        "window_start": dt.time(0, 0),
        "window_end": dt.time(23, 59, 59, 999999),
        "call_on_holidays": True,
        "retry_busy_hours": 0,  # busy and failed calls are retried at once
        "retry_no_answer_hours": 4,
        "retry_machine_hours": 24,
        "max_attempts": 3,
    }
    values.update(fields)
    campaign = Campaign.objects.create(crm=crm, **values)
    for order, (code, kind) in enumerate(
        [
            ("sale", Disposition.Kind.SALE),
            ("interested", Disposition.Kind.INTERESTED),
            ("not-interested", Disposition.Kind.NOT_INTERESTED),
            ("other", Disposition.Kind.OTHER),
        ]
    ):
        Disposition.objects.create(
            campaign=campaign, code=code, kind=kind, label_zh=code, label_en=code, sort_order=order
        )
    return campaign


def phone_number() -> str:
    return f"+86139{next(_numbers) + 10_000_000:08d}"


def make_callable_customer(**data) -> Customer:
    """A customer with a mobile number who agreed to phone calls and marketing."""
    customer = make_customer(phones=[phone_number()], **data)
    Consent.objects.bulk_create(
        [
            Consent(customer=customer, kind=Consent.Kind.PHONE, source="test"),
            Consent(customer=customer, kind=Consent.Kind.MARKETING, source="test"),
        ]
    )
    return customer


def fill_list(campaign: Campaign, size: int) -> list[CallListEntry]:
    entries = []
    for _i in range(size):
        customer = make_callable_customer()
        entries.append(
            CallListEntry(
                campaign=campaign,
                customer=customer,
                phone=customer.phones.get().e164,
                source=CallListEntry.Source.HAND,
            )
        )
    return CallListEntry.objects.bulk_create(entries)


def robot(campaign: Campaign | None, *, languages=("zh",), takes_inbound=False, since=None):
    """A simulated agent (phone "sim:…"), logged in and ready."""
    staff = make_staff(Role.CC_AGENT)
    staff.languages = list(languages)
    staff.save(update_fields=["languages"])
    if campaign is not None:
        campaign.agents.add(staff)
    now = timezone.now()
    state = AgentState.objects.create(
        staff=staff,
        campaign=campaign,
        takes_inbound=takes_inbound,
        languages=list(languages),
        phone_uri=f"sim:robot:{staff.pk}",
        logged_in_at=now,
    )
    return agents.transition(state, AgentState.Status.READY, at=since or now)


def simulator(tmp_path, **options) -> SimulatorTelephony:
    """The simulator with the real telemarketing call lengths, an eighth as long (so that a
    test sees a few calls per agent), and a 35 % answer rate at every hour."""
    values = {
        "time_scale": SCALE,
        "answer_by_hour": FLAT_ANSWER,
        "seed": "engine-test",
        "talk_times": [d / 8 for d in talk_durations()],
    }
    values.update(options)
    return SimulatorTelephony(journal_path=tmp_path / "journal.jsonl", **values)


def dialer(telephony, **options) -> engine.Dialer:
    values = {"robots": True, "grace_s": 60.0, "lease_s": 15.0}
    values.update(options)
    return engine.Dialer(telephony, options=engine.Options.from_settings(**values), seed=7)


def run(dialer_: engine.Dialer, *, for_seconds=None, until=None, then=None, ceiling=60.0):
    """Run the dialer until `until()` holds (checked in the database) or for `for_seconds`,
    with `then()` awaited once it dials; then stop it gracefully and wait for it to finish."""

    async def main():
        task = asyncio.create_task(dialer_.run(for_seconds=for_seconds))
        if then is not None:
            while not dialer_._running and not task.done():
                await asyncio.sleep(0.01)
            await then()
        if until is not None:
            loop = asyncio.get_running_loop()
            give_up = loop.time() + ceiling
            while not task.done() and loop.time() < give_up:
                if await sync_to_async(until)():
                    break
                await asyncio.sleep(0.05)
            dialer_.request_stop()
        return await task

    return asyncio.run(main())


# --------------------------------------------------------------------------- checks


def within_cap(abandoned: int, live_answered: int, cap: float, alpha: float = 0.001) -> bool:
    """Whether `abandoned` of `live_answered` is consistent with an abandonment rate at or
    under `cap`: a one-sided binomial test that fails only when that many abandons would
    happen less than `alpha` of the time at the cap. A short run has few answers, and the
    pacer spends the budget up to the cap by design, so the run's rate itself wanders."""
    tail = sum(
        math.comb(live_answered, k) * cap**k * (1 - cap) ** (live_answered - k)
        for k in range(abandoned, live_answered + 1)
    )
    return tail >= alpha


def assert_retry_rules_kept(campaign: Campaign) -> None:
    """Nobody was called while a call to them was under way, nor again before the retry
    rule of the previous outcome allowed it, nor more than three times a week."""
    by_customer: dict[int, list[Call]] = {}
    for call in Call.objects.filter(campaign=campaign).order_by("dialed_at", "id"):
        by_customer.setdefault(call.customer_id, []).append(call)
    for customer_calls in by_customer.values():
        assert len(customer_calls) <= 3
        for before, after in itertools.pairwise(customer_calls):
            assert before.outcome in RETRY_HOURS, (before.outcome, after.dial_key)
            allowed = before.ended_at + dt.timedelta(hours=RETRY_HOURS[before.outcome])
            assert after.dialed_at >= allowed


def ready_at(staff_ids, moment) -> int:
    """How many of these agents were ready at that moment (from their status log)."""
    return (
        AgentStatusLog.objects.filter(
            staff_id__in=staff_ids, status=AgentState.Status.READY, started_at__lte=moment
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
        .count()
    )


def journal_messages(tmp_path, dial_key: str) -> list[str]:
    records = CallJournal(tmp_path / "journal.jsonl").records(dial_key)
    return [r.get("message") for r in records if r.get("op") == "abandon"]


# --------------------------------------------------------------------------- tests


def test_predictive_campaign_with_robot_agents(tmp_path):
    # given a running predictive campaign, ten robot agents and a list of 300 customers
    campaign = make_campaign()
    fill_list(campaign, 300)
    floor = [robot(campaign) for _i in range(10)]
    telephony = simulator(tmp_path)

    # when the dialer runs for 30 s (five simulated minutes) and stops
    counters = run(dialer(telephony), for_seconds=30)

    # then every call is over, with one outcome, once on the customer's timeline
    made = list(Call.objects.filter(campaign=campaign))
    assert counters.dialled == len(made) > 40
    assert {c.state for c in made} == {Call.State.ENDED}
    assert all(c.outcome for c in made)
    for call in made:
        assert Interaction.objects.filter(source_key=call.dial_key).count() == 1
    # agents talked; the robots closed their calls with dispositions and are ready again
    connected = [c for c in made if c.connected_at is not None]
    assert connected
    assert all(c.disposition_id for c in connected)
    states = AgentState.objects.filter(pk__in=[r.pk for r in floor])
    assert {s.status for s in states} == {AgentState.Status.READY}
    # each dial_key was placed once, and the journal agrees with the database
    journal = CallJournal(tmp_path / "journal.jsonl")
    assert sorted(journal.keys()) == sorted(c.dial_key for c in made)
    assert_retry_rules_kept(campaign)
    # every entry is accounted for: one attempt per call, none left "being called"
    for entry in CallListEntry.objects.filter(campaign=campaign):
        assert entry.attempts == Call.objects.filter(entry=entry).count()
        assert entry.status != CallListEntry.Status.IN_PROGRESS
    # abandoned calls heard the message, and there were no more of them than the cap allows
    live = [c for c in made if c.is_live_answer]
    abandoned = [c for c in made if c.outcome == Call.Outcome.ABANDONED]
    assert all(c.id_message_played for c in abandoned)
    assert within_cap(len(abandoned), len(live), float(campaign.abandon_cap))
    for call in abandoned:
        heard = journal_messages(tmp_path, call.dial_key)
        assert heard in ([message_for(call.customer)], [])  # [] = the customer hung up first
    # the lease was taken and given back
    assert DialerProcess.objects.get(name="dialer").stopped_at is not None


def test_an_answered_customer_without_a_free_agent_is_abandoned_with_the_message(tmp_path):
    # given one agent and a pacer that dials three lines for them, everybody answering; the
    # customers speak English
    campaign = make_campaign()
    for entry in fill_list(campaign, 60):
        Customer.objects.filter(pk=entry.customer_id).update(preferred_language="en")
    robot(campaign)
    telephony = simulator(
        tmp_path, answer_by_hour=dict.fromkeys(range(24), 1.0), busy_rate=0.0, machine_rate=0.0
    )

    # when the dialer runs until a call has been abandoned
    counters = run(
        dialer(telephony, pacer="ratio", pacer_params={"ratio": 3.0}),
        until=lambda: Call.objects.filter(
            outcome=Call.Outcome.ABANDONED, state=Call.State.ENDED, id_message_played=True
        ).exists(),
    )

    # then the customer who found nobody heard the message and is not called for 72 hours
    assert counters.abandoned >= 1
    call = Call.objects.filter(outcome=Call.Outcome.ABANDONED, id_message_played=True).first()
    assert call.answered_at is not None
    assert call.agent_id is None
    assert journal_messages(tmp_path, call.dial_key) == [MESSAGE]
    entry = CallListEntry.objects.get(pk=call.entry_id)
    assert entry.next_attempt_at >= call.answered_at + dt.timedelta(hours=72)


def test_inbound_caller_reaches_the_agent_who_speaks_their_language(tmp_path):
    # given a Chinese-speaking agent who has waited an hour and an English-speaking one
    zh = robot(
        None, languages=("zh",), takes_inbound=True, since=timezone.now() - dt.timedelta(hours=1)
    )
    en = robot(None, languages=("en",), takes_inbound=True)
    caller = make_callable_customer(preferred_language="en")
    number = caller.phones.get().e164
    telephony = simulator(tmp_path, inbound_patience_mean_s=100_000)
    keys = []

    async def ring():
        keys.append(await telephony.offer_inbound(number, "95500"))

    # when an English-speaking customer calls the bank
    run(
        dialer(telephony),
        then=ring,
        until=lambda: Call.objects.filter(
            direction=Call.Direction.INBOUND, connected_at__isnull=False
        ).exists(),
    )

    # then they are recognised by their number and put through to the English speaker
    call = Call.objects.get(dial_key=keys[0])
    assert call.customer == caller
    assert call.needs_language == "en"
    assert call.agent_id == en.staff_id
    assert call.outcome == Call.Outcome.ANSWERED
    assert call.rings_before_answer is not None
    zh.refresh_from_db()
    assert zh.status == AgentState.Status.READY
    assert zh.current_call is None
    records = CallJournal(tmp_path / "journal.jsonl").records(keys[0])
    assert [r["agent_uri"] for r in records if r["op"] == "answer"] == [en.phone_uri]


def test_blending_keeps_agents_free_for_inbound_calls(tmp_path):
    # given four agents who also take inbound calls, two of them to be kept free for inbound
    campaign = make_campaign(mode=Campaign.Mode.PROGRESSIVE)
    fill_list(campaign, 80)
    floor = [robot(campaign, takes_inbound=True) for _i in range(4)]
    staff_ids = [a.staff_id for a in floor]
    number = make_callable_customer().phones.get().e164
    short_talks = [d / 40 for d in talk_durations()]  # many calls in a short test
    telephony = simulator(tmp_path, inbound_patience_mean_s=100_000, talk_times=short_talks)
    keys = []

    async def ring_later():
        async def later():
            await asyncio.sleep(5)
            keys.append(await telephony.offer_inbound(number, "95500"))

        asyncio.get_running_loop().create_task(later())

    # when the progressive campaign runs for 20 s and a customer calls in meanwhile
    run(dialer(telephony, blend_threshold=2), for_seconds=20, then=ring_later)

    # then calls were placed only while more than two agents were idle, never more than two
    # agents' worth at once, and the caller got one of the agents kept free
    outbound = list(Call.objects.filter(campaign=campaign).order_by("dialed_at", "id"))
    assert len(outbound) >= 5
    for call in outbound:
        assert ready_at(staff_ids, call.dialed_at) >= 3
        under_way = [c for c in outbound if c.dialed_at <= call.dialed_at < c.ended_at]
        assert len(under_way) <= 2
    inbound = Call.objects.get(dial_key=keys[0])
    assert inbound.outcome == Call.Outcome.ANSWERED
    assert inbound.agent_id in staff_ids
    assert ready_at(staff_ids, inbound.dialed_at) >= 2


def test_the_inbound_threshold_follows_the_inbound_load():
    quiet = engine.blend_threshold(arrivals_per_s=0.0, aht_s=180, inbound_busy=0, waiting=0)
    assert quiet == 0  # no inbound calls: nobody is held back
    light = engine.blend_threshold(arrivals_per_s=1 / 600, aht_s=180, inbound_busy=0, waiting=0)
    assert light >= 1
    busy = engine.blend_threshold(arrivals_per_s=10 / 60, aht_s=180, inbound_busy=0, waiting=0)
    assert busy > light
    covered = engine.blend_threshold(arrivals_per_s=10 / 60, aht_s=180, inbound_busy=40, waiting=0)
    assert covered == 1  # enough agents on inbound calls already: one kept free
    queue = engine.blend_threshold(arrivals_per_s=10 / 60, aht_s=180, inbound_busy=40, waiting=3)
    assert queue == 4  # and one more for each caller waiting


def test_a_second_dialer_stands_by_while_the_first_holds_the_lease(tmp_path):
    # given a dialer holding the lease
    first = engine.Lease("dialer", "simulator", stale_s=15)
    assert first.acquire()

    # when a second one starts, it waits and dials nothing
    second = dialer(simulator(tmp_path))
    second.lease.pid = first.pid + 1  # another process on this host
    assert run(second, for_seconds=0.5).dialled == 0
    process = DialerProcess.objects.get(name="dialer")
    assert process.pid == first.pid
    assert process.stopped_at is None

    # and when the first stops, the standby takes over
    first.release()
    standby = dialer(simulator(tmp_path))
    standby.lease.pid = first.pid + 1
    run(standby, for_seconds=0.5)
    assert DialerProcess.objects.get(name="dialer").pid == first.pid + 1


def test_a_call_queued_for_an_agent_is_dialled_and_put_through_to_that_agent(tmp_path):
    # given a preview campaign and two ready agents; the one who waited less previews a
    # customer and dials (the desktop reserves them and queues the call)
    campaign = make_campaign(mode=Campaign.Mode.PREVIEW)
    fill_list(campaign, 1)
    robot(campaign, since=timezone.now() - dt.timedelta(hours=1))
    previewer = robot(campaign)
    entry = lists.claim_entries(campaign, 1)[0]
    reserved = agents.claim_agent(staff_id=previewer.staff_id)
    queued = calls.queue_outbound(
        entries=[entry],
        mode=Call.Mode.PREVIEW,
        agent_state=reserved,
        state=Call.State.QUEUED,
    )[0]
    telephony = simulator(
        tmp_path, answer_by_hour=dict.fromkeys(range(24), 1.0), busy_rate=0.0, machine_rate=0.0
    )

    # when the dialer runs until the customer is on the line
    run(
        dialer(telephony),
        until=lambda: Call.objects.filter(pk=queued.pk, connected_at__isnull=False).exists(),
    )

    # then the customer was put through to the agent who dialled them, nobody else
    call = Call.objects.get(pk=queued.pk)
    assert call.agent_id == previewer.staff_id
    assert call.outcome == Call.Outcome.ANSWERED
    records = CallJournal(tmp_path / "journal.jsonl").records(call.dial_key)
    assert [r["agent_uri"] for r in records if r["op"] == "bridge"] == [previewer.phone_uri]


def test_a_due_callback_is_made_by_its_agent_when_they_are_ready(tmp_path):
    # given a callback promised by an agent, now due, and the agent ready
    campaign = make_campaign(mode=Campaign.Mode.PREVIEW)
    (entry,) = fill_list(campaign, 1)
    other = robot(campaign, since=timezone.now() - dt.timedelta(hours=1))
    promised = robot(campaign)
    entry.status = CallListEntry.Status.SCHEDULED
    entry.save(update_fields=["status"])
    callback = Callback.objects.create(
        campaign=campaign,
        entry=entry,
        customer=entry.customer,
        phone=entry.phone,
        due_at=timezone.now() - dt.timedelta(minutes=1),
        assigned_to=promised.staff,
    )
    telephony = simulator(
        tmp_path, answer_by_hour=dict.fromkeys(range(24), 1.0), busy_rate=0.0, machine_rate=0.0
    )

    # when the dialer runs until the callback is done
    run(
        dialer(telephony),
        until=lambda: Callback.objects.filter(pk=callback.pk, status=Callback.Status.DONE).exists(),
    )

    # then the agent who promised it called the customer back
    callback.refresh_from_db()
    call = callback.done_call
    assert call.mode == Call.Mode.CALLBACK
    assert call.agent_id == promised.staff_id
    assert call.connected_at is not None
    other.refresh_from_db()
    assert not Call.objects.filter(agent=other.staff).exists()


def test_the_agents_hang_up_button_clears_the_line(tmp_path):
    # given an agent (a person: no robot) talking to a customer they dialled from preview
    campaign = make_campaign(mode=Campaign.Mode.PREVIEW)
    fill_list(campaign, 1)
    agent = robot(campaign)
    AgentState.objects.filter(pk=agent.pk).update(phone_uri="sip:1001@pbx.example")
    entry = lists.claim_entries(campaign, 1)[0]
    reserved = agents.claim_agent(staff_id=agent.staff_id)
    queued = calls.queue_outbound(
        entries=[entry], mode=Call.Mode.PREVIEW, agent_state=reserved, state=Call.State.QUEUED
    )[0]
    telephony = simulator(
        tmp_path,
        answer_by_hour=dict.fromkeys(range(24), 1.0),
        busy_rate=0.0,
        machine_rate=0.0,
        talk_times=[3600.0],  # the customer would talk for an hour
    )

    async def hang_up_once_talking():
        async def press():
            while not await sync_to_async(
                Call.objects.filter(pk=queued.pk, state=Call.State.CONNECTED).exists
            )():
                await asyncio.sleep(0.05)
            await sync_to_async(desktop.request_hangup)(actor=agent.staff.user, call_id=queued.pk)

        asyncio.get_running_loop().create_task(press())

    # when the agent presses Hang up
    run(
        dialer(telephony),
        then=hang_up_once_talking,
        until=lambda: Call.objects.filter(pk=queued.pk, state=Call.State.WRAP_UP).exists(),
    )

    # then the dialer cleared the line (from the agent's side) and the agent is in wrap-up
    call = Call.objects.get(pk=queued.pk)
    assert call.state == Call.State.WRAP_UP
    last = telephony.timeline(call.dial_key)[-1]
    assert last.kind == "hangup"
    assert last.detail["by"] == "agent"
    records = CallJournal(tmp_path / "journal.jsonl").records(call.dial_key)
    assert [r["op"] for r in records if r["op"] in ("bridge", "hangup")] == ["bridge", "hangup"]
    assert AgentState.objects.get(pk=agent.pk).status == AgentState.Status.WRAP_UP
