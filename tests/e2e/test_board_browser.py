"""Browser: the branch manager's dispatching board on the ASGI server — it shows the counters
and the queue, the manager's actions change it, and changes made elsewhere on the floor
appear without a page reload."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.floor import issuing
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser


def off_loop(fn, /, **kwargs):
    """Run a floor service outside Playwright's event loop (its live notice is sent with
    async_to_sync, which refuses to run inside a running loop), as another client would."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, **kwargs).result()


@pytest.fixture
def floor(e2e_org, e2e_staff):
    """Counter 1 (cash, 王小明) and 2 (loans, 赵丽) open, counter 3 (cards) closed; one cash
    ticket waiting."""
    ensure_services()
    branch = e2e_org["branch"]
    floor_settings(branch.pk)
    second = make_staff(Role.TELLER, unit=branch, name="赵丽")
    counters = [
        make_counter(branch, 1, ("cash",), staff=e2e_staff[Role.TELLER]),
        make_counter(branch, 2, ("loans",), staff=second),
        make_counter(branch, 3, ("cards",), is_open=False),
    ]
    ticket = off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="cash")
    return {"branch": branch, "counters": counters, "ticket": ticket, "second": second}


def open_board(page, asgi_server, asgi_login):
    asgi_login(page, "branch_manager")
    page.goto(f"{asgi_server.url}/dispatch/")
    expect(page.locator("body")).to_have_attribute("data-floor-live", "1")  # websocket up
    page.evaluate("window.__notReloaded = true")


def still_same_page(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_board_shows_the_counters_and_the_waiting_ticket(page, asgi_server, asgi_login, floor):
    open_board(page, asgi_server, asgi_login)
    one = page.locator('#board-counters [data-counter="1"]')
    expect(one).to_contain_text("王小明")
    expect(one).to_contain_text("Cash")
    expect(one.locator(".counter-state")).to_have_text("Open")
    expect(page.locator('#board-counters [data-counter="3"] .counter-state')).to_have_text("Closed")
    cash = page.locator('#board-services tr[data-service="cash"]')
    expect(cash.locator(".waiting")).to_have_text("1")
    expect(cash).to_contain_text(floor["ticket"].number)


def test_manager_closes_a_counter_and_the_board_updates_without_reload(
    page, asgi_server, asgi_login, floor
):
    open_board(page, asgi_server, asgi_login)
    two = page.locator('#board-counters [data-counter="2"]')
    two.get_by_role("button", name="Close").click()
    expect(page.locator("#board-flash")).to_contain_text("Counter closed.")
    expect(two).to_have_attribute("data-state", "closed")
    expect(page.locator("#board-log")).to_contain_text("Counter closed")
    assert still_same_page(page)
    assert not Counter.objects.get(pk=floor["counters"][1].pk).is_open


def test_manager_moves_a_teller_and_the_board_updates_without_reload(
    page, asgi_server, asgi_login, floor
):
    open_board(page, asgi_server, asgi_login)
    form = page.locator("#form-move")
    form.get_by_label("Teller").select_option(label="赵丽 · counter 2")
    form.get_by_label("To counter").select_option(value=str(floor["counters"][2].pk))
    form.get_by_role("button", name="Move teller").click()
    expect(page.locator("#board-flash")).to_contain_text("赵丽 now works at counter 3.")
    three = page.locator('#board-counters [data-counter="3"]')
    expect(three).to_contain_text("赵丽")
    expect(three).to_have_attribute("data-state", "open")
    expect(page.locator('#board-counters [data-counter="2"]')).to_have_attribute(
        "data-state", "closed"
    )
    assert still_same_page(page)


def test_a_ticket_taken_at_the_kiosk_appears_on_the_board_without_reload(
    page, asgi_server, asgi_login, floor
):
    open_board(page, asgi_server, asgi_login)
    cash = page.locator('#board-services tr[data-service="cash"]')
    expect(cash.locator(".waiting")).to_have_text("1")
    ticket = off_loop(issuing.ticket_issue, branch_id=floor["branch"].pk, service_code="cash")
    expect(cash.locator(".waiting")).to_have_text("2")
    expect(cash).to_contain_text(ticket.number)
    assert still_same_page(page)


def test_reprioritise_form_names_the_missing_reason(page, asgi_server, asgi_login, floor):
    open_board(page, asgi_server, asgi_login)
    form = page.locator("#form-reprioritise")
    form.get_by_label("Waiting ticket").select_option(value=str(floor["ticket"].pk))
    form.get_by_label("Priority").fill("40")
    form.get_by_label("Reason").fill("Customer feels unwell")
    form.get_by_role("button", name="Set priority").click()
    expect(page.locator("#board-flash")).to_contain_text(
        f"Ticket {floor['ticket'].number} now has priority 40."
    )
    expect(page.locator("#board-log")).to_contain_text("Customer feels unwell")
    assert still_same_page(page)
