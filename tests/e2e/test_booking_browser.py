"""Browser: a customer books an appointment on the public page (no login), comes on the day,
checks in at the kiosk with the booking reference and is called before the walk-ins."""

import datetime
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.floor import issuing
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Appointment, Ticket
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser


def off_loop(fn, /, **kwargs):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, **kwargs).result()


@pytest.fixture
def floor(e2e_org, e2e_staff):
    branch = e2e_org["branch"]
    ensure_services()
    floor_settings(branch.pk)
    make_counter(branch, 1, ("cash",), staff=e2e_staff[Role.TELLER])
    make_counter(branch, 2, ("wealth", "loans"), is_open=False)
    return {"branch": branch}


def test_book_then_check_in_at_the_kiosk_with_appointment_priority(page, asgi_server, floor):
    branch = floor["branch"]
    # when a customer books wealth management on the public page
    page.goto(f"{asgi_server.url}/floor/book/")
    expect(page.locator("#language-form")).to_be_visible()
    # (each choice reloads the form's choices; the server marks what it received as selected)
    page.select_option("#branch", branch.code)
    expect(page.locator(f"#branch option[value={branch.code}][selected]")).to_have_count(1)
    page.select_option("#service", "wealth")
    expect(page.locator("#service option[value=wealth][selected]")).to_have_count(1)
    page.select_option("#day", index=2)  # the second working day offered
    first_slot = page.locator("#slots label[data-slot]").first
    expect(first_slot).to_contain_text("1 place free")
    first_slot.click()
    page.fill("#name", "王芳")
    page.fill("#phone", "139 1234 5678")
    page.click("#book-submit")
    # then the booking is confirmed with a reference, the phone masked
    reference = page.locator("#booking-reference")
    expect(reference).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
    expect(page.locator("body")).to_contain_text("139****5678")
    code = reference.inner_text()
    appointment = Appointment.objects.get(reference=code)
    assert appointment.phone == "+8613912345678"
    assert appointment.service.code == "wealth"

    # on the day (we move the booked slot to ten minutes from now), a walk-in is already waiting
    Appointment.objects.filter(pk=appointment.pk).update(
        slot_start=timezone.now() + datetime.timedelta(minutes=10)
    )
    off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="wealth")
    # the customer checks in at the kiosk with the reference, a little early
    page.goto(f"{asgi_server.url}/floor/{branch.code}/kiosk/")
    page.fill("#reference", code.lower())
    page.click("#check-in")
    expect(page.locator("#appointment-priority")).to_be_visible()
    expect(page.locator("#ticket-number")).to_have_text("E002")
    expect(page.locator("#people-ahead")).to_have_text("0")  # ahead of the walk-in E001
    expect(page.locator("body")).not_to_contain_text("王芳")
    ticket = Ticket.objects.get(number="E002")
    assert ticket.priority_reason == "appointment"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN


def test_booking_errors_are_shown_on_their_fields(page, asgi_server, floor):
    page.goto(f"{asgi_server.url}/floor/book/?branch={floor['branch'].code}")
    page.select_option("#service", "cash")
    expect(page.locator("#service option[value=cash][selected]")).to_have_count(1)
    page.fill("#phone", "12345")
    page.click("#book-submit")
    expect(page.locator("#slot-error")).to_be_visible()
    expect(page.locator("#name-error")).to_contain_text("Enter your name.")
    expect(page.locator("#phone-error")).to_be_visible()
    assert not Appointment.objects.exists()
