"""Browser: the kiosk and the public display on the ASGI server — a visitor takes a ticket and
sees the people ahead and the estimated wait (kept up to date), and the display shows a number
as soon as a teller calls it, without reloading."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.floor import issuing, serving
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Ticket
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser


def off_loop(fn, /, **kwargs):
    """Run a floor service outside Playwright's event loop (its live notice is sent with
    async_to_sync), as another client would."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, **kwargs).result()


@pytest.fixture
def floor(e2e_org, e2e_staff, e2e_customers):
    """Counter 1 (cash, 王小明) open; counter 2 (loans) closed."""
    branch = e2e_org["branch"]
    ensure_services()
    floor_settings(branch.pk)
    teller = e2e_staff[Role.TELLER]
    counter = make_counter(branch, 1, ("cash",), staff=teller)
    make_counter(branch, 2, ("loans",), is_open=False)
    return {"branch": branch, "counter": counter, "teller": teller}


def test_kiosk_issues_a_ticket_with_people_ahead_and_wait(page, asgi_server, floor):
    branch = floor["branch"]
    for _i in range(2):
        off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="cash")
    page.goto(f"{asgi_server.url}/floor/{branch.code}/kiosk/")
    cash = page.locator('button[data-service="cash"]')
    expect(cash).to_contain_text("2 waiting")
    cash.click()
    expect(page.locator("#ticket-number")).to_have_text("A003")
    expect(page.locator("#ticket-service")).to_have_text("Cash")
    expect(page.locator("#people-ahead")).to_have_text("2")
    expect(page.locator("#estimated-wait")).to_have_text("8 min")  # 2 × the usual 4 minutes
    expect(page.locator("#print-ticket")).to_be_visible()
    # printed, only the ticket slip shows
    page.emulate_media(media="print")
    expect(page.locator("header.public-bar")).to_be_hidden()
    expect(page.locator("#print-ticket")).to_be_hidden()
    expect(page.locator("#ticket-number")).to_be_visible()


def test_identified_visitor_gets_priority_and_sees_no_personal_data(page, asgi_server, floor):
    branch = floor["branch"]
    off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="cash")
    page.goto(f"{asgi_server.url}/floor/{branch.code}/kiosk/")
    page.fill("#identify", "138-0013-8000")  # 张三丰, home branch here
    page.get_by_text("I am elderly").click()
    page.locator('button[data-service="cash"]').click()
    expect(page.locator("#ticket-number")).to_have_text("A002")
    expect(page.locator("#people-ahead")).to_have_text("0")  # the elderly priority
    body = page.locator("body")
    expect(body).not_to_contain_text("张三丰")
    expect(body).not_to_contain_text("8000")
    ticket = Ticket.objects.get(number="A002")
    assert ticket.customer.name_zh == "张三丰"
    assert ticket.priority_reason == "elderly"


def test_kiosk_shows_the_error_on_the_field(page, asgi_server, floor):
    page.goto(f"{asgi_server.url}/floor/{floor['branch'].code}/kiosk/")
    page.fill("#identify", "13900000000")
    page.locator('button[data-service="cash"]').click()
    expect(page.locator("#identify-error")).to_contain_text("could not find a customer")
    expect(page.locator("#identify")).to_have_value("13900000000")
    assert not Ticket.objects.exists()


def test_display_and_ticket_update_live_when_a_number_is_called(page, asgi_server, floor):
    branch = floor["branch"]
    off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="cash")
    # a visitor's ticket page, behind A001
    page.goto(f"{asgi_server.url}/floor/{branch.code}/kiosk/")
    page.locator('button[data-service="cash"]').click()
    expect(page.locator("#ticket-number")).to_have_text("A002")
    expect(page.locator("#people-ahead")).to_have_text("1")
    # the hall's display, in another tab
    display = page.context.new_page()
    display.goto(f"{asgi_server.url}/floor/{branch.code}/display/")
    expect(display.locator("body")).to_have_attribute("data-floor-live", "1")
    expect(page.locator("body")).to_have_attribute("data-floor-live", "1")
    expect(display.locator("#now-calling")).to_contain_text("No number called yet.")
    expect(display.locator('#waiting-list tr[data-service="cash"] td')).to_have_text("2")
    display.evaluate("window.__notReloaded = true")
    # when the teller calls the next number
    called = off_loop(serving.call_next, actor=floor["teller"].user, counter_id=floor["counter"].pk)
    assert called.number == "A001"
    # then the display shows it with its counter, and the waiting ticket moves up
    expect(display.locator("#now-calling")).to_contain_text("A001")
    expect(display.locator("#now-calling")).to_contain_text("Counter 1")
    expect(display.locator('#waiting-list tr[data-service="cash"] td')).to_have_text("1")
    assert display.evaluate("window.__notReloaded === true")
    expect(page.locator("#people-ahead")).to_have_text("0")
    expect(display.locator("body")).not_to_contain_text("张三丰")
