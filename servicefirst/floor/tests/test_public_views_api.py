"""The floor API: take a ticket, a branch's queue, free slots, booking — errors shaped like the
rest of the API."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import appointments
from servicefirst.floor.models import Appointment, FloorEvent, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    b = make_branch(code="api-br")
    make_counter(b, 1, ["cash", "cards"], staff=True)
    make_counter(b, 2, ["cash"], staff=True)
    return b


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def test_anyone_takes_a_ticket_and_learns_people_ahead_and_wait(client, branch):
    post(client, "/api/floor/branches/api-br/tickets", {"service": "cash"})
    post(client, "/api/floor/branches/api-br/tickets", {"service": "cash"})
    response = post(client, "/api/floor/branches/api-br/tickets", {"service": "cash"})
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "A003"
    assert body["people_ahead"] == 2
    assert body["predicted_wait_s"] == 240  # two counters share the two people ahead
    assert body["status"] == "waiting"


def test_a_token_records_the_staff_member(client, branch):
    lobby = make_staff(Role.LOBBY_MANAGER, unit=branch)
    token = token_create(staff=lobby, name="kiosk")
    response = post(
        client,
        "/api/floor/branches/api-br/tickets",
        {"service": "cards", "elderly": True},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201
    assert FloorEvent.objects.get(kind="issue").actor == lobby
    assert Ticket.objects.get().priority_reason == "elderly"


def test_ticket_errors_name_the_field(client, branch):
    response = post(
        client, "/api/floor/branches/api-br/tickets", {"service": "nope", "identify": "139000"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"service", "identify"}
    response = post(client, "/api/floor/branches/api-br/tickets", {"identify": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "service"
    response = post(client, "/api/floor/branches/nowhere/tickets", {"service": "cash"})
    assert response.status_code == 404


def test_queue_state_has_numbers_and_counters_only(client, branch):
    zhang = make_customer(name_zh="张三丰", phones=["13800138000"])
    post(
        client, "/api/floor/branches/api-br/tickets", {"service": "cash", "identify": "13800138000"}
    )
    ticket = Ticket.objects.get()
    ticket.status, ticket.called_at, ticket.counter = (
        Ticket.Status.CALLED,
        timezone.now(),
        branch.counters.get(number=2),
    )
    ticket.save()
    post(client, "/api/floor/branches/api-br/tickets", {"service": "cards"})
    response = client.get("/api/floor/branches/api-br/queue")
    assert response.status_code == 200
    body = response.json()
    assert body["waiting"] == 1
    cards = next(s for s in body["services"] if s["service"] == "cards")
    assert cards["waiting"] == 1
    assert cards["counters"] == 1
    assert body["called"] == [
        {
            "number": "A001",
            "counter": 2,
            "called_at": body["called"][0]["called_at"],
            "serving": True,
        }
    ]
    assert "张三丰" not in response.content.decode()
    assert zhang.number not in response.content.decode()


def test_free_slots_and_booking(client, branch):
    day = appointments.booking_days(today=timezone.localdate() + datetime.timedelta(days=1))[0]
    response = client.get(
        "/api/floor/branches/api-br/slots", {"service": "cards", "day": day.isoformat()}
    )
    assert response.status_code == 200
    slots = response.json()
    assert slots
    assert all(s["capacity"] == 1 and s["free"] == 1 for s in slots)
    first = slots[0]["start"]
    body = {
        "branch": "api-br",
        "service": "cards",
        "slot_start": first,
        "name": "王五",
        "phone": "13912345678",
    }
    response = post(client, "/api/floor/appointments", body)
    assert response.status_code == 201
    reference = response.json()["reference"]
    assert Appointment.objects.get(reference=reference).phone == "+8613912345678"
    # full now
    slots = client.get(
        "/api/floor/branches/api-br/slots", {"service": "cards", "day": day.isoformat()}
    ).json()
    assert first not in [s["start"] for s in slots]
    response = post(client, "/api/floor/appointments", {**body, "phone": "13912345679"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "slot"


def test_booking_errors_and_staff_booking(client, branch):
    response = post(
        client,
        "/api/floor/appointments",
        {
            "branch": "nowhere",
            "service": "cards",
            "slot_start": "2030-01-01T10:00:00+08:00",
            "name": "",
            "phone": "",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "branch"
    response = post(client, "/api/floor/appointments", {"branch": "api-br"})
    assert response.status_code == 422
    assert {"service", "slot_start", "name", "phone"} <= {
        e["field"] for e in response.json()["errors"]
    }
    # staff booking for a customer needs FLOOR_BOOK at the branch
    day = appointments.booking_days(today=timezone.localdate() + datetime.timedelta(days=1))[0]
    slot = appointments.free_slots(branch.pk, "cash", day)[0].start.isoformat()
    zhang = make_customer(name_zh="张三丰")
    body = {
        "branch": "api-br",
        "service": "cash",
        "slot_start": slot,
        "name": "张三丰",
        "phone": "13800138000",
        "customer_id": zhang.pk,
    }
    response = post(client, "/api/floor/appointments", body)
    assert response.status_code == 403
    teller = make_staff(Role.TELLER, unit=branch)
    token = token_create(staff=teller, name="t")
    response = post(client, "/api/floor/appointments", body, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201
    assert Appointment.objects.get().customer == zhang


def test_a_session_post_without_csrf_is_refused(branch):
    from django.test import Client

    from servicefirst.accounts.tests.factories import PASSWORD

    teller = make_staff(Role.TELLER, unit=branch)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=teller.user.username, password=PASSWORD)
    response = post(client, "/api/floor/branches/api-br/tickets", {"service": "cash"})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_floor_api_is_in_the_docs(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/floor/branches/{branch_code}/tickets" in schema["paths"]
    assert "/api/floor/appointments" in schema["paths"]
