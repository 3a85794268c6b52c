"""The public display's list of called numbers (floor/selectors.py display_state): numbers are
listed by their latest announcement, so a recall brings a number back to the top."""

import datetime

from django.utils import timezone

from servicefirst.floor import serving
from servicefirst.floor.models import FloorEvent, Ticket
from servicefirst.floor.selectors import display_state
from servicefirst.floor.tests.test_serving import floor, make_teller, make_ticket  # noqa: F401


def _called_minutes_ago(ticket, minutes):
    """Move a call back in time (the ticket's called_at and its call event)."""
    at = timezone.now() - datetime.timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(called_at=at)
    FloorEvent.objects.filter(ticket=ticket, kind=FloorEvent.Kind.CALL).update(at=at)


def _numbers(branch_id):
    return [row["number"] for row in display_state(branch_id)["called"]]


def test_a_recall_brings_the_number_back_to_the_top_of_the_display(floor):  # noqa: F811
    # given: A's ticket called at counter 1, then B's at counter 2
    li = make_teller(floor.branch, name="李四")
    serving.counter_sign_in(actor=li.user, counter_id=floor.c2.pk)
    first = make_ticket(floor.branch, floor.s["cash"], minutes_ago=10, number="A001")
    second = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5, number="A002")
    assert serving.call_next(actor=floor.wang.user, counter_id=floor.c1.pk) == first
    _called_minutes_ago(first, 4)
    assert serving.call_next(actor=li.user, counter_id=floor.c2.pk) == second
    _called_minutes_ago(second, 2)
    assert _numbers(floor.branch.pk) == ["A002", "A001"]

    # when: counter 1 calls its customer again
    serving.recall(actor=floor.wang.user, ticket_id=first.pk)

    # then: A001 is on top again, still at counter 1
    called = display_state(floor.branch.pk)["called"]
    assert [(row["number"], row["counter"]) for row in called] == [("A001", 1), ("A002", 2)]


def test_numbers_without_a_logged_call_are_placed_by_their_call_time(floor):  # noqa: F811
    now = timezone.now()
    for number, minutes in (("A010", 9), ("A011", 3), ("A012", 6)):
        Ticket.objects.create(
            branch=floor.branch,
            service=floor.s["cash"],
            day=timezone.localdate(),
            number=number,
            status=Ticket.Status.DONE,
            issued_at=now - datetime.timedelta(minutes=20),
            called_at=now - datetime.timedelta(minutes=minutes),
            counter=floor.c1,
        )
    assert _numbers(floor.branch.pk) == ["A011", "A012", "A010"]
