"""Appointments: slots and capacity, working days, booking checks, check-in priority, missed
appointments, cancelling."""

import datetime

import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import appointments, selectors
from servicefirst.floor.models import Appointment, FloorEvent, Ticket
from servicefirst.floor.tests.queue_factories import local, make_branch, make_counter

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2027, 3, 1)
BEFORE = local(MONDAY, 8, 0)  # "now" when booking
MOBILE = "139 1234 5678"


@pytest.fixture
def branch():
    b = make_branch()
    make_counter(b, 1, ["cash", "cards"])
    make_counter(b, 2, ["cash"], is_open=False)  # closed counters count for capacity too
    make_counter(b, 3, ["loans"])
    return b


def book(branch, when=None, code="cash", name="张三", phone=MOBILE, **kw):
    kw.setdefault("now", BEFORE)
    return appointments.appointment_book(
        branch_id=branch.pk,
        service_code=code,
        slot_start=when or local(MONDAY, 10, 0),
        name=name,
        phone=phone,
        **kw,
    )


# --- working days and slots ------------------------------------------------------------------


def test_weekends_and_chinese_public_holidays_are_not_working_days():
    assert appointments.is_working_day(MONDAY)
    assert not appointments.is_working_day(datetime.date(2027, 3, 6))  # Saturday
    assert not appointments.is_working_day(datetime.date(2027, 10, 1))  # National Day
    assert not appointments.is_working_day(datetime.date(2027, 2, 8))  # Spring Festival
    assert not appointments.is_working_day(datetime.date(2027, 9, 15))  # Mid-Autumn (lunar)
    days = appointments.booking_days(today=datetime.date(2027, 9, 30), count=3)
    assert days == [
        datetime.date(2027, 9, 30),
        datetime.date(2027, 10, 6),
        datetime.date(2027, 10, 7),
    ]


def test_slots_follow_opening_hours_and_slot_length(branch):
    settings = selectors.floor_settings(branch.pk)
    settings.opens_at, settings.closes_at, settings.slot_minutes = (
        datetime.time(9, 0),
        datetime.time(11, 0),
        45,
    )
    settings.save()
    starts = [s.start for s in appointments.slots(branch.pk, "cash", MONDAY, now=BEFORE)]
    assert starts == [local(MONDAY, 9, 0), local(MONDAY, 9, 45)]  # 10:30 would end after closing
    assert appointments.slots(branch.pk, "cash", datetime.date(2027, 10, 1), now=BEFORE) == []


def test_capacity_is_the_number_of_counters_handling_the_service(branch):
    by_service = {
        code: appointments.slots(branch.pk, code, MONDAY, now=BEFORE)[0].capacity
        for code in ("cash", "cards", "loans", "fx")
    }
    assert by_service == {"cash": 2, "cards": 1, "loans": 1, "fx": 0}
    assert appointments.free_slots(branch.pk, "fx", MONDAY, now=BEFORE) == []


def test_a_slot_is_full_when_as_many_bookings_as_counters_exist(branch):
    book(branch, phone="13911110001")
    book(branch, phone="13911110002")
    with pytest.raises(ValidationFailed) as exc:
        book(branch, phone="13911110003")
    assert list(exc.value.errors) == ["slot"]
    assert "fully booked" in exc.value.errors["slot"][0]
    free = {s.start for s in appointments.free_slots(branch.pk, "cash", MONDAY, now=BEFORE)}
    assert local(MONDAY, 10, 0) not in free
    assert local(MONDAY, 10, 30) in free
    # a cancelled booking frees its place
    first = Appointment.objects.order_by("id").first()
    appointments.appointment_cancel(reference=first.reference, phone="13911110001")
    assert book(branch, phone="13911110003").status == Appointment.Status.BOOKED


def test_slots_already_started_are_not_offered(branch):
    now = local(MONDAY, 10, 5)
    starts = [s.start for s in appointments.slots(branch.pk, "cash", MONDAY, now=now)]
    assert starts[0] == local(MONDAY, 10, 30)


# --- booking ---------------------------------------------------------------------------------


def test_public_booking_normalises_the_mobile_and_gives_a_reference(branch):
    appointment = book(branch, phone="139-1234-5678", name="  张  三 ")
    assert appointment.phone == "+8613912345678"
    assert appointment.name == "张 三"
    assert len(appointment.reference) == 8
    assert appointment.customer is None
    assert appointment.booked_by is None
    assert appointment.status == Appointment.Status.BOOKED


def test_booking_reports_every_bad_field_and_books_nothing(branch):
    with pytest.raises(ValidationFailed) as exc:
        book(branch, code="teleport", name="", phone="12345", when="not a time")
    assert set(exc.value.errors) == {"service", "slot", "name", "phone"}
    with pytest.raises(ValidationFailed) as exc:
        book(branch, phone="010 6618 0000")  # a landline
    assert exc.value.errors["phone"] == ["Enter a mobile phone number."]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (local(MONDAY, 16, 45), "Choose one of the times offered."),
        (local(MONDAY, 10, 10), "Choose one of the times offered."),
        (local(datetime.date(2027, 10, 1), 10, 0), "The branch takes no appointments on this day."),
        (local(datetime.date(2027, 3, 6), 10, 0), "The branch takes no appointments on this day."),
        (local(datetime.date(2027, 2, 26), 10, 0), "This time has passed; choose a later one."),
    ],
)
def test_booking_only_offered_future_slots_on_working_days(branch, when, message):
    with pytest.raises(ValidationFailed) as exc:
        book(branch, when=when)
    assert exc.value.errors == {"slot": [message]}


def test_slot_given_as_text_is_accepted(branch):
    appointment = book(branch, when="2027-03-01T10:30")
    assert appointment.slot_start == local(MONDAY, 10, 30)


def test_the_same_phone_cannot_book_the_same_slot_twice(branch):
    book(branch)
    with pytest.raises(ValidationFailed) as exc:
        book(branch)
    assert "already have a booking" in exc.value.errors["slot"][0]


def test_staff_booking_links_the_customer(branch):
    teller = make_staff(Role.TELLER, unit=branch)
    zhang = make_customer(name_zh="张三丰", phones=["13800138000"])
    appointment = book(branch, actor=teller.user, customer_id=zhang.pk)
    assert appointment.customer == zhang
    assert appointment.booked_by == teller


def test_staff_of_another_branch_may_not_book_for_a_customer(branch):
    outsider = make_staff(Role.TELLER, unit=make_branch())
    zhang = make_customer(name_zh="张三丰")
    with pytest.raises(PermissionDenied):
        book(branch, actor=outsider.user, customer_id=zhang.pk)
    assert not Appointment.objects.exists()


# --- check-in --------------------------------------------------------------------------------


def check_in(branch, at, **kw):
    return appointments.appointment_check_in(branch_id=branch.pk, now=at, **kw)


def test_check_in_on_time_gives_the_appointment_priority(branch):
    appointment = book(branch)
    ticket = check_in(branch, local(MONDAY, 9, 40), reference=appointment.reference.lower())
    assert (ticket.priority, ticket.priority_reason) == (25, "appointment")
    assert ticket.appointment == appointment
    assert ticket.number == "A001"
    assert ticket.status == Ticket.Status.WAITING
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    event = FloorEvent.objects.get(kind=FloorEvent.Kind.CHECK_IN)
    assert event.detail["on_time"] is True
    assert event.ticket == ticket


def test_check_in_within_the_grace_period_is_on_time(branch):
    appointment = book(branch)
    ticket = check_in(branch, local(MONDAY, 10, 15), reference=appointment.reference)
    assert ticket.priority_reason == "appointment"


def test_late_check_in_gets_an_ordinary_ticket(branch):
    appointment = book(branch)
    ticket = check_in(branch, local(MONDAY, 10, 16), reference=appointment.reference)
    assert (ticket.priority, ticket.priority_reason) == (0, "")
    assert FloorEvent.objects.get(kind=FloorEvent.Kind.CHECK_IN).detail["on_time"] is False


def test_check_in_by_phone_finds_todays_booking(branch):
    book(branch, when=local(MONDAY, 14, 0))
    morning = book(branch, when=local(MONDAY, 10, 0))
    ticket = check_in(branch, local(MONDAY, 9, 50), phone="+86 13912345678")
    assert ticket.appointment == morning


def test_a_linked_customer_keeps_their_better_priority_and_language(branch):
    teller = make_staff(Role.TELLER, unit=branch)
    vip = make_customer(name_zh="私行客户", value_tier="private", preferred_language="en")
    appointment = book(branch, actor=teller.user, customer_id=vip.pk)
    ticket = check_in(branch, local(MONDAY, 10, 0), reference=appointment.reference)
    assert (ticket.priority, ticket.priority_reason) == (30, "vip")
    assert ticket.customer == vip
    assert ticket.language == "en"


def test_check_in_refusals_name_the_field(branch):
    appointment = book(branch)
    with pytest.raises(ValidationFailed) as exc:
        check_in(branch, local(MONDAY, 9, 0), reference="NOPE1234")
    assert list(exc.value.errors) == ["reference"]
    with pytest.raises(ValidationFailed) as exc:
        check_in(branch, local(MONDAY, 9, 0), phone="13700001111")
    assert list(exc.value.errors) == ["phone"]
    with pytest.raises(ValidationFailed) as exc:
        check_in(branch, local(MONDAY, 9, 0))
    assert list(exc.value.errors) == ["reference"]
    with pytest.raises(ValidationFailed) as exc:  # another day
        check_in(branch, local(datetime.date(2027, 2, 26), 9, 0), reference=appointment.reference)
    assert "2027-03-01 10:00" in exc.value.errors["reference"][0]
    check_in(branch, local(MONDAY, 9, 50), reference=appointment.reference)
    with pytest.raises(ValidationFailed) as exc:
        check_in(branch, local(MONDAY, 9, 51), reference=appointment.reference)
    assert "already checked in" in exc.value.errors["reference"][0]
    assert Ticket.objects.count() == 1


def test_a_booking_at_another_branch_is_not_checked_in_here(branch):
    appointment = book(branch)
    other = make_branch()
    with pytest.raises(ValidationFailed):
        check_in(other, local(MONDAY, 9, 50), reference=appointment.reference)


# --- missed and cancelled --------------------------------------------------------------------


def test_slots_past_grace_without_check_in_are_marked_missed(branch):
    kept = book(branch, phone="13911110001")
    missed = book(branch, phone="13911110002")
    later = book(branch, phone="13911110003", when=local(MONDAY, 11, 0))
    check_in(branch, local(MONDAY, 9, 55), reference=kept.reference)
    assert appointments.appointments_mark_missed(now=local(MONDAY, 10, 15)) == 0
    assert appointments.appointments_mark_missed(now=local(MONDAY, 10, 16)) == 1
    statuses = dict(Appointment.objects.values_list("reference", "status"))
    assert statuses == {
        kept.reference: "checked_in",
        missed.reference: "missed",
        later.reference: "booked",
    }
    event = FloorEvent.objects.get(kind=FloorEvent.Kind.APPOINTMENT_MISSED)
    assert event.detail["appointment"] == missed.reference
    # running again changes nothing
    assert appointments.appointments_mark_missed(now=local(MONDAY, 10, 30)) == 0


def test_a_missed_visitor_arriving_later_gets_an_ordinary_ticket(branch):
    appointment = book(branch)
    appointments.appointments_mark_missed(now=local(MONDAY, 10, 20))
    ticket = check_in(branch, local(MONDAY, 10, 40), reference=appointment.reference)
    assert ticket.priority == 0


def test_cancel_needs_the_reference_and_the_phone_it_was_booked_with(branch):
    appointment = book(branch)
    with pytest.raises(ValidationFailed) as exc:
        appointments.appointment_cancel(reference=appointment.reference, phone="13700001111")
    assert list(exc.value.errors) == ["reference"]
    with pytest.raises(ValidationFailed) as exc:
        appointments.appointment_cancel(reference="", phone="")
    assert set(exc.value.errors) == {"reference", "phone"}
    appointments.appointment_cancel(reference=appointment.reference, phone="+8613912345678")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    with pytest.raises(ValidationFailed) as exc:
        check_in(branch, local(MONDAY, 9, 50), reference=appointment.reference)
    assert "cancelled" in exc.value.errors["reference"][0]


def test_the_missed_appointments_task_marks_them(branch):
    from servicefirst.floor.tasks import mark_missed_appointments

    appointment = Appointment.objects.create(
        branch=branch,
        service=branch.counters.get(number=1).services.get(code="cash"),
        slot_start=local(datetime.date(2026, 3, 2), 10, 0),  # long past
        reference="PAST2345",
        name="张三",
        phone="+8613912345678",
    )
    assert mark_missed_appointments.call() == {"missed": 1}
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.MISSED
