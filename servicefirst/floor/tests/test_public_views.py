"""The public floor pages: kiosk, ticket, display, booking — no login, no personal data, errors
on the field they concern, Chinese and English."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import appointments
from servicefirst.floor.models import Appointment, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter

pytestmark = pytest.mark.django_db

PHONE = "+86 138 0013 8000"


@pytest.fixture
def branch():
    b = make_branch(code="bj-test", name_zh="北京测试支行", name_en="Beijing Test Branch")
    make_counter(b, 1, ["cash", "cards"], staff=True)
    make_counter(b, 2, ["loans"], staff=True)
    return b


@pytest.fixture
def zhang(branch):
    return make_customer(
        name_zh="张三丰",
        name_latin="Zhang Sanfeng",
        phones=[PHONE],
        home_branch=branch,
        value_tier="private",
    )


def kiosk_url(branch):
    return reverse("floor:kiosk", args=[branch.code])


def test_kiosk_needs_no_login_and_offers_the_branchs_services(client, branch):
    response = client.get(kiosk_url(branch))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Beijing Test Branch" in html
    for name in ("Cash", "Cards", "Loans", "Wealth management"):
        assert name in html
    assert 'name="identify"' in html
    assert 'name="elderly"' in html
    assert 'name="disabled"' in html
    assert "I have an appointment" in html


def test_kiosk_in_chinese(client, branch):
    client.cookies["django_language"] = "zh-hans"
    html = client.get(kiosk_url(branch)).content.decode()
    assert "北京测试支行" in html
    assert "现金业务" in html
    assert 'lang="zh-hans"' in html


def test_unknown_branch_is_404(client):
    assert client.get("/floor/nowhere/kiosk/").status_code == 404
    assert client.get("/floor/nowhere/display/").status_code == 404


def test_taking_a_ticket_shows_number_people_ahead_and_wait(client, branch):
    client.post(kiosk_url(branch), {"service": "cash"})
    response = client.post(kiosk_url(branch), {"service": "cash"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "A002" in html
    assert re.search(r'id="people-ahead">1<', html)
    assert re.search(r'id="estimated-wait">4 min<', html)
    assert "window.print()" in html
    assert "@media print" in html


def test_identified_customers_ticket_shows_no_personal_data(client, branch, zhang):
    response = client.post(
        kiosk_url(branch), {"service": "cash", "identify": "13800138000"}, follow=True
    )
    html = response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.customer == zhang
    assert ticket.priority_reason == "vip"
    for personal in (
        "张三丰",
        "Zhang",
        "13800138000",
        "138****8000",
        zhang.number,
        "VIP",
        "Private",
    ):
        assert personal not in html
    # nor on the display
    ticket.status, ticket.counter, ticket.called_at = (
        Ticket.Status.CALLED,
        branch.counters.get(number=1),
        timezone.now(),
    )
    ticket.save()
    display = client.get(reverse("floor:display", args=[branch.code])).content.decode()
    assert "A001" in display
    for personal in ("张三丰", "Zhang", "13800138000", zhang.number):
        assert personal not in display


def test_kiosk_errors_name_the_field_and_keep_the_input(client, branch):
    response = client.post(kiosk_url(branch), {"service": "cash", "identify": "13900000000"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="identify-error"' in html
    assert "could not find a customer" in html
    assert 'value="13900000000"' in html
    response = client.post(kiosk_url(branch), {"service": "teleport"})
    assert 'id="service-error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_elderly_and_disabled_buttons(client, branch):
    client.post(kiosk_url(branch), {"service": "cash", "elderly": "1"})
    client.post(kiosk_url(branch), {"service": "cash", "disabled": "1"})
    assert list(Ticket.objects.order_by("id").values_list("priority_reason", flat=True)) == [
        "elderly",
        "disabled",
    ]


def test_ticket_page_cannot_be_browsed_by_id(client, branch):
    client.post(kiosk_url(branch), {"service": "cash"})
    ticket = Ticket.objects.get()
    assert client.get(f"/floor/{branch.code}/kiosk/ticket/{ticket.pk}/").status_code == 404
    other = make_branch(code="sh-test")
    from servicefirst.floor.views_public import ticket_token

    token = ticket_token(ticket)
    assert client.get(f"/floor/{other.code}/kiosk/ticket/{token}/").status_code == 404
    status = client.get(f"/floor/{branch.code}/kiosk/ticket/{token}/?part=status")
    assert b"people-ahead" in status.content
    assert b"<html" not in status.content


def test_kiosk_check_in_on_time_shows_the_appointment_priority(client, branch):
    slot = timezone.now() + datetime.timedelta(minutes=10)  # arriving a little early
    appointment = Appointment.objects.create(
        branch=branch,
        service=branch.counters.get(number=1).services.get(code="cash"),
        slot_start=slot,
        reference="ABCD2345",
        name="张三",
        phone="+8613912345678",
    )
    response = client.post(
        reverse("floor:kiosk_check_in", args=[branch.code]), {"reference": "abcd2345"}, follow=True
    )
    html = response.content.decode()
    assert 'id="appointment-priority"' in html
    assert "张三" not in html
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN


def test_kiosk_check_in_errors_are_shown_on_the_field(client, branch):
    url = reverse("floor:kiosk_check_in", args=[branch.code])
    response = client.post(url, {"reference": "NOPE"})
    assert response.status_code == 422
    assert 'id="reference-error"' in response.content.decode()
    response = client.post(url, {"check_in_phone": "12"})
    assert 'id="check-in-phone-error"' in response.content.decode()


def test_display_lists_called_numbers_with_counters_latest_first_and_waiting(client, branch):
    counter = branch.counters.get(number=1)
    now = timezone.now()
    for number, minutes in (("A001", 10), ("A002", 5), ("C001", 1)):
        Ticket.objects.create(
            branch=branch,
            service=counter.services.get(code="cash" if number[0] == "A" else "cards"),
            day=timezone.localdate(),
            number=number,
            status=Ticket.Status.CALLED if number == "C001" else Ticket.Status.DONE,
            issued_at=now - datetime.timedelta(minutes=20),
            called_at=now - datetime.timedelta(minutes=minutes),
            counter=counter,
        )
    client.post(kiosk_url(branch), {"service": "loans"})
    html = client.get(reverse("floor:display", args=[branch.code])).content.decode()
    now_calling = html[html.index('id="now-calling"') :]
    assert now_calling.index("C001") < now_calling.index("A002") < now_calling.index("A001")
    assert 'hx-trigger="floor-changed from:body, every 30s"' in html
    assert "floor/live.js" in html
    assert re.search(r'data-service="loans">.*?<td[^>]*>1</td>', html, re.S)
    fragment = client.get(reverse("floor:display_state", args=[branch.code])).content.decode()
    assert fragment.lstrip().startswith('<div id="display-state"')


def test_booking_page_steps_to_free_slots_and_books(client, branch):
    day = appointments.booking_days(today=timezone.localdate() + datetime.timedelta(days=1))[0]
    url = reverse("floor:book")
    html = client.get(url).content.decode()
    assert "Beijing Test Branch" in html
    html = client.get(
        url, {"branch": branch.code, "service": "loans", "day": day.isoformat()}
    ).content.decode()
    assert 'name="slot"' in html
    assert "1 place free" in html
    slot = re.search(r'name="slot" id="slot-1" value="([^"]+)"', html).group(1)
    response = client.post(
        url,
        {
            "branch": branch.code,
            "service": "loans",
            "day": day.isoformat(),
            "slot": slot,
            "name": "李四",
            "phone": "139 1234 5678",
        },
        follow=True,
    )
    appointment = Appointment.objects.get()
    assert appointment.phone == "+8613912345678"
    html = response.content.decode()
    assert appointment.reference in html
    assert "139****5678" in html
    # the slot is now full (one counter handles loans)
    html = client.get(
        url, {"branch": branch.code, "service": "loans", "day": day.isoformat()}
    ).content.decode()
    assert re.search(r'id="slot-1" value="[^"]+" autocomplete="off" disabled', html)


def test_booking_errors_name_the_fields(client, branch):
    response = client.post(
        reverse("floor:book"),
        {"branch": branch.code, "service": "cash", "slot": "", "name": "", "phone": "123"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    for field in ("slot-error", "name-error", "phone-error"):
        assert f'id="{field}"' in html
    response = client.post(reverse("floor:book"), {"branch": "", "service": "cash"})
    assert 'id="branch-error"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_cancel_page(client, branch):
    appointment = Appointment.objects.create(
        branch=branch,
        service=branch.counters.get(number=2).services.get(),
        slot_start=timezone.now() + datetime.timedelta(days=1),
        reference="WXYZ2345",
        name="李四",
        phone="+8613912345678",
    )
    url = reverse("floor:book_cancel")
    response = client.post(url, {"reference": "WXYZ2345", "phone": "13700001111"})
    assert response.status_code == 422
    assert 'id="reference-error"' in response.content.decode()
    response = client.post(url, {"reference": "wxyz2345", "phone": "13912345678"})
    assert 'id="cancelled"' in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_language_switch_on_public_pages(client, branch):
    html = client.get(kiosk_url(branch)).content.decode()
    assert 'action="/i18n/setlang/"' in html
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": kiosk_url(branch)}, follow=True
    )
    assert "取" in response.content.decode() or "现金业务" in response.content.decode()
