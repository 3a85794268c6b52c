"""Browser: a teller books an appointment for 张三丰, found by search, on the staff page for
appointments; the booking is listed with his phone masked, and can be cancelled there."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Appointment
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(e2e_org, e2e_staff, e2e_customers):
    branch = e2e_org["branch"]
    ensure_services()
    floor_settings(branch.pk)
    make_counter(branch, 1, ("cash", "cards"), staff=e2e_staff[Role.TELLER])
    make_counter(branch, 2, ("cash",), is_open=False)
    return {"branch": branch, "zhang": e2e_customers["张三丰"]}


def test_teller_books_for_zhang_and_sees_it_listed(page, asgi_server, asgi_login, floor):
    # given the teller on the appointments page of their branch
    asgi_login(page, "teller")
    page.goto(f"{asgi_server.url}/floor/appointments/")
    expect(page.locator("#desk-branch")).to_contain_text("Beijing Chaoyang Branch")
    expect(page.locator("#no-appointments")).to_be_visible()

    # when they find 张三丰 and choose him
    page.fill("#q", "张三丰")
    zhang = page.locator('.desk-customer[data-customer="张三丰"]')
    expect(zhang).to_contain_text("138****8000")
    zhang.locator("input[type=radio]").check()
    # and choose cash, the second working day offered, its first free time
    page.select_option("#service", "cash")
    expect(page.locator("#service option[value=cash][selected]")).to_have_count(1)
    # (a person cannot choose within htmx's settle delay; the test can: wait until the new
    # day list listens for changes)
    page.wait_for_function(
        "() => { const d = document.querySelector('#day');"
        " return d && d['htmx-internal-data'] && !document.querySelector('.htmx-settling'); }"
    )
    day = page.locator("#day option").nth(1).get_attribute("value")
    page.select_option("#day", day)
    # (each choice reloads the times; the server marks the day it received as selected)
    expect(page.locator(f'#day option[value="{day}"][selected]')).to_have_count(1)
    first_slot = page.locator("#desk-slots label[data-slot]").first
    expect(first_slot).to_contain_text("2 places free")
    slot_time = first_slot.get_attribute("data-slot")
    first_slot.click()
    page.click("#desk-book")

    # then the booking is confirmed and listed: his name, his phone masked, booked
    appointment = Appointment.objects.get()
    expect(page.locator(".alert-success")).to_contain_text(appointment.reference)
    row = page.locator(f'tr.appointment[data-reference="{appointment.reference}"]')
    expect(row).to_contain_text("张三丰")
    expect(row).to_contain_text("138****8000")
    expect(row).to_contain_text(slot_time)
    expect(row).to_contain_text("Booked")
    assert appointment.customer == floor["zhang"]
    assert appointment.phone == "+8613800138000"
    expect(page.locator("body")).not_to_contain_text("13800138000")

    # and cancelling it there (after confirming) updates the list in place
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".desk-cancel").click()
    expect(page.locator("#desk-notice")).to_contain_text(appointment.reference)
    expect(row).to_have_count(0)  # a cancelled booking of a later day leaves the list
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
