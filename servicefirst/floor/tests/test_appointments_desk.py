"""The staff desk for appointments (floor/appointments.py): who may work a branch's bookings,
booking for a customer found by search, the list of today's and upcoming bookings, cancelling
and checking in at the desk."""

import datetime

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import appointments
from servicefirst.floor.models import Appointment, FloorEvent, Ticket
from servicefirst.floor.tests.queue_factories import local, make_branch, make_counter

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2027, 3, 1)
BEFORE = local(MONDAY, 8, 0)


@pytest.fixture
def branch():
    b = make_branch()
    make_counter(b, 1, ["cash", "cards"])
    make_counter(b, 2, ["cash"])
    return b


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch).user


@pytest.fixture
def zhang(branch):
    return make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=branch)


def book_for(actor, branch, customer, when=None, code="cash", **kw):
    kw.setdefault("now", BEFORE)
    return appointments.appointment_book_for_customer(
        actor=actor,
        branch_id=branch.pk,
        service_code=code,
        slot_start=when or local(MONDAY, 10, 0),
        customer_id=customer.pk if customer is not None else "",
        **kw,
    )


# --- who works which branch ------------------------------------------------------------------


def test_branch_staff_work_their_own_branch_and_agents_any_branch_of_the_bank(branch, teller):
    other = make_branch()  # same bank
    UnitFactory(bank=BankFactory(code="other-bank"))  # another bank's branch
    centre = UnitFactory(bank=branch.bank, kind=Unit.Kind.CARE_CENTER)
    agent = make_staff(Role.CC_AGENT, unit=centre).user
    analyst = make_staff(Role.MARKETING_ANALYST, unit=branch).user

    assert appointments.bookable_branches(teller) == [branch]
    assert set(appointments.bookable_branches(agent)) == {branch, other}
    assert appointments.bookable_branches(analyst) == []
    with pytest.raises(PermissionDenied):
        appointments.desk_branch_get(actor=teller, branch_id=other.pk)
    with pytest.raises(PermissionDenied):
        appointments.desk_branch_get(actor=analyst, branch_id=branch.pk)
    assert appointments.desk_branch_get(actor=agent, branch_id=branch.pk) == branch


# --- booking for a customer -----------------------------------------------------------------


def test_booking_for_a_customer_uses_their_name_and_mobile_and_notes_it(branch, teller, zhang):
    appointment = book_for(teller, branch, zhang)

    assert appointment.customer == zhang
    assert appointment.name == "张三丰"
    assert appointment.phone == "+8613800138000"
    assert appointment.booked_by.user == teller
    note = Interaction.objects.get(customer=zhang, kind=Interaction.Kind.NOTE)
    assert appointment.reference in note.summary
    assert note.channel == "branch"


def test_an_agent_books_by_phone_for_another_number(branch, zhang):
    centre = UnitFactory(bank=branch.bank, kind=Unit.Kind.CARE_CENTER)
    agent = make_staff(Role.CC_AGENT, unit=centre).user

    appointment = book_for(agent, branch, zhang, phone="139 1234 5678")

    assert appointment.phone == "+8613912345678"
    assert Interaction.objects.get(customer=zhang).channel == "phone"


def test_every_bad_field_is_named_and_nothing_is_booked(branch, teller):
    with pytest.raises(ValidationFailed) as exc:
        appointments.appointment_book_for_customer(
            actor=teller,
            branch_id=branch.pk,
            service_code="nope",
            slot_start="",
            customer_id="",
            phone="12",
            now=BEFORE,
        )
    assert set(exc.value.errors) == {"customer", "service", "slot", "phone"}
    assert not Appointment.objects.exists()


def test_a_customer_without_a_mobile_needs_one_given(branch, teller):
    nobody = make_customer(name_zh="李四", home_branch=branch)
    with pytest.raises(ValidationFailed) as exc:
        book_for(teller, branch, nobody)
    assert list(exc.value.errors) == ["phone"]
    assert book_for(teller, branch, nobody, phone="13912345678").phone == "+8613912345678"


def test_a_full_slot_is_refused_on_the_slot(branch, teller, zhang):
    other = make_customer(name_zh="王五", phones=["13700001111"])
    third = make_customer(name_zh="赵六", phones=["13600002222"])
    book_for(teller, branch, zhang)
    book_for(teller, branch, other)  # two counters handle cash: two places
    with pytest.raises(ValidationFailed) as exc:
        book_for(teller, branch, third)
    assert list(exc.value.errors) == ["slot"]


def test_staff_of_another_branch_may_not_book_here(branch, zhang):
    outsider = make_staff(Role.TELLER, unit=make_branch()).user
    with pytest.raises(PermissionDenied):
        book_for(outsider, branch, zhang)
    assert not Appointment.objects.exists()


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_all_of_today_and_what_is_still_booked_later(branch, teller, zhang):
    early = book_for(teller, branch, zhang, when=local(MONDAY, 9, 0))
    cancelled = book_for(teller, branch, zhang, when=local(MONDAY, 11, 0))
    appointments.appointment_desk_cancel(actor=teller, appointment_id=cancelled.pk)
    tuesday = MONDAY + datetime.timedelta(days=1)
    later = book_for(teller, branch, zhang, when=local(tuesday, 10, 0))
    dropped = book_for(teller, branch, zhang, when=local(tuesday, 11, 0))
    appointments.appointment_desk_cancel(actor=teller, appointment_id=dropped.pk)
    ticket = appointments.appointment_desk_check_in(
        actor=teller, appointment_id=early.pk, now=local(MONDAY, 8, 50)
    )
    yesterday = Appointment.objects.create(
        branch=branch,
        service=early.service,
        slot_start=local(MONDAY - datetime.timedelta(days=3), 10, 0),
        reference="OLD00001",
        name="旧",
        phone="+8613800138000",
    )

    rows = appointments.appointments_upcoming(
        actor=teller, branch_id=branch.pk, now=local(MONDAY, 9, 30)
    )

    assert [a.reference for a in rows] == [early.reference, cancelled.reference, later.reference]
    assert rows[0].checked_in_ticket == ticket
    assert rows[1].checked_in_ticket is None
    assert yesterday not in rows


def test_the_list_is_only_for_staff_who_work_the_branch(branch):
    outsider = make_staff(Role.TELLER, unit=make_branch()).user
    with pytest.raises(PermissionDenied):
        appointments.appointments_upcoming(actor=outsider, branch_id=branch.pk)


# --- cancel and check in at the desk --------------------------------------------------------


def test_desk_cancel_is_logged_with_the_staff_member(branch, teller, zhang):
    appointment = book_for(teller, branch, zhang)
    appointments.appointment_desk_cancel(actor=teller, appointment_id=appointment.pk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    event = FloorEvent.objects.get(kind=FloorEvent.Kind.CANCEL)
    assert event.actor.user == teller
    assert event.detail == {"appointment": appointment.reference}
    with pytest.raises(ValidationFailed) as exc:
        appointments.appointment_desk_cancel(actor=teller, appointment_id=appointment.pk)
    assert list(exc.value.errors) == ["appointment"]


def test_desk_check_in_issues_the_ticket_with_the_appointment_priority(branch, teller, zhang):
    appointment = book_for(teller, branch, zhang)
    ticket = appointments.appointment_desk_check_in(
        actor=teller, appointment_id=appointment.pk, now=local(MONDAY, 9, 55)
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.customer == zhang
    assert ticket.priority_reason == Ticket.Reason.APPOINTMENT
    assert FloorEvent.objects.get(kind=FloorEvent.Kind.CHECK_IN).actor.user == teller
    with pytest.raises(ValidationFailed) as exc:
        appointments.appointment_desk_check_in(
            actor=teller, appointment_id=appointment.pk, now=local(MONDAY, 9, 56)
        )
    assert "already checked in" in exc.value.errors["appointment"][0]


def test_desk_actions_need_the_branch_and_an_existing_booking(branch, teller, zhang):
    appointment = book_for(teller, branch, zhang)
    outsider = make_staff(Role.TELLER, unit=make_branch()).user
    with pytest.raises(PermissionDenied):
        appointments.appointment_desk_check_in(actor=outsider, appointment_id=appointment.pk)
    with pytest.raises(PermissionDenied):
        appointments.appointment_desk_cancel(actor=outsider, appointment_id=appointment.pk)
    with pytest.raises(NotFound):
        appointments.appointment_desk_cancel(actor=teller, appointment_id=10**9)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
