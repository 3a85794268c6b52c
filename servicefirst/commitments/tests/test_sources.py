"""Each event source feeds commitments once: the branch floor (tickets, appointment check-ins)
and the contact centre (inbound calls, callbacks) record their events in the transaction of
their change, with the right unit, subject and value; a retry or a replay adds nothing; the
backfill records the history made before the producers did, once."""

import datetime as dt

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Unit
from servicefirst.commitments import sources
from servicefirst.commitments.models import ServiceEvent
from servicefirst.core.errors import ValidationFailed
from servicefirst.dialer import callbacks, calls
from servicefirst.dialer.models import Call, Callback
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.test_calls import ready_agent
from servicefirst.floor import appointments, issuing, serving
from servicefirst.floor.models import Ticket
from servicefirst.floor.tests.queue_factories import local, make_branch, make_counter

pytestmark = pytest.mark.django_db

NOON = f.TUESDAY_NOON


def events(subject: str) -> list[tuple[str, int | None]]:
    return list(
        ServiceEvent.objects.filter(subject=subject).order_by("id").values_list("kind", "unit_id")
    )


def kinds(subject: str) -> list[str]:
    return [k for k, _unit in events(subject)]


# --- the branch floor ------------------------------------------------------------------------


@pytest.fixture
def floor():
    branch = make_branch()
    counter = make_counter(branch, 1, ["cash", "cards"], staff=True)
    return branch, counter


def test_a_served_ticket_feeds_issued_called_and_finished_once(floor):
    branch, counter = floor
    teller = counter.staff
    ticket = issuing.ticket_issue(branch_id=branch.pk, service_code="cash", elderly=True)
    served = serving.call_next(actor=teller.user, counter_id=counter.pk)
    assert served.pk == ticket.pk
    serving.recall(actor=teller.user, ticket_id=ticket.pk)  # the display calls it again
    serving.recall(actor=teller.user, ticket_id=ticket.pk)
    serving.finish(actor=teller.user, ticket_id=ticket.pk, outcome="completed")

    subject = f"ticket:{ticket.pk}"
    assert events(subject) == [
        ("floor.ticket.issued", branch.pk),
        ("floor.ticket.called", branch.pk),  # once: a recall is not a second call
        ("floor.ticket.finished", branch.pk),
    ]
    issued = ServiceEvent.objects.get(source_key=f"{subject}:issued")
    assert issued.attrs == {
        "service": "cash",
        "priority_reason": Ticket.Reason.ELDERLY,
        "channel": "walk_in",
    }
    ticket.refresh_from_db()
    called = ServiceEvent.objects.get(source_key=f"{subject}:called")
    assert (called.occurred_at, called.staff_id) == (ticket.called_at, teller.pk)
    assert called.attrs["counter"] == 1
    finished = ServiceEvent.objects.get(source_key=f"{subject}:finished")
    assert (finished.occurred_at, finished.attrs["outcome"]) == (ticket.finished_at, "completed")

    # A replay of the producer's event (a retried request) records nothing new.
    sources.ticket_called(ticket)
    sources.ticket_finished(ticket)
    assert len(events(subject)) == 3


def test_a_failed_issue_records_no_event(floor):
    branch, _counter = floor
    with pytest.raises(ValidationFailed):
        issuing.ticket_issue(branch_id=branch.pk, service_code="no-such-service")
    assert not ServiceEvent.objects.exists()


def test_no_show_and_transfer_close_the_ticket_and_the_transfer_starts_a_new_one(floor):
    branch, counter = floor
    teller = counter.staff
    first = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    serving.call_next(actor=teller.user, counter_id=counter.pk)
    serving.no_show(actor=teller.user, ticket_id=first.pk)
    assert kinds(f"ticket:{first.pk}") == [
        "floor.ticket.issued",
        "floor.ticket.called",
        "floor.ticket.no_show",
    ]

    second = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    serving.call_next(actor=teller.user, counter_id=counter.pk)
    new = serving.transfer(actor=teller.user, ticket_id=second.pk, service_code="cards")
    finished = ServiceEvent.objects.get(source_key=f"ticket:{second.pk}:finished")
    assert finished.attrs["outcome"] == sources.TRANSFERRED
    issued = ServiceEvent.objects.get(source_key=f"ticket:{new.pk}:issued")
    assert issued.attrs == {
        "service": "cards",
        "priority_reason": "transfer",
        "channel": "transfer",
    }


def test_serving_out_of_order_is_a_call(floor):
    branch, counter = floor
    issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    later = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")
    serving.serve_specific(
        actor=counter.staff.user, counter_id=counter.pk, ticket_id=later.pk, reason="加急"
    )
    assert kinds(f"ticket:{later.pk}") == ["floor.ticket.issued", "floor.ticket.called"]


def test_an_appointment_check_in_is_recorded_on_its_ticket(floor):
    branch, _counter = floor
    monday = dt.date(2027, 3, 1)
    booked = appointments.appointment_book(
        branch_id=branch.pk,
        service_code="cash",
        slot_start=local(monday, 10, 0),
        name="张三",
        phone="139 1234 5678",
        now=local(monday, 8, 0),
    )
    ticket = appointments.appointment_check_in(
        branch_id=branch.pk, reference=booked.reference, now=local(monday, 9, 55)
    )
    subject = f"ticket:{ticket.pk}"
    assert kinds(subject) == ["floor.ticket.issued", "floor.appointment.checked_in"]
    checked_in = ServiceEvent.objects.get(source_key=f"{subject}:checked_in")
    assert checked_in.occurred_at == local(monday, 9, 55)
    assert checked_in.unit_id == branch.pk
    assert checked_in.attrs["appointment"] == booked.reference
    assert ServiceEvent.objects.get(source_key=f"{subject}:issued").attrs["channel"] == (
        "appointment"
    )


# --- the contact centre ----------------------------------------------------------------------


@pytest.fixture
def ccc():
    return f.care_center()


def test_an_answered_inbound_call_feeds_offered_answered_with_its_rings_and_ended(ccc):
    agent = ready_agent(("zh",))
    customer = f.customer(phones=["13800138008"])
    call = calls.offer_inbound(dial_key="in-1", caller="+8613800138008", queue="cards", at=NOON)
    calls.offer_inbound(dial_key="in-1", caller="+8613800138008", queue="cards", at=NOON)  # retry
    state = calls.route_inbound(call, at=NOON + dt.timedelta(seconds=11))
    calls.connect(call.pk, state.pk, at=NOON + dt.timedelta(seconds=12))
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=192))
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=200))  # a late repeated event

    subject = f"call:{call.pk}"
    assert events(subject) == [
        ("contact.call.offered", ccc.pk),
        ("contact.call.answered", ccc.pk),
        ("contact.call.ended", ccc.pk),
    ]
    answered = ServiceEvent.objects.get(source_key=f"{subject}:answered")
    assert answered.value == 3  # rings before an agent took the call
    assert (answered.customer_id, answered.staff_id) == (customer.pk, agent.pk)
    assert answered.attrs == {"queue": "cards", "language": "zh"}
    assert answered.occurred_at == NOON + dt.timedelta(seconds=12)
    ended = ServiceEvent.objects.get(source_key=f"{subject}:ended")
    assert ended.occurred_at == NOON + dt.timedelta(seconds=192)
    assert ended.attrs == {"direction": "inbound", "campaign": ""}


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned(ccc):
    call = calls.offer_inbound(dial_key="in-2", caller="+8613800138009", at=NOON)
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=40))
    assert kinds(f"call:{call.pk}") == [
        "contact.call.offered",
        "contact.call.abandoned",
        "contact.call.ended",
    ]
    abandoned = ServiceEvent.objects.get(source_key=f"call:{call.pk}:abandoned")
    assert abandoned.occurred_at == NOON + dt.timedelta(seconds=40)


def test_a_campaign_call_ends_for_the_campaigns_unit(ccc):
    boss = f.supervisor(ccc)
    camp = f.campaign(boss)
    customer = f.customer()
    call = f.call(customer, at=NOON, campaign=camp, state=Call.State.RINGING)
    calls.on_ended(call.pk, at=NOON + dt.timedelta(seconds=30), outcome="no_answer")
    ended = ServiceEvent.objects.get(subject=f"call:{call.pk}")
    assert (ended.kind, ended.unit_id) == ("contact.call.ended", camp.unit_id)
    assert ended.attrs == {"direction": "outbound", "campaign": str(camp.pk)}


def test_a_callback_is_due_at_its_time_and_made_when_dialled(ccc):
    boss = f.supervisor(ccc)
    li = f.agent(ccc)
    camp = f.campaign(boss, agents=[li])
    customer = f.customer()
    due = f.sh(2026, 12, 2, 10, 0)
    cb = callbacks.callback_schedule(
        actor=li.user, customer_id=customer.pk, campaign_id=camp.pk, due_at=due, now=NOON
    )
    assert not ServiceEvent.objects.exists()  # a promise for tomorrow: nothing due yet
    callbacks.deliver_due_callbacks(due + dt.timedelta(minutes=2))
    callbacks.deliver_due_callbacks(due + dt.timedelta(minutes=3))
    made = f.call(customer, at=due + dt.timedelta(minutes=7), campaign=camp, agent=li)
    callbacks.callback_done(Callback.objects.get(pk=cb.pk), made)
    callbacks.callback_done(Callback.objects.get(pk=cb.pk), made)  # replay

    subject = f"callback:{cb.pk}"
    rows = list(
        ServiceEvent.objects.filter(subject=subject)
        .order_by("id")
        .values_list("kind", "occurred_at", "unit_id")
    )
    assert rows == [
        ("contact.callback.due", due, camp.unit_id),
        ("contact.callback.made", due + dt.timedelta(minutes=7), camp.unit_id),
    ]


# --- backfill --------------------------------------------------------------------------------


def test_backfill_records_stored_history_once_and_skips_what_producers_recorded(floor, ccc):
    branch, counter = floor
    now = timezone.now()
    # History written straight to the tables (as the demo and an import do): no events.
    old = Ticket.objects.create(
        branch=branch,
        service=counter.services.get(code="cash"),
        day=timezone.localdate(now),
        number="A901",
        status=Ticket.Status.DONE,
        outcome="completed",
        issued_at=now - dt.timedelta(minutes=30),
        called_at=now - dt.timedelta(minutes=20),
        finished_at=now - dt.timedelta(minutes=10),
        served_by=counter.staff,
        counter=counter,
    )
    gone = Ticket.objects.create(
        branch=branch,
        service=counter.services.get(code="cash"),
        day=timezone.localdate(now),
        number="A902",
        status=Ticket.Status.CANCELLED,
        issued_at=now - dt.timedelta(minutes=30),
        finished_at=now - dt.timedelta(minutes=25),
    )
    inbound = Call.objects.create(
        direction=Call.Direction.INBOUND,
        mode=Call.Mode.INBOUND,
        phone="+8613800138001",
        state=Call.State.ENDED,
        outcome=Call.Outcome.ANSWERED,
        dial_key="imported-1",
        created_at=now - dt.timedelta(hours=1),
        dialed_at=now - dt.timedelta(hours=1),
        connected_at=now - dt.timedelta(hours=1) + dt.timedelta(seconds=7),
        ended_at=now - dt.timedelta(minutes=55),
        rings_before_answer=2,
        queue="general",
    )
    hung_up = Call.objects.create(
        direction=Call.Direction.INBOUND,
        mode=Call.Mode.INBOUND,
        phone="+8613800138002",
        state=Call.State.ENDED,
        outcome=Call.Outcome.ABANDONED,
        dial_key="imported-2",
        created_at=now - dt.timedelta(hours=1),
        dialed_at=now - dt.timedelta(hours=1),
        ended_at=now - dt.timedelta(minutes=59),
    )
    # And one ticket made through the floor's services (its events are already there).
    live = issuing.ticket_issue(branch_id=branch.pk, service_code="cash")

    counts = sources.backfill()
    assert counts == {"tickets": 5, "calls": 6, "callbacks": 0}
    assert kinds(f"ticket:{old.pk}") == [
        "floor.ticket.issued",
        "floor.ticket.called",
        "floor.ticket.finished",
    ]
    assert kinds(f"ticket:{gone.pk}") == ["floor.ticket.issued", "floor.ticket.cancelled"]
    assert kinds(f"ticket:{live.pk}") == ["floor.ticket.issued"]
    assert kinds(f"call:{inbound.pk}") == [
        "contact.call.offered",
        "contact.call.answered",
        "contact.call.ended",
    ]
    answered = ServiceEvent.objects.get(source_key=f"call:{inbound.pk}:answered")
    assert (answered.value, answered.unit_id, answered.occurred_at) == (
        2,
        Unit.objects.get(kind=Unit.Kind.CARE_CENTER).pk,
        inbound.connected_at,
    )
    assert kinds(f"call:{hung_up.pk}") == [
        "contact.call.offered",
        "contact.call.abandoned",
        "contact.call.ended",
    ]
    called = ServiceEvent.objects.get(source_key=f"ticket:{old.pk}:called")
    # The backfill writes what the producer would have written.
    assert (called.staff_id, called.attrs) == (counter.staff_id, {"service": "cash", "counter": 1})

    total = ServiceEvent.objects.count()
    assert sources.backfill() == {"tickets": 0, "calls": 0, "callbacks": 0}
    assert ServiceEvent.objects.count() == total


def test_backfill_since_takes_only_the_recent_history(floor):
    branch, counter = floor
    now = timezone.now()
    for number, age in (("A801", dt.timedelta(days=40)), ("A802", dt.timedelta(days=2))):
        Ticket.objects.create(
            branch=branch,
            service=counter.services.get(code="cash"),
            day=timezone.localdate(now - age),
            number=number,
            issued_at=now - age,
        )
    assert sources.backfill(since=now - dt.timedelta(days=7))["tickets"] == 1
    assert sources.backfill()["tickets"] == 1
