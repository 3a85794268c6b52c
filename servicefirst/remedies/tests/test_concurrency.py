"""Gift stock under concurrency: staff giving the last items of a stock at the same moment
(threads released together by a barrier, each with its own database connection) never take it
below zero, and exactly as many succeed as there were items; two gifts for one breach at the
same moment give one. On PostgreSQL this exercises the row locks; SQLite serialises writers
(IMMEDIATE transactions), which the smaller SQLite variant checks."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import ValidationFailed
from servicefirst.customers.tests.factories import make_customer
from servicefirst.remedies import services
from servicefirst.remedies.models import GiftGrant, GiftStock
from servicefirst.remedies.tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def together(jobs):
    """Run the callables at the same moment; returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def work(job):
        try:
            barrier.wait(timeout=60)
            results.append(job())
        except ValidationFailed as exc:
            errors.append(exc)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a giver never returned"
    return results, errors


def setup(n_remedies: int, stock: int):
    f.setup_catalogue()
    branch = UnitFactory()
    staff = [make_staff(Role.LOBBY_MANAGER, unit=branch) for _i in range(n_remedies)]
    version = f.version(branch)
    remedies = [
        services.open_for_breach([f.breach(version, unit=branch, customer=make_customer()).pk])[0]
        for _i in range(n_remedies)
    ]
    f.stock(branch, "umbrella", stock)
    f.budget(branch, 10_000)
    return branch, staff, remedies


def test_the_last_items_of_a_stock_go_to_exactly_as_many_givers():
    givers, items = (8, 3) if POSTGRES else (4, 2)
    branch, staff, remedies = setup(givers, items)
    umbrella = GiftStock.objects.get(unit=branch).gift
    jobs = [
        (lambda s=s, r=r: services.give_gift(actor=s.user, remedy_id=r.pk, gift_id=umbrella.pk))
        for s, r in zip(staff, remedies, strict=True)
    ]
    results, errors = together(jobs)
    assert len(results) == items
    assert len(errors) == givers - items
    assert all(isinstance(e, ValidationFailed) for e in errors), errors
    assert all("out of stock" in e.errors["gift"][0] for e in errors)
    assert GiftStock.objects.get(unit=branch).quantity == 0
    assert GiftGrant.objects.count() == items


def test_two_gifts_for_one_breach_at_the_same_moment_give_one():
    branch, staff, remedies = setup(2, 5)
    umbrella = GiftStock.objects.get(unit=branch).gift
    remedy = remedies[0]
    jobs = [
        (lambda s=s: services.give_gift(actor=s.user, remedy_id=remedy.pk, gift_id=umbrella.pk))
        for s in staff
    ]
    results, errors = together(jobs)
    assert len(results) == 1
    assert len(errors) == 1, errors
    assert isinstance(errors[0], ValidationFailed), errors
    assert GiftStock.objects.get(unit=branch).quantity == 4
    assert GiftGrant.objects.filter(remedy=remedy).count() == 1
