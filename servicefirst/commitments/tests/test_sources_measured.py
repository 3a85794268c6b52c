"""Each event source feeding a measurement: the real action through the producer's service, the
real engine, and the case a member of staff would then see — the branch floor, the contact
centre, service requests (with a pause and a transfer), the HTTP API and callbacks."""

import datetime as dt

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.commitments.engine import run_until_caught_up
from servicefirst.commitments.models import Case
from servicefirst.commitments.tests.test_engine_support import business_hours, publish
from servicefirst.dialer import callbacks, calls
from servicefirst.dialer.models import Callback
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.test_calls import ready_agent
from servicefirst.floor import issuing, serving
from servicefirst.floor.tests.queue_factories import make_branch, make_counter
from servicefirst.servicedesk import services as desk
from servicefirst.servicedesk.models import RequestCategory

pytestmark = pytest.mark.django_db

NOON = f.TUESDAY_NOON
S = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def case_of(version, subject: str) -> Case:
    return Case.objects.get(version=version, subject=subject)


# --- the branch floor ------------------------------------------------------------------------


@pytest.fixture
def floor():
    branch = make_branch()
    counter = make_counter(branch, 1, ["cash"], staff=True)
    wait = publish(owner=branch, target=15, unit="minutes")  # issued → called, 24/7
    return branch, counter, wait


def test_a_ticket_called_in_time_meets_the_wait_commitment_with_its_wait(floor):
    branch, counter, wait = floor
    ticket = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    serving.call_next(actor=counter.staff.user, counter_id=counter.pk)
    ticket.refresh_from_db()

    run_until_caught_up(now=timezone.now() + MIN)

    case = case_of(wait, f"ticket:{ticket.pk}")
    assert (case.state, case.unit_id) == (Case.State.MET, branch.pk)
    assert case.value == pytest.approx((ticket.called_at - ticket.issued_at).total_seconds())
    assert case.staff_id == counter.staff_id  # the teller who called it served the wait


def test_a_ticket_never_called_is_missed_after_15_minutes(floor):
    branch, _counter, wait = floor
    ticket = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")

    run_until_caught_up(now=ticket.issued_at + 14 * MIN)
    case = case_of(wait, f"ticket:{ticket.pk}")
    assert case.state == Case.State.OPEN
    assert case.due_at == ticket.issued_at + 15 * MIN
    assert case.warned_at is not None  # past 80 % of the wait

    run_until_caught_up(now=ticket.issued_at + 16 * MIN)
    case.refresh_from_db()
    assert case.state == Case.State.BREACHED
    assert case.breached_at == ticket.issued_at + 15 * MIN


# --- the contact centre ----------------------------------------------------------------------


@pytest.fixture
def ccc():
    centre = f.care_center()
    rings = publish(
        owner=centre, measure="count", start="contact.call.answered", target=3, unit="rings"
    )
    answer = publish(
        owner=centre,
        start="contact.call.offered",
        stop="contact.call.answered",
        target=60,
        unit="seconds",
    )  # the catalogue's: a call abandoned in the queue counts as missed
    return centre, rings, answer


def _answered(key: str, after: dt.timedelta):
    agent = ready_agent(("zh",))
    call = calls.offer_inbound(dial_key=key, caller="+8613800138008", queue="cards", at=NOON)
    state = calls.route_inbound(call, at=NOON + after - S)
    calls.connect(call.pk, state.pk, at=NOON + after)
    calls.on_ended(call.pk, at=NOON + after + 3 * MIN)
    return call, agent


def test_a_call_answered_by_the_third_ring_meets_the_rings_commitment(ccc):
    centre, rings, answer = ccc
    call, agent = _answered("in-3", 12 * S)  # 12 s: the third ring (5 s each)

    run_until_caught_up(now=NOON + H)

    case = case_of(rings, f"call:{call.pk}")
    assert (case.state, case.value, case.unit_id) == (Case.State.MET, 3, centre.pk)
    assert case.staff_id == agent.pk
    timed = case_of(answer, f"call:{call.pk}")
    assert (timed.state, timed.value) == (Case.State.MET, 12)


def test_a_call_answered_at_the_fourth_ring_misses_it(ccc):
    _centre, rings, _answer = ccc
    call, _agent = _answered("in-4", 17 * S)  # 17 s: the fourth ring

    run_until_caught_up(now=NOON + H)

    case = case_of(rings, f"call:{call.pk}")
    assert (case.state, case.value) == (Case.State.BREACHED, 4)


def test_an_abandoned_call_has_no_rings_and_misses_the_answer_commitment(ccc):
    _centre, rings, answer = ccc
    call = calls.offer_inbound(dial_key="in-gone", caller="+8613800138009", at=NOON)
    calls.on_ended(call.pk, at=NOON + 40 * S)  # hung up in the queue

    run_until_caught_up(now=NOON + H)

    assert not Case.objects.filter(version=rings).exists()  # never answered: nothing counted
    case = case_of(answer, f"call:{call.pk}")
    assert case.state == Case.State.BREACHED
    assert case.breached_at == NOON + 60 * S


# --- service requests ------------------------------------------------------------------------


T = dt.datetime(2026, 3, 9, 10, 0, tzinfo=f.SHANGHAI)  # a Monday morning


@pytest.fixture
def desk_org():
    hq = UnitFactory(code="t-hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND)
    bank = hq.bank

    def unit(code, kind, line=Unit.Line.SECOND):
        return UnitFactory(bank=bank, code=code, kind=kind, line=line, parent=hq)

    ccc = unit("t-ccc", Unit.Kind.CARE_CENTER, Unit.Line.FIRST)
    cards = unit("t-cards", Unit.Kind.CARDS)
    ops = unit("t-ops", Unit.Kind.OPERATIONS)
    RequestCategory.objects.create(
        code="t-general", name_zh="一般咨询", name_en="General", default_unit=ccc
    )
    return {
        "ccc": ccc,
        "cards": cards,
        "ops": ops,
        "agent": make_staff(Role.CC_AGENT, unit=ccc),
        "cards_clerk": make_staff(Role.BACK_OFFICE, unit=cards),
    }


def _open(agent, at):
    return desk.open_request(
        actor=agent.user,
        kind="request",
        category_code="t-general",
        channel="phone",
        subject="信用卡账单疑问",
        contact_name="张先生",
        contact_phone="13800138000",
        at=at,
    )


def test_a_first_reply_within_two_hours_meets_the_commitment(desk_org):
    ccc, agent = desk_org["ccc"], desk_org["agent"]
    first = publish(
        owner=ccc, start="request.opened", stop="request.first_response", target=2, unit="hours"
    )
    quick = _open(agent, T)
    desk.reply_to_customer(
        actor=agent.user, request_id=quick.pk, body="您好，已收到。", at=T + 90 * MIN
    )
    slow = _open(agent, T + MIN)

    run_until_caught_up(now=T + 3 * H)

    case = case_of(first, f"request:{quick.pk}")
    assert (case.state, case.value, case.unit_id) == (Case.State.MET, 5400, ccc.pk)
    late = case_of(first, f"request:{slow.pk}")
    assert late.state == Case.State.BREACHED  # no reply at all two hours on
    assert late.breached_at == T + MIN + 2 * H


def test_waiting_for_the_customer_pauses_the_clock(desk_org):
    ccc, agent = desk_org["ccc"], desk_org["agent"]
    resolved = publish(
        owner=ccc,
        start="request.opened",
        stop="request.resolved",
        pause="request.waiting_customer",
        resume="request.customer_replied",
        target=3,
        unit="hours",
    )
    paused = _open(agent, T)
    desk.wait_for_customer(actor=agent.user, request_id=paused.pk, at=T + H)
    desk.customer_reply(token=paused.public_token, body="卡号后四位是1234", at=T + 5 * H)
    desk.resolve(actor=agent.user, request_id=paused.pk, resolution="已处理", at=T + 6 * H)
    straight = _open(agent, T)
    desk.resolve(actor=agent.user, request_id=straight.pk, resolution="已处理", at=T + 4 * H)

    run_until_caught_up(now=T + 7 * H)

    case = case_of(resolved, f"request:{paused.pk}")
    # six hours from opening to resolution, four of them waiting for the customer: two count
    assert (case.state, case.value) == (Case.State.MET, 2 * 3600)
    assert case.paused_s == 4 * 3600
    unpaused = case_of(resolved, f"request:{straight.pk}")
    assert (unpaused.state, unpaused.value) == (Case.State.BREACHED, 4 * 3600)


def test_a_transfer_is_measured_against_the_receiving_units_commitment(desk_org):
    agent, cards, ops = desk_org["agent"], desk_org["cards"], desk_org["ops"]
    cards_accepts = publish(
        owner=cards,
        start="request.transfer.sent",
        stop="request.transfer.accepted",
        target=1,
        unit="hours",
    )
    ops_accepts = publish(
        owner=ops,
        start="request.transfer.sent",
        stop="request.transfer.accepted",
        target=1,
        unit="hours",
    )
    req = _open(agent, T)
    moved = desk.transfer(
        actor=agent.user,
        request_id=req.pk,
        to_unit_id=cards.pk,
        reason="需卡部核实",
        at=T + 10 * MIN,
    )
    desk.accept_transfer(actor=desk_org["cards_clerk"].user, transfer_id=moved.pk, at=T + 40 * MIN)

    run_until_caught_up(now=T + 2 * H)

    case = case_of(cards_accepts, f"transfer:{moved.pk}")
    assert (case.state, case.value, case.unit_id) == (Case.State.MET, 1800, cards.pk)
    assert case.staff_id == desk_org["cards_clerk"].pk  # the receiving clerk, not the sender
    assert not Case.objects.filter(version=ops_accepts).exists()  # not ops's to answer for


# --- the HTTP API ----------------------------------------------------------------------------


def test_items_reported_through_the_api_are_measured_in_working_days(client):
    ops = UnitFactory(code="t-ops", kind=Unit.Kind.OPERATIONS, line=Unit.Line.SECOND)
    clerk = make_staff(Role.BACK_OFFICE, unit=ops)
    delivery = publish(
        owner=ops,
        start="ops.item.requested",
        stop="ops.item.delivered",
        target=1,
        unit="working_days",
        calendar=business_hours(),
        event_filter={"item": "cash"},
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=clerk, name='cash system')}"}

    def post(kind, subject, at, key):
        response = client.post(
            "/api/commitments/events",
            {
                "kind": kind,
                "subject": subject,
                "occurred_at": at.isoformat(),
                "source_key": key,
                "unit": "t-ops",
                "attrs": {"item": "cash", "branch": "bj"},
            },
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201, response.content
        return response

    # Monday 10:00 → Tuesday 09:30: within one working day; → Wednesday 11:00: not
    post("ops.item.requested", "cash:1", T, "cash-1-req")
    post("ops.item.delivered", "cash:1", T + dt.timedelta(hours=23, minutes=30), "cash-1-del")
    post("ops.item.requested", "cash:2", T, "cash-2-req")
    post("ops.item.delivered", "cash:2", T + dt.timedelta(days=2, hours=1), "cash-2-del")

    run_until_caught_up(now=T + dt.timedelta(days=3))

    met = case_of(delivery, "cash:1")
    assert (met.state, met.unit_id) == (Case.State.MET, ops.pk)
    assert met.value == 7 * 3600 + 30 * 60  # open hours: Monday 10–17 and Tuesday 09–09:30
    missed = case_of(delivery, "cash:2")
    assert missed.state == Case.State.BREACHED


# --- callbacks -------------------------------------------------------------------------------


def test_a_callback_made_within_ten_minutes_of_its_time_meets_the_commitment():
    centre = f.care_center()
    boss = f.supervisor(centre)
    agent = f.agent(centre)
    camp = f.campaign(boss, agents=[agent])
    on_time = publish(
        owner=camp.unit,
        start="contact.callback.due",
        stop="contact.callback.made",
        target=10,
        unit="minutes",
    )
    customer = f.customer()
    due = f.sh(2026, 12, 2, 10, 0)
    made_in_time = callbacks.callback_schedule(
        actor=agent.user, customer_id=customer.pk, campaign_id=camp.pk, due_at=due, now=NOON
    )
    made_late = callbacks.callback_schedule(
        actor=agent.user, customer_id=customer.pk, campaign_id=camp.pk, due_at=due, now=NOON
    )
    callbacks.deliver_due_callbacks(due + MIN)
    call = f.call(customer, at=due + 7 * MIN, campaign=camp, agent=agent)
    callbacks.callback_done(Callback.objects.get(pk=made_in_time.pk), call)
    late_call = f.call(customer, at=due + 12 * MIN, campaign=camp, agent=agent)
    callbacks.callback_done(Callback.objects.get(pk=made_late.pk), late_call)

    run_until_caught_up(now=due + H)

    case = case_of(on_time, f"callback:{made_in_time.pk}")
    assert (case.state, case.value, case.unit_id) == (Case.State.MET, 420, camp.unit_id)
    late = case_of(on_time, f"callback:{made_late.pk}")
    assert late.state == Case.State.BREACHED
    assert late.value == 720  # the late stop still records how long it took
