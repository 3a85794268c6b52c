"""Browser: the contact centre live, on the real ASGI server (websockets, Redis channel layer).

1. An agent logs in to a predictive campaign and says Ready; the real dialer process (the
   engine, on the telephony simulator) places the call, the customer answers, and the
   customer's record pops up on the agent's screen without a reload; the agent types notes,
   the customer hangs up (wrap-up starts, the notes stay), the agent sets the disposition, and
   the call is on the customer's timeline.
2. A supervisor's board updates without a reload when an agent pauses and when a call
   connects.

Services are called from other threads: Playwright's sync API runs an event loop in this one
(a live notice is sent with async_to_sync, which refuses to run inside it)."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.customers.models import Interaction
from servicefirst.dialer import campaigns, engine, lists
from servicefirst.dialer.models import AgentState, Call, Campaign
from servicefirst.dialer.telephony.simulator import SimulatorTelephony
from servicefirst.dialer.tests.desk_helpers import (
    consenting_customer,
    number_callable_now,
    on_list,
    predictive_call,
)
from tests.e2e import conftest as e2e

# The browser tests' fixtures (tests/e2e/conftest.py): the bank, one member of staff per role,
# the product's ASGI application served by uvicorn on the Redis channel layer, and logging in.
e2e_org, e2e_staff = e2e.e2e_org, e2e.e2e_staff
asgi_server, asgi_login = e2e.asgi_server, e2e.asgi_login

pytestmark = [pytest.mark.browser]


def off_loop(fn, /, *args, **kwargs):
    """Run a service in another thread, as another client (or the dialer) would."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=60)


@pytest.fixture
def floor(e2e_org, e2e_staff):
    """A predictive campaign (calling on public holidays too) run by the supervisor with the
    agent 周晓兰 on it, and 张三丰 on its list with a number it may call now."""
    boss = e2e_staff[Role.CC_SUPERVISOR]
    agent = e2e_staff[Role.CC_AGENT]
    agent.name = "周晓兰"
    agent.save(update_fields=["name"])
    campaign = campaigns.campaign_create(
        actor=boss.user,
        data={
            "name": "Deposit renewal",
            "mode": Campaign.Mode.PREDICTIVE,
            "agents": [agent.pk],
            "call_on_holidays": True,
            "script": "您好，我是先服银行的客户经理，您的定期存款下周到期……",
        },
    )
    campaigns.campaign_set_status(actor=boss.user, campaign_id=campaign.pk, action="start")
    number = number_callable_now(lists.policy_for(campaign))
    assert number is not None, "daytime somewhere among Shanghai, London, New York, Honolulu"
    zhang = consenting_customer("张三丰", phone=number, name_latin="Zhang Sanfeng", gender="M")
    entry = on_list(campaign, zhang)
    return {"boss": boss, "agent": agent, "campaign": campaign, "zhang": zhang, "entry": entry}


class RunningDialer:
    """The dialer process (engine.Dialer) on the simulator, in its own thread and loop. Every
    customer answers after a short ring and stays on the line until someone hangs up."""

    def __init__(self, tmp_path):
        self.telephony = SimulatorTelephony(
            journal_path=tmp_path / "journal.jsonl",
            answer_by_hour=dict.fromkeys(range(24), 1.0),
            busy_rate=0.0,
            machine_rate=0.0,
            setup_min_s=0.2,
            setup_max_s=0.5,
            ring_min_s=1.0,
            ring_max_s=2.0,
            seed="agent-browser",
            talk_times=[3600.0],
        )
        options = engine.Options.from_settings(robots=False, grace_s=1.0, lease_s=15.0)
        self.dialer = engine.Dialer(self.telephony, options=options, seed=11)
        self.thread = threading.Thread(target=asyncio.run, args=(self.dialer.run(),), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def customer_hangs_up(self, dial_key: str) -> None:
        loop = self.dialer._loop
        future = asyncio.run_coroutine_threadsafe(
            self.telephony.hangup(dial_key, by="system"), loop
        )
        future.result(timeout=15)

    def __exit__(self, *exc):
        loop = self.dialer._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: self.dialer.request_stop(now=True))
        self.thread.join(timeout=30)


def open_desk(page, asgi_server, asgi_login, username):
    asgi_login(page, username)
    page.goto(f"{asgi_server.url}{reverse('dialer:agent')}")
    expect(page.locator("body")).to_have_attribute("data-dialer-live", "1")  # socket up
    return page


def test_agent_takes_a_predictive_call_with_screen_pop_and_sets_the_disposition(
    page, asgi_server, asgi_login, floor, tmp_path
):
    agent, zhang, campaign = floor["agent"], floor["zhang"], floor["campaign"]
    open_desk(page, asgi_server, asgi_login, agent.user.username)
    page.select_option("#login-campaign", str(campaign.pk))
    page.click("#btn-login")
    expect(page.locator("#agent-status")).to_have_text("Paused · Other")
    page.click("#btn-ready")
    expect(page.locator("#agent-status")).to_have_text("Ready")
    expect(page.locator("#waiting-panel")).to_contain_text("Ready — waiting for a call")
    page.evaluate("window.__notReloaded = true")

    with RunningDialer(tmp_path) as running:
        # The dialer dials; the customer answers; the record pops up, live.
        card = page.locator("#customer-card")
        expect(card).to_be_visible(timeout=30_000)
        expect(page.locator("#greeting")).to_contain_text("张先生")
        expect(page.locator("#call-state")).to_have_text("Talking")
        expect(page.locator("#agent-status")).to_have_text("On a call")
        expect(page.locator("#call-script")).to_contain_text("您的定期存款下周到期")
        phone = page.locator("#customer-phone")
        expect(phone).to_contain_text("****")
        assert zhang.phones.get().e164[-4:] in phone.inner_text()
        assert page.evaluate("window.__notReloaded === true")

        call = Call.objects.get(customer=zhang)
        assert (call.mode, call.state, call.agent) == ("predictive", "connected", agent)
        notes = page.locator(f"#call-notes-{call.pk}")
        notes.fill("客户想了解三年期利率，下周来网点")

        # The customer hangs up: wrap-up, with a timer; what was typed is still there.
        running.customer_hangs_up(call.dial_key)
        expect(page.locator("#wrap-timer")).to_be_visible()
        expect(page.locator("#agent-status")).to_have_text("Wrap-up")
        expect(notes).to_have_value("客户想了解三年期利率，下周来网点")

        page.locator('label.disposition[data-code="interested"]').click()
        page.click("#btn-close-ready")
        expect(page.locator("#desk-notice")).to_have_text("Call saved: Interested.")
        expect(page.locator("#agent-status")).to_have_text("Ready")
        assert page.evaluate("window.__notReloaded === true")

    call.refresh_from_db()
    assert call.state == Call.State.ENDED
    assert call.disposition.code == "interested"
    entry = Interaction.objects.get(customer=zhang, source_key=call.dial_key)
    assert entry.kind == Interaction.Kind.CAMPAIGN_CALL
    assert "客户想了解三年期利率" in entry.summary

    # And the customer's timeline shows it.
    page.goto(f"{asgi_server.url}{reverse('customers:detail', args=[zhang.pk])}")
    expect(page.locator("#timeline")).to_contain_text("客户想了解三年期利率")
    expect(page.locator("#timeline")).to_contain_text("Deposit renewal")


def test_the_supervisors_board_updates_live(page, browser, asgi_server, asgi_login, floor):
    agent, boss, campaign = floor["agent"], floor["boss"], floor["campaign"]
    asgi_login(page, boss.user.username)
    page.goto(f"{asgi_server.url}{reverse('dialer:board')}")
    expect(page.locator("body")).to_have_attribute("data-dialer-live", "1")
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'#board-agents tr[data-agent="{agent.pk}"]')
    expect(row).to_have_count(0)  # not logged in today
    expect(page.locator(f'#board-campaigns tr[data-campaign="{campaign.pk}"]')).to_be_visible()

    # The agent logs in on their own desktop, says ready, then pauses for lunch.
    desk_context = browser.new_context()
    desk = open_desk(desk_context.new_page(), asgi_server, asgi_login, agent.user.username)
    desk.select_option("#login-campaign", str(campaign.pk))
    desk.click("#btn-login")
    desk.click("#btn-ready")
    expect(desk.locator("#agent-status")).to_have_text("Ready")
    expect(row).to_have_attribute("data-status", "ready")
    desk.select_option("#pause-reason", "lunch")
    desk.click("#btn-pause")
    expect(row).to_have_attribute("data-status", "paused")
    expect(row.locator(".status")).to_have_text("Paused · Lunch")

    # Back to ready, and a call connects to them.
    desk.click("#btn-ready")
    expect(row).to_have_attribute("data-status", "ready")
    off_loop(predictive_call, campaign, floor["entry"])
    expect(row).to_have_attribute("data-status", "on_call")
    expect(row.locator(".customer")).to_contain_text("张**")
    expect(row.locator(".customer")).to_contain_text("Talking")
    campaign_row = page.locator(f'#board-campaigns tr[data-campaign="{campaign.pk}"]')
    expect(campaign_row.locator(".dials")).to_have_text("1")
    expect(campaign_row.locator(".live")).to_have_text("1")
    assert page.evaluate("window.__notReloaded === true")
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.ON_CALL
    desk_context.close()
