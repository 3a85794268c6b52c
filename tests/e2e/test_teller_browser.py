"""Browser: a teller signs in at a counter, sees a new ticket arrive in the waiting list live,
calls the next ticket, greets the customer by name, records knowing them and finishes the
visit with an outcome — on the real ASGI server, so the live refresh goes over the socket."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from servicefirst.customers.models import Interaction
from servicefirst.floor import issuing
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter, Service, Ticket
from tests.e2e.conftest import ZHANG_PHONE

pytestmark = pytest.mark.browser


def kiosk_ticket(branch, identify=""):
    """A ticket taken at the kiosk. Issued from another thread: Playwright's event loop runs in
    this one, and the live notification is sent synchronously."""

    def issue():
        try:
            return issuing.ticket_issue(branch_id=branch.pk, service_code="cash", identify=identify)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(issue).result(timeout=30)


@pytest.fixture
def counters(e2e_org):
    ensure_services()
    cash = Service.objects.get(code="cash")
    made = []
    for number in (1, 2):
        counter = Counter.objects.create(branch=e2e_org["branch"], number=number)
        counter.services.set([cash])
        made.append(counter)
    return made


def test_teller_calls_greets_and_finishes(
    page, asgi_server, asgi_login, e2e_org, e2e_customers, counters
):
    branch = e2e_org["branch"]
    zhang = e2e_customers["张三丰"]
    first = kiosk_ticket(branch, ZHANG_PHONE)
    assert first.customer == zhang

    asgi_login(page, "teller")
    page.goto(f"{asgi_server.url}/floor/teller/")
    expect(page.get_by_role("heading", name="Choose your counter")).to_be_visible()
    page.locator('.counter-choice[data-counter="1"]').get_by_role(
        "button", name="Sign in here"
    ).click()
    expect(page.locator("#teller-panel h1")).to_have_text("Counter 1")
    waiting = page.locator("#teller-waiting")
    expect(waiting.locator(f'[data-ticket="{first.number}"]')).to_be_visible()

    # A visitor takes a ticket at the kiosk: it appears without reloading the page.
    page.wait_for_selector('body[data-floor-live="1"]', state="attached")
    second = kiosk_ticket(branch)
    expect(waiting.locator(f'[data-ticket="{second.number}"]')).to_be_visible()

    page.get_by_role("button", name="Call next").click()
    expect(page.locator("#ticket-number")).to_have_text(first.number)
    profile = page.locator("#customer-profile")
    expect(profile.locator("#greeting")).to_contain_text("张先生")
    expect(profile.locator("#customer-name")).to_contain_text("张三丰")
    expect(profile.locator("#customer-products")).to_contain_text("1-year deposit")
    expect(profile).not_to_contain_text("138")
    # The called ticket left the waiting list (refreshed live).
    expect(waiting.locator(f'[data-ticket="{first.number}"]')).to_have_count(0)

    profile.get_by_role("button", name="I know this customer").click()
    expect(profile.locator("[data-recognised]")).to_be_visible()

    page.locator("#finish-note").fill("renewed the deposit")
    page.get_by_role("button", name="Completed").click()
    expect(page.locator("#teller-notice")).to_contain_text(f"{first.number} finished: Completed")
    expect(page.get_by_role("button", name="Call next")).to_be_visible()

    first.refresh_from_db()
    assert (first.status, first.outcome) == (Ticket.Status.DONE, "completed")
    visit = Interaction.objects.get(
        customer=zhang, kind=Interaction.Kind.VISIT, outcome="completed"
    )
    assert "renewed the deposit" in visit.summary
