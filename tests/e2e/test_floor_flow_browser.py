"""Browser: the whole branch floor at once, each page in its own browser window on the real
ASGI server — a returning private-banking customer takes a ticket at the kiosk, the manager's
board shows it (and says to greet them), the teller calls it, and the board and the public
display follow live, none of them reloading."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.floor import issuing
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter
from tests.e2e.conftest import ZHANG_PHONE

pytestmark = pytest.mark.browser


def mark(page) -> None:
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-floor-live", "1")


@pytest.fixture
def floor(e2e_org, e2e_staff, e2e_customers):
    """Counter 1 (cash) has nobody at it yet; counter 2 (loans) is open with 赵丽. 张三丰 is a
    private-banking customer."""
    ensure_services()
    branch = e2e_org["branch"]
    floor_settings(branch.pk)
    zhao = make_staff(Role.TELLER, unit=branch, name="赵丽")
    counters = [
        make_counter(branch, 1, ("cash",), is_open=False),
        make_counter(branch, 2, ("loans",), staff=zhao),
    ]
    zhang = e2e_customers["张三丰"]
    zhang.value_tier = "private"
    zhang.save(update_fields=["value_tier"])
    return {"branch": branch, "counters": counters, "zhao": zhao}


def test_kiosk_teller_board_and_display_move_together(browser, asgi_server, asgi_login, floor):
    branch = floor["branch"]
    base = asgi_server.url
    public = browser.new_context()
    display, kiosk = public.new_page(), public.new_page()
    board = browser.new_context().new_page()
    teller = browser.new_context().new_page()

    # The display and the manager's board are up, listening live.
    display.goto(f"{base}/floor/{branch.code}/display/")
    live(display)
    mark(display)
    asgi_login(board, "branch_manager")
    board.goto(f"{base}/dispatch/")
    live(board)
    mark(board)
    counter_one = board.locator('#board-counters [data-counter="1"]')
    expect(counter_one).to_have_attribute("data-state", "closed")

    # The teller signs in at counter 1: the board shows them there.
    asgi_login(teller, "teller")
    teller.goto(f"{base}/floor/teller/")
    teller.locator('.counter-choice[data-counter="1"]').get_by_role(
        "button", name="Sign in here"
    ).click()
    expect(teller.locator("#teller-panel h1")).to_have_text("Counter 1")
    expect(counter_one).to_contain_text("王小明")
    expect(counter_one).to_have_attribute("data-state", "open")

    # 张三丰 takes a cash ticket at the kiosk with his phone number.
    kiosk.goto(f"{base}/floor/{branch.code}/kiosk/")
    kiosk.fill("#identify", ZHANG_PHONE)
    kiosk.locator('#kiosk-services [data-service="cash"]').click()
    number = kiosk.locator("#ticket-number").inner_text().strip()
    assert number

    # The board shows the ticket waiting and tells the manager to greet him (masked name).
    cash = board.locator('#board-services tr[data-service="cash"]')
    expect(cash.locator(".waiting")).to_have_text("1")
    expect(cash.locator(f'[data-ticket="{number}"]')).to_be_visible()
    greet = board.locator('#board-alerts [data-alert-kind="vip"]')
    expect(greet).to_contain_text("Mr Zhang")
    expect(greet).to_contain_text(number)
    expect(greet).not_to_contain_text("Sanfeng")
    expect(display.locator('#waiting-list tr[data-service="cash"]')).to_contain_text("1")

    # The teller calls him.
    teller.get_by_role("button", name="Call next").click()
    expect(teller.locator("#ticket-number")).to_have_text(number)

    # The board follows: counter 1 serves the ticket, nobody waits, no greeting left to do.
    expect(counter_one.locator(".ticket-number")).to_have_text(number)
    expect(cash.locator(".waiting")).to_have_text("0")
    expect(greet).to_have_count(0)
    expect(board.locator("#board-log")).to_contain_text(number)
    # The display calls the number to counter 1.
    now = display.locator("#now-calling")
    expect(now.locator(f'[data-number="{number}"]')).to_be_visible()
    expect(now).to_contain_text("Counter 1")

    assert not_reloaded(board)
    assert not_reloaded(display)
    for context in (public, board.context, teller.context):
        context.close()


def test_the_managers_move_reaches_the_tellers_page(browser, asgi_server, asgi_login, floor):
    """A cash customer waits; the manager adds cash to counter 2 from the board, and the
    teller there sees the ticket in their waiting list at once."""
    base = asgi_server.url
    with ThreadPoolExecutor(1) as pool:  # outside Playwright's event loop, as the kiosk would
        ticket = pool.submit(
            issuing.ticket_issue, branch_id=floor["branch"].pk, service_code="cash"
        ).result()
    teller = browser.new_context().new_page()
    asgi_login(teller, floor["zhao"].user.username)
    teller.goto(f"{base}/floor/teller/")
    expect(teller.locator("#teller-panel h1")).to_have_text("Counter 2")
    live(teller)
    mark(teller)
    waiting = teller.locator("#teller-waiting")
    expect(waiting.locator(f'[data-ticket="{ticket.number}"]')).to_have_count(0)

    board = browser.new_context().new_page()
    asgi_login(board, "branch_manager")
    board.goto(f"{base}/dispatch/")
    live(board)
    form = board.locator("#form-services")
    form.get_by_label("Counter").select_option(value=str(floor["counters"][1].pk))
    expect(form.get_by_label("Loans")).to_be_checked()  # the counter's own services, ticked
    form.get_by_label("Cash").check()
    form.get_by_role("button", name="Set services").click()
    expect(board.locator("#board-flash")).to_contain_text("Counter 2 now handles")
    expect(board.locator('#board-counters [data-counter="2"]')).to_contain_text("Cash")

    expect(waiting.locator(f'[data-ticket="{ticket.number}"]')).to_be_visible()
    assert not_reloaded(teller)
    for context in (board.context, teller.context):
        context.close()
