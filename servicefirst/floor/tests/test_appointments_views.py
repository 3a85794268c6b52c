"""The staff page for appointments (/floor/appointments/): the list with masked phones, the
customer search, free times, booking with errors on their fields, check-in and cancel at the
desk, the branch choice of bank-wide roles, and who may open it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import appointments
from servicefirst.floor.models import Appointment, Service, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter

pytestmark = pytest.mark.django_db

URL = reverse("floor:appointments")


@pytest.fixture
def branch():
    b = make_branch(code="desk-bj", name_en="Desk Branch")
    make_counter(b, 1, ["cash", "cards"])
    return b


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch).user


@pytest.fixture
def zhang(branch):
    return make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=branch)


def next_working_day():
    return appointments.booking_days()[1]


def opening_slot(day):
    return datetime.datetime.combine(
        day, datetime.time(9, 0), tzinfo=timezone.get_current_timezone()
    )


def todays_booking(branch, customer, reference="TODAY001"):
    now = timezone.localtime()
    return Appointment.objects.create(
        branch=branch,
        service=Service.objects.get(code="cash"),
        slot_start=now.replace(minute=0, second=0, microsecond=0),
        reference=reference,
        customer=customer,
        name=customer.name_zh,
        phone="+8613800138000",
    )


def test_the_page_lists_todays_bookings_with_masked_phones(client, branch, teller, zhang):
    booking = todays_booking(branch, zhang)
    client.force_login(teller)

    html = client.get(URL).content.decode()

    assert "Desk Branch" in html
    assert f'data-reference="{booking.reference}"' in html
    assert "张三丰" in html
    assert "138****8000" in html
    assert "13800138000" not in html
    assert 'id="appointments-list"' in html
    assert 'hx-trigger="floor-changed from:body"' in html
    assert "floor/live.js" in html


def test_roles_that_do_not_book_get_403(client, branch):
    client.force_login(make_staff(Role.MARKETING_ANALYST, unit=branch).user)
    assert client.get(URL).status_code == 403


def test_a_teller_cannot_open_another_branch(client, branch, teller):
    other = make_branch(code="desk-sh")
    client.force_login(teller)
    assert client.get(URL, {"branch": other.code}).status_code == 404


def test_an_agent_chooses_the_branch(client, branch):
    centre = UnitFactory(bank=branch.bank, kind=Unit.Kind.CARE_CENTER)
    make_branch(code="desk-sz")  # a second branch of the bank
    foreign = UnitFactory(bank=BankFactory(code="other-bank"))
    client.force_login(make_staff(Role.CC_AGENT, unit=centre).user)

    first = client.get(URL).content.decode()
    assert 'id="choose-a-branch"' in first
    assert 'id="choose-branch"' in first
    chosen = client.get(URL, {"branch": branch.code}).content.decode()
    assert 'id="desk-form"' in chosen
    assert 'id="desk-branch"' in chosen
    assert client.get(URL, {"branch": foreign.code}).status_code == 404


def test_customer_search_lists_matches_with_masked_phones(client, branch, teller, zhang):
    client.force_login(teller)
    html = client.get(URL, {"q": "张三丰"}, headers={"HX-Request": "true"}).content.decode()
    assert f'name="customer_id" value="{zhang.pk}"' in html
    assert "138****8000" in html
    nothing = client.get(URL, {"q": "欧阳"}).content.decode()
    assert 'id="desk-no-customer"' in nothing


def test_free_times_follow_the_service_and_day(client, branch, teller):
    client.force_login(teller)
    day = next_working_day()
    html = client.get(URL, {"service": "cash", "day": day.isoformat()}).content.decode()
    assert 'data-slot="09:00"' in html
    assert "1 place free" in html
    none = client.get(URL, {"day": day.isoformat()}).content.decode()
    assert "Choose a service to see the free times." in none


def test_booking_for_a_customer_lists_it(client, branch, teller, zhang):
    client.force_login(teller)
    slot = opening_slot(next_working_day())

    response = client.post(
        reverse("floor:appointments_book"),
        {
            "branch": branch.code,
            "customer_id": zhang.pk,
            "service": "cash",
            "slot": slot.isoformat(),
        },
        follow=True,
    )

    appointment = Appointment.objects.get()
    assert appointment.customer == zhang
    assert appointment.slot_start == slot
    html = response.content.decode()
    assert f"Booked {appointment.reference}" in html
    assert f'data-reference="{appointment.reference}"' in html


def test_booking_errors_name_the_fields_and_book_nothing(client, branch, teller):
    client.force_login(teller)
    response = client.post(
        reverse("floor:appointments_book"),
        {"branch": branch.code, "service": "cash", "slot": "", "phone": "12"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="customer-error"' in html
    assert 'id="slot-error"' in html
    assert 'id="phone-error"' in html
    assert not Appointment.objects.exists()


def test_check_in_at_the_desk_issues_the_ticket(client, branch, teller, zhang):
    booking = todays_booking(branch, zhang)
    client.force_login(teller)

    response = client.post(
        reverse("floor:appointments_check_in", args=[booking.pk]), headers={"HX-Request": "true"}
    )

    ticket = Ticket.objects.get(appointment=booking)
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="card shadow-sm" id="appointments-list"')
    assert 'id="desk-notice"' in html
    assert ticket.number in html
    booking.refresh_from_db()
    assert booking.status == Appointment.Status.CHECKED_IN
    again = client.post(
        reverse("floor:appointments_check_in", args=[booking.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="desk-error"' in again
    assert Ticket.objects.filter(appointment=booking).count() == 1


def test_cancel_without_javascript_redirects_with_a_message(client, branch, teller, zhang):
    booking = todays_booking(branch, zhang)
    client.force_login(teller)
    response = client.post(reverse("floor:appointments_cancel", args=[booking.pk]), follow=True)
    booking.refresh_from_db()
    assert booking.status == Appointment.Status.CANCELLED
    assert f"Booking {booking.reference} is cancelled." in response.content.decode()


def test_staff_of_another_branch_may_not_act_on_its_bookings(client, branch, zhang):
    booking = todays_booking(branch, zhang)
    client.force_login(make_staff(Role.TELLER, unit=make_branch(code="desk-gz")).user)
    assert client.post(reverse("floor:appointments_cancel", args=[booking.pk])).status_code == 403
    check_in = reverse("floor:appointments_check_in", args=[booking.pk])
    assert client.post(check_in).status_code == 403
    booking.refresh_from_db()
    assert booking.status == Appointment.Status.BOOKED


def test_the_list_part_alone_for_the_live_refresh(client, branch, teller, zhang):
    todays_booking(branch, zhang)
    client.force_login(teller)
    html = client.get(URL, {"branch": branch.code, "part": "list"}).content.decode()
    assert html.lstrip().startswith('<div class="card shadow-sm" id="appointments-list"')
    assert "<html" not in html
