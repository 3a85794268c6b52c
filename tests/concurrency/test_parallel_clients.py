"""Parallel clients through the whole request stack (URL, view, service, database): real
threads released together by a barrier, each with its own test client (session) and its own
database connection. On PostgreSQL this exercises the row locks; SQLite serialises writers
(IMMEDIATE transactions), which the same tests check with fewer clients.

Already covered at the service level, not repeated here:
- tickets: servicefirst/floor/tests/test_serving_concurrency.py (call_next, 8 counters × 10);
- gifts: servicefirst/remedies/tests/test_concurrency.py (last items of a stock; one breach);
- numbers: servicefirst/dialer/tests/test_lists.py (claim_entries from 8 dialers at once) and
  servicefirst/dialer/tests/test_dialer_process.py (the dialer process killed and restarted:
  no number placed twice, the DialerProcess lease keeps a second dialer from dialing)."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Customer
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer.models import CallListEntry
from servicefirst.floor.models import FloorEvent, Ticket
from servicefirst.floor.tests.test_serving_concurrency import branch_with_counters
from servicefirst.remedies import services as remedies
from servicefirst.remedies.models import GiftGrant, GiftStock
from servicefirst.remedies.tests import factories as rf

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
CLIENTS = 8 if POSTGRES else 3


def together(jobs) -> tuple[list, list[BaseException]]:
    """Run the callables at the same moment, one thread (and connection) each."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def work(i, job):
        try:
            barrier.wait(timeout=60)
            results[i] = job()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client never returned"
    return results, errors


def logged_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


# --- no ticket served twice ---------------------------------------------------------------------


def test_tellers_pressing_call_on_their_pages_at_once_each_get_their_own_ticket():
    branch, tellers = branch_with_counters(CLIENTS, CLIENTS + 2)
    url = reverse("floor:teller_call")
    clients = [logged_in(staff) for staff, _counter in tellers]
    results, errors = together([lambda c=c: c.post(url).status_code for c in clients])
    assert not errors, errors
    assert set(results) == {302}
    called = Ticket.objects.filter(branch=branch, status=Ticket.Status.CALLED)
    assert called.count() == CLIENTS  # one each, none left idle while tickets waited
    assert len(set(called.values_list("counter_id", flat=True))) == CLIENTS
    calls = FloorEvent.objects.filter(branch=branch, kind=FloorEvent.Kind.CALL)
    assert sorted(calls.values_list("ticket_id", flat=True)) == sorted(
        called.values_list("pk", flat=True)
    )


def test_one_ticket_and_every_teller_pressing_call_only_one_gets_it():
    branch, tellers = branch_with_counters(CLIENTS, 1)
    url = reverse("floor:teller_call")
    clients = [logged_in(staff) for staff, _counter in tellers]
    _results, errors = together([lambda c=c: c.post(url).status_code for c in clients])
    assert not errors, errors
    assert Ticket.objects.filter(branch=branch, status=Ticket.Status.CALLED).count() == 1
    assert FloorEvent.objects.filter(branch=branch, kind=FloorEvent.Kind.CALL).count() == 1


# --- no gift given twice ------------------------------------------------------------------------


def test_one_breach_given_a_gift_from_many_pages_at_once_gets_one():
    rf.setup_catalogue()
    branch = UnitFactory()
    staff = [make_staff(Role.LOBBY_MANAGER, unit=branch) for _i in range(CLIENTS)]
    version = rf.version(branch)
    remedy = remedies.open_for_breach(
        [rf.breach(version, unit=branch, customer=make_customer()).pk]
    )[0]
    stock = rf.stock(branch, "umbrella", 5)
    rf.budget(branch, 10_000)
    url = reverse("remedies:gift", args=[remedy.pk])
    clients = [logged_in(s) for s in staff]
    _results, errors = together(
        [lambda c=c: c.post(url, {"gift": stock.gift_id}).status_code for c in clients]
    )
    assert not errors, errors
    assert GiftGrant.objects.filter(remedy=remedy).count() == 1
    assert GiftStock.objects.get(pk=stock.pk).quantity == 4


def test_the_last_umbrellas_from_many_pages_at_once_never_go_below_zero():
    rf.setup_catalogue()
    branch = UnitFactory()
    version = rf.version(branch)
    givers = [
        (
            make_staff(Role.LOBBY_MANAGER, unit=branch),
            remedies.open_for_breach(
                [rf.breach(version, unit=branch, customer=make_customer()).pk]
            )[0],
        )
        for _i in range(CLIENTS)
    ]
    stock = rf.stock(branch, "umbrella", CLIENTS // 2)
    rf.budget(branch, 10_000)
    jobs = [
        lambda s=s, r=r: (
            logged_in(s)
            .post(reverse("remedies:gift", args=[r.pk]), {"gift": stock.gift_id})
            .status_code
        )
        for s, r in givers
    ]
    _results, errors = together(jobs)
    assert not errors, errors
    assert GiftStock.objects.get(pk=stock.pk).quantity == 0
    assert GiftGrant.objects.count() == CLIENTS // 2


# --- no number dialled twice --------------------------------------------------------------------


def test_parallel_dialers_claiming_one_campaigns_list_call_each_number_once():
    """Dialer threads pulling from one campaign's list as the engine does (claim, then write
    the calls DIALING in the same transaction): every entry is claimed by exactly one of them
    and has exactly one call."""
    from servicefirst.dialer import engine
    from servicefirst.dialer.models import Call
    from servicefirst.dialer.tests.test_engine import fill_list, make_campaign

    campaign = make_campaign()
    fill_list(campaign, 12 * CLIENTS)

    def dialer():
        placed = []
        while True:
            rows = engine._claim_and_queue(campaign.pk, 3, "simulator")
            if not rows:
                return placed
            placed.extend(row["phone"] for row in rows)

    results, errors = together([dialer for _i in range(CLIENTS)])
    assert not errors, errors
    numbers = [n for placed in results for n in placed]
    assert len(numbers) == len(set(numbers)) == 12 * CLIENTS
    calls = Call.objects.filter(campaign=campaign)
    assert calls.count() == 12 * CLIENTS
    assert len(set(calls.values_list("entry_id", flat=True))) == 12 * CLIENTS
    assert set(CallListEntry.objects.values_list("attempts", flat=True)) == {1}


# --- no lost update on a customer -----------------------------------------------------------------


def test_many_editors_saving_one_customer_from_the_same_version_one_wins():
    branch = UnitFactory()
    customer = make_customer(name_zh="张三丰", home_branch=branch)
    editors = [make_staff(Role.BRANCH_MANAGER, unit=branch) for _i in range(CLIENTS)]
    headers = [{"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=s, name='t')}"} for s in editors]
    url = f"/api/customers/{customer.pk}"
    jobs = [
        lambda i=i, h=h: (
            Client()
            .patch(
                url, {"occupation": f"职业{i}", "version": 1}, content_type="application/json", **h
            )
            .status_code
        )
        for i, h in enumerate(headers)
    ]
    results, errors = together(jobs)
    assert not errors, errors
    assert sorted(results) == [200] + [409] * (CLIENTS - 1)
    winner = results.index(200)
    saved = Customer.objects.get(pk=customer.pk)
    assert (saved.occupation, saved.version) == (f"职业{winner}", 2)
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CUSTOMER_UPDATE, customer_id=customer.pk
        ).count()
        == 1
    )
