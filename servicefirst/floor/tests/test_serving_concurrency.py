"""Calling the next ticket under concurrency: tellers pressing "call next" at the same moment
(threads released together by a barrier, each with its own database connection) never get
the same ticket, and every call that finds someone waiting gets a ticket of its own.

On PostgreSQL this exercises the row locks (SELECT ... FOR UPDATE SKIP LOCKED and the
conditional WAITING → CALLED update). SQLite has no row locks: its IMMEDIATE transactions
serialise the writers instead, which the SQLite variant checks with fewer threads."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from servicefirst.accounts.tests.factories import UnitFactory
from servicefirst.floor import serving
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import FloorEvent, FloorSettings, Service, Ticket
from servicefirst.floor.tests.test_serving import make_counter, make_teller, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)

ENGINE = settings.DATABASES["default"]["ENGINE"]
on_postgresql = pytest.mark.skipif(
    "postgresql" not in ENGINE,
    reason="row locks (FOR UPDATE SKIP LOCKED) exist only on PostgreSQL; SQLite serialises "
    "writers and is covered by the *_on_sqlite tests",
)
on_sqlite = pytest.mark.skipif(
    "sqlite" not in ENGINE, reason="the SQLite variant (serialised writers) of the test above"
)


def branch_with_counters(n_counters: int, n_tickets: int):
    ensure_services()
    cash = Service.objects.get(code="cash")
    branch = UnitFactory()
    FloorSettings.objects.create(branch=branch)
    tellers = []
    for number in range(1, n_counters + 1):
        staff = make_teller(branch)
        tellers.append((staff, make_counter(branch, number, cash, staff=staff)))
    for i in range(n_tickets):
        # Every counter sees the same order, so they all reach for the same ticket first.
        make_ticket(branch, cash, minutes_ago=n_tickets - i, priority=20 if i % 7 == 0 else 0)
    return branch, tellers


def press_together(tellers, rounds: int, *, finish: bool = True):
    """Each teller presses "call next" `rounds` times, all at the same moment each round
    (and finishes the ticket so that the counter may call again). Returns the ticket ids each
    counter got (None for a call that found nobody) and any error raised."""
    barrier = threading.Barrier(len(tellers))
    got: dict[int, list[int | None]] = {counter.pk: [] for _staff, counter in tellers}
    errors: list[BaseException] = []

    def work(staff, counter):
        try:
            for _ in range(rounds):
                barrier.wait(timeout=60)
                ticket = serving.call_next(actor=staff.user, counter_id=counter.pk)
                got[counter.pk].append(ticket.pk if ticket else None)
                if ticket is not None and finish:
                    serving.finish(actor=staff.user, ticket_id=ticket.pk, outcome="completed")
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=pair) for pair in tellers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    return got, errors


def assert_each_ticket_called_once(branch, got, n_tickets: int):
    called = [pk for picks in got.values() for pk in picks if pk is not None]
    assert len(called) == len(set(called)), "a ticket was handed to two counters"
    assert len(called) == n_tickets, "a call found nobody although tickets were waiting"
    assert Ticket.objects.filter(branch=branch, status=Ticket.Status.DONE).count() == n_tickets
    calls = FloorEvent.objects.filter(branch=branch, kind=FloorEvent.Kind.CALL)
    assert calls.count() == n_tickets
    assert len(set(calls.values_list("ticket_id", flat=True))) == n_tickets
    for counter_id, picks in got.items():  # each ticket was served where it was called
        served_at = set(
            Ticket.objects.filter(pk__in=[p for p in picks if p]).values_list(
                "counter_id", flat=True
            )
        )
        assert served_at <= {counter_id}


@on_postgresql
def test_parallel_callers_never_get_the_same_ticket():
    counters, rounds = 8, 10
    branch, tellers = branch_with_counters(counters, counters * rounds)
    got, errors = press_together(tellers, rounds)
    assert not errors, errors
    assert all(None not in picks for picks in got.values())
    assert_each_ticket_called_once(branch, got, counters * rounds)


@on_postgresql
def test_many_callers_one_ticket_only_one_gets_it():
    branch, tellers = branch_with_counters(8, 1)
    got, errors = press_together(tellers, 1, finish=False)
    assert not errors, errors
    winners = [picks[0] for picks in got.values() if picks[0] is not None]
    assert len(winners) == 1
    assert Ticket.objects.get(pk=winners[0]).status == Ticket.Status.CALLED
    assert FloorEvent.objects.filter(kind=FloorEvent.Kind.CALL).count() == 1


@on_sqlite
def test_parallel_callers_never_get_the_same_ticket_on_sqlite():
    counters, rounds = 3, 4
    branch, tellers = branch_with_counters(counters, counters * rounds)
    got, errors = press_together(tellers, rounds)
    assert not errors, errors
    assert_each_ticket_called_once(branch, got, counters * rounds)


@on_sqlite
def test_many_callers_one_ticket_only_one_gets_it_on_sqlite():
    branch, tellers = branch_with_counters(3, 1)
    got, errors = press_together(tellers, 1, finish=False)
    assert not errors, errors
    assert len([picks[0] for picks in got.values() if picks[0] is not None]) == 1
