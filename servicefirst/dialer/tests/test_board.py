"""The supervisors' board as a supervisor notices it: every agent with their status, the
customer on the line (masked) and today's calls, talk time and occupancy; every running
campaign with today's dials and answers and its abandoned-call rate over 24 hours and 30 days
against the cap, coloured; the inbound queue and the third-ring service level; whether the
dialer is running — and that agents cannot open it."""

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.errors import PermissionDenied
from servicefirst.dialer import board, calls
from servicefirst.dialer.models import (
    AgentState,
    AgentStatusLog,
    Call,
    Campaign,
    DialerProcess,
)
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.desk_helpers import on_list, predictive_call, ready

pytestmark = [pytest.mark.django_db]

S = AgentState.Status


@pytest.fixture
def boss():
    return f.supervisor()


@pytest.fixture
def zhou(boss):
    return f.agent(unit=boss.staff.unit, name="周晓兰")


@pytest.fixture
def wu(boss):
    return f.agent(unit=boss.staff.unit, name="吴磊")


@pytest.fixture
def renewal(boss, zhou, wu):
    return f.campaign(
        boss, name="Deposit renewal", mode=Campaign.Mode.PREDICTIVE, agents=[zhou, wu]
    )


def log(staff, status, start, minutes, campaign=None):
    return AgentStatusLog.objects.create(
        staff=staff,
        status=status,
        campaign=campaign,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes) if minutes is not None else None,
    )


def test_occupancy_is_talk_and_wrap_up_over_logged_in_time_clipped_to_the_day(zhou, renewal):
    midnight = f.sh(2026, 12, 1, 0, 0)
    log(zhou, S.READY, midnight - dt.timedelta(minutes=30), 40, renewal)  # 10 min today
    log(zhou, S.ON_CALL, midnight + dt.timedelta(minutes=10), 20, renewal)
    log(zhou, S.WRAP_UP, midnight + dt.timedelta(minutes=30), 10, renewal)
    log(zhou, S.PAUSED, midnight + dt.timedelta(minutes=40), 20, renewal)
    log(zhou, S.ON_CALL, midnight + dt.timedelta(minutes=60), None, renewal)  # still talking
    now = midnight + dt.timedelta(minutes=80)
    t = board.time_in_status(midnight, now, staff_ids=[zhou.pk])[zhou.pk]
    assert (t.logged_in, t.talk, t.wrap, t.paused) == (80 * 60, 40 * 60, 10 * 60, 20 * 60)
    assert t.occupancy == pytest.approx(50 / 80)
    by_campaign = board.time_in_status(midnight, now, campaign_ids=[renewal.pk], key="campaign")
    assert by_campaign[renewal.pk].occupancy == pytest.approx(50 / 80)


def test_the_board_numbers_for_a_campaign_and_its_agents(boss, zhou, wu, renewal):
    now = timezone.now()
    ready(zhou, renewal)
    ready(wu, renewal)
    zhang = f.customer("张三丰", phones=["+8613800138000"])
    predictive_call(renewal, on_list(renewal, zhang), at=now - dt.timedelta(seconds=30))
    wu_state = AgentState.objects.get(staff=wu)
    from servicefirst.dialer import agents

    agents.transition(wu_state, S.PAUSED, reason="lunch")
    for outcome in (Call.Outcome.NO_ANSWER, Call.Outcome.MACHINE, Call.Outcome.ANSWERED):
        f.call(f.customer(), at=now - dt.timedelta(seconds=20), outcome=outcome, campaign=renewal)
    state = board.board_state(actor=boss, now=now)
    row = next(r for r in state.campaigns if r.campaign == renewal)
    # Dialled today: the connected call and three more; answered: all but the unanswered one,
    # by a person: all but the machine.
    assert (row.dials, row.answers, row.live_answered) == (4, 3, 2)
    assert row.agents_logged_in == 2
    assert row.abandon_24h == (0, 2, 0.0)
    assert row.level_24h == "success"
    assert row.list_total == 1
    rows = {r.staff: r for r in state.agents}
    assert rows[zhou].state.status == S.ON_CALL
    assert rows[zhou].customer == "张**"
    assert rows[zhou].phone == "138****8000"
    assert rows[zhou].calls_today == 1
    assert rows[wu].state.status == S.PAUSED
    assert rows[wu].customer == ""
    assert state.counts[S.ON_CALL] == 1
    assert state.counts[S.PAUSED] == 1


@pytest.mark.parametrize(
    ("abandoned", "level"),
    [(0, "success"), (1, "warning"), (2, "danger")],
)
def test_abandonment_against_the_cap_is_coloured(client, boss, renewal, abandoned, level):
    """40 live answers in the last 24 hours; the cap is 3% (1.2 calls): one abandoned call is
    2.5% (near the cap), two are 5% (over it)."""
    now = timezone.now()
    for i in range(40):
        outcome = Call.Outcome.ABANDONED if i < abandoned else Call.Outcome.ANSWERED
        f.call(f.customer(), at=now - dt.timedelta(hours=2), outcome=outcome, campaign=renewal)
    assert renewal.abandon_cap == Decimal("0.030")
    client.login(username=boss.username, password=PASSWORD)
    html = client.get(reverse("dialer:board")).content.decode()
    cell = html.split(f'data-campaign="{renewal.pk}"')[1].split("</tr>")[0]
    assert f'data-level="{level}"' in cell
    assert f"{abandoned}/40" in cell


def test_the_inbound_queue_and_the_third_ring(boss, zhou):
    ready(zhou, takes_inbound=True)
    now = timezone.now()
    answered = calls.offer_inbound(dial_key="in-a", caller="+8613900000001", at=now)
    state = calls.route_inbound(answered, at=now + dt.timedelta(seconds=9))
    calls.connect(answered.pk, state.pk, at=now + dt.timedelta(seconds=10))  # 2 rings
    calls.offer_inbound(dial_key="in-b", caller="+8613900000002", at=now)  # still waiting
    queue = board.board_state(actor=boss, now=now + dt.timedelta(seconds=40)).inbound
    assert (queue.waiting, queue.longest_wait_s) == (1, 40)
    assert (queue.offered_today, queue.answered_today, queue.within_three_rings) == (2, 1, 1)
    assert queue.service_level == 0.5


def test_the_board_says_when_the_dialer_is_not_running(client, boss):
    now = timezone.now()
    client.login(username=boss.username, password=PASSWORD)
    assert "Not running" in client.get(reverse("dialer:board")).content.decode()
    process = DialerProcess.objects.create(
        name="dialer-1",
        pid=4242,
        host="cc-1",
        adapter="simulator",
        started_at=now - dt.timedelta(hours=1),
        heartbeat_at=now,
    )
    html = client.get(reverse("dialer:board_live")).content.decode()
    assert 'id="dialer-state">Running' in html
    assert "dialer-1 · simulator" in html
    process.heartbeat_at = now - dt.timedelta(minutes=5)
    process.save()
    assert "Not running" in client.get(reverse("dialer:board_live")).content.decode()


@pytest.mark.parametrize("role", [Role.CC_AGENT, Role.TELLER, Role.MARKETING_ANALYST])
def test_only_supervisors_open_the_board(client, role):
    staff = make_staff(role)
    client.login(username=staff.user.username, password=PASSWORD)
    assert client.get(reverse("dialer:board")).status_code == 403
    assert client.get(reverse("dialer:board_live")).status_code == 403
    with pytest.raises(PermissionDenied):
        board.board_state(actor=staff.user)


def test_the_compliance_auditor_may_watch_the_board(client):
    auditor = make_staff(Role.COMPLIANCE_AUDITOR)
    client.login(username=auditor.user.username, password=PASSWORD)
    assert client.get(reverse("dialer:board")).status_code == 200


# --- the websockets -------------------------------------------------------------------------


def _connect(path: str, user):
    """Open the consumer as `user` would and report whether it was accepted (its own thread:
    the test may already run an event loop)."""
    from asgiref.sync import sync_to_async
    from asgiref.testing import ApplicationCommunicator
    from channels.routing import URLRouter
    from django.db import connections

    from servicefirst.dialer.routing import websocket_urlpatterns

    async def attempt():
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": [],
            "subprotocols": [],
            "user": user,
        }
        communicator = ApplicationCommunicator(URLRouter(websocket_urlpatterns), scope)
        await communicator.send_input({"type": "websocket.connect"})
        reply = await communicator.receive_output(timeout=5)
        accepted = reply["type"] == "websocket.accept"
        if accepted:
            await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
            await communicator.wait(timeout=5)
        # The consumer's database thread lets its connection go (the test database is dropped).
        await sync_to_async(connections.close_all, thread_sensitive=True)()
        return accepted

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, attempt()).result()


@pytest.mark.django_db(transaction=True)
def test_the_board_socket_admits_supervisors_only():
    boss = f.supervisor()
    agent = f.agent()
    assert _connect("/ws/contact/board/", boss) is True
    assert _connect("/ws/contact/board/", agent.user) is False
    assert _connect("/ws/contact/agent/", agent.user) is True
    from django.contrib.auth.models import AnonymousUser

    assert _connect("/ws/contact/agent/", AnonymousUser()) is False


def test_the_board_says_when_nobody_on_the_list_may_be_called_yet(client, boss, renewal):
    """At night every entry waits for the calling hours: the board says from when."""
    entry = on_list(renewal, f.customer())
    morning = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    entry.next_attempt_at = morning
    entry.save(update_fields=["next_attempt_at"])
    client.login(username=boss.username, password=PASSWORD)
    html = client.get(reverse("dialer:board")).content.decode()
    cell = html.split(f'data-campaign="{renewal.pk}"')[1].split("</tr>")[0]
    assert "next-call" in cell

    entry.next_attempt_at = None  # callable now: no notice
    entry.save(update_fields=["next_attempt_at"])
    html = client.get(reverse("dialer:board")).content.decode()
    cell = html.split(f'data-campaign="{renewal.pk}"')[1].split("</tr>")[0]
    assert "next-call" not in cell
