"""A call's life as staff and customers notice it: who may dial, what the timeline shows,
which agent an inbound caller reaches, how long they waited in rings, and that an outcome,
once written, stays."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer import agents, calls
from servicefirst.dialer.models import AgentState, AgentStatusLog, Call, DoNotCall

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2027, 3, 10, 12, 0, tzinfo=SHANGHAI)  # a Wednesday, no holiday


def ready_agent(languages=("zh",), username=None):
    staff = make_staff(Role.CC_AGENT, username=username)
    staff.languages = list(languages)
    staff.save()
    agents.agent_login(actor=staff.user)
    agents.agent_set_status(actor=staff.user, status=AgentState.Status.READY)
    return staff


def test_click_to_dial_queues_a_call_for_the_member_of_staff():
    agent = make_staff(Role.CC_AGENT)
    customer = make_customer(phones=["13800138000"])
    call = calls.click_to_dial(actor=agent.user, customer_id=customer.pk, now=NOON)
    assert call.state == Call.State.QUEUED
    assert call.phone == "+8613800138000"
    assert call.agent == agent
    assert call.requested_by == agent


def test_click_to_dial_refuses_do_not_call_and_late_hours_and_names_the_field():
    agent = make_staff(Role.CC_AGENT)
    flagged = make_customer(phones=["13800138001"])
    flagged.do_not_call = True
    flagged.save()
    with pytest.raises(ValidationFailed) as err:
        calls.click_to_dial(actor=agent.user, customer_id=flagged.pk, now=NOON)
    assert "phone" in err.value.errors

    listed = make_customer(phones=["13800138002"])
    DoNotCall.objects.create(phone="+8613800138002", reason=DoNotCall.Reason.REQUEST)
    with pytest.raises(ValidationFailed):
        calls.click_to_dial(actor=agent.user, customer_id=listed.pk, now=NOON)

    fine = make_customer(phones=["13800138003"])
    with pytest.raises(ValidationFailed):
        calls.click_to_dial(
            actor=agent.user, customer_id=fine.pk, now=NOON.replace(hour=22, minute=30)
        )
    assert not Call.objects.exists()


def test_staff_without_the_right_cannot_dial():
    teller = make_staff(Role.TELLER)
    customer = make_customer(phones=["13800138004"])
    with pytest.raises(PermissionDenied):
        calls.click_to_dial(actor=teller.user, customer_id=customer.pk, now=NOON)


def test_click_to_dial_only_the_customers_own_numbers():
    agent = make_staff(Role.CC_AGENT)
    customer = make_customer(phones=["13800138005"])
    with pytest.raises(ValidationFailed) as err:
        calls.click_to_dial(
            actor=agent.user, customer_id=customer.pk, phone="+8613900139000", now=NOON
        )
    assert "phone" in err.value.errors


def test_inbound_caller_is_identified_and_reaches_an_agent_who_speaks_their_language():
    zh_agent = ready_agent(("zh",), username="zh.agent")  # waiting longest
    en_agent = ready_agent(("en", "zh"), username="en.agent")
    customer = make_customer(phones=["13800138006"], preferred_language="en")
    call = calls.offer_inbound(dial_key="in-1", caller="+8613800138006")
    assert call.customer == customer
    assert call.needs_language == "en"
    state = calls.route_inbound(call)
    assert state.staff == en_agent
    assert AgentState.objects.get(staff=zh_agent).status == AgentState.Status.READY


def test_inbound_caller_waits_when_nobody_speaks_the_language():
    ready_agent(("zh",))
    make_customer(phones=["13800138007"], preferred_language="en")
    call = calls.offer_inbound(dial_key="in-2", caller="+8613800138007")
    assert calls.route_inbound(call) is None
    assert list(calls.waiting_inbound()) == [call]


def test_answered_inbound_call_counts_its_rings_and_lands_on_the_timeline():
    agent = ready_agent(("zh",))
    customer = make_customer(phones=["13800138008"])
    t0 = NOON
    call = calls.offer_inbound(dial_key="in-3", caller="+8613800138008", at=t0)
    state = calls.route_inbound(call, at=t0 + dt.timedelta(seconds=11))
    call = calls.connect(call.pk, state.pk, at=t0 + dt.timedelta(seconds=12))
    assert call.rings_before_answer == 3  # answered within three rings
    assert call.outcome == Call.Outcome.ANSWERED
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.ON_CALL

    call = calls.on_ended(call.pk, at=t0 + dt.timedelta(seconds=192))
    assert call.state == Call.State.WRAP_UP
    assert call.talk_s == 180
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.WRAP_UP

    call = calls.call_disposition(actor=agent.user, call_id=call.pk, notes="Asked about fees")
    assert call.state == Call.State.ENDED
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.READY
    entry = Interaction.objects.get(customer=customer)
    assert entry.kind == Interaction.Kind.CALL
    assert "Asked about fees" in entry.summary


def test_caller_who_hangs_up_in_the_queue_is_abandoned():
    make_customer(phones=["13800138009"])
    call = calls.offer_inbound(dial_key="in-4", caller="+8613800138009", at=NOON)
    call = calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=40))
    assert call.outcome == Call.Outcome.ABANDONED
    assert call.wait_s == 40


def test_an_outcome_once_written_stays():
    call = calls.offer_inbound(dial_key="in-5", caller="+8613800138010", at=NOON)
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=5))
    again = calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=50), outcome="busy")
    assert again.outcome == Call.Outcome.ABANDONED
    assert again.wait_s == 5


def test_answered_outbound_call_with_no_free_agent_is_abandoned_with_the_message():
    customer = make_customer(phones=["13800138011"])
    call = Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.PREDICTIVE,
        customer=customer,
        phone="+8613800138011",
        state=Call.State.DIALING,
        dial_key="out-1",
        dialed_at=NOON,
    )
    calls.on_ringing(call.pk)
    calls.on_answered(call.pk, at=NOON + dt.timedelta(seconds=9))
    assert agents.claim_agent(campaign_id=None) is None
    call = calls.abandon(call.pk, at=NOON + dt.timedelta(seconds=11))
    call = calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=20))
    assert call.outcome == Call.Outcome.ABANDONED
    assert call.id_message_played
    assert call.ring_s == 9
    assert Interaction.objects.filter(customer=customer, outcome="abandoned").exists()


def test_two_claimers_never_get_the_same_agent():
    ready_agent(("zh",))
    first = agents.claim_agent(inbound=True)
    second = agents.claim_agent(inbound=True)
    assert first is not None
    assert second is None


def test_status_log_measures_every_stretch():
    agent = ready_agent(("zh",))
    agents.agent_set_status(actor=agent.user, status=AgentState.Status.PAUSED, reason="lunch")
    agents.agent_set_status(actor=agent.user, status=AgentState.Status.OFFLINE)
    logs = list(AgentStatusLog.objects.filter(staff=agent).order_by("started_at", "id"))
    assert [log.status for log in logs] == ["paused", "ready", "paused"]
    assert all(log.ended_at is not None for log in logs)
    assert logs[-1].pause_reason == "lunch"


def test_pause_needs_a_reason_and_a_teller_cannot_log_in():
    agent = ready_agent(("zh",))
    with pytest.raises(ValidationFailed) as err:
        agents.agent_set_status(actor=agent.user, status=AgentState.Status.PAUSED)
    assert "reason" in err.value.errors
    with pytest.raises(PermissionDenied):
        agents.agent_login(actor=make_staff(Role.TELLER).user)


def test_branch_staff_click_to_dial_is_put_through_and_leaves_them_out_of_the_queues():
    manager = make_staff(Role.BRANCH_MANAGER)
    customer = make_customer(phones=["13800138012"], home_branch=manager.unit)
    call = calls.click_to_dial(actor=manager.user, customer_id=customer.pk, now=NOON)
    state = AgentState.objects.get(staff=manager)
    assert state.status == AgentState.Status.RESERVED
    assert state.takes_inbound is False
    assert agents.claim_agent(inbound=True) is None  # never offered an inbound call

    calls.mark_dialing(call.pk, adapter="simulator", at=NOON)
    calls.on_answered(call.pk, at=NOON + dt.timedelta(seconds=8))
    call = calls.connect(call.pk, state.pk, at=NOON + dt.timedelta(seconds=8))
    call = calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=128))
    assert call.state == Call.State.ENDED
    assert call.talk_s == 120
    assert AgentState.objects.get(staff=manager).status == AgentState.Status.OFFLINE
    assert Interaction.objects.filter(customer=customer, kind=Interaction.Kind.CALL).exists()


def test_an_agent_paused_for_a_call_of_their_own_is_paused_again_afterwards():
    agent = ready_agent(("zh",))
    agents.agent_set_status(actor=agent.user, status=AgentState.Status.PAUSED, reason="meeting")
    customer = make_customer(phones=["13800138013"])
    call = calls.click_to_dial(actor=agent.user, customer_id=customer.pk, now=NOON)
    with pytest.raises(ValidationFailed):
        calls.click_to_dial(actor=agent.user, customer_id=customer.pk, now=NOON)
    calls.mark_dialing(call.pk, adapter="simulator", at=NOON)
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=20), outcome="no_answer")
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.PAUSED
