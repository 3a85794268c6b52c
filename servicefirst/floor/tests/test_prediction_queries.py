"""The wait prediction reads the floor once: a fixed handful of queries however many tickets
wait and however many services they are for (the kiosk, the display and the manager's board
ask for it on every refresh)."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.floor import prediction
from servicefirst.floor.models import Service, ServiceTimeStat, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter, make_ticket

pytestmark = pytest.mark.django_db

PREDICTION_QUERIES = 7  # settings, counters, their services, who is at them, waiting, times ×2


@pytest.fixture
def busy_floor():
    """Six services with tickets waiting in each, five counters (two serving a customer), and
    learned service times for half the services (the others fall back to their typical
    time)."""
    branch = make_branch()
    codes = list(Service.objects.filter(is_active=True).values_list("code", flat=True)[:6])
    now = timezone.now()
    hour = timezone.localtime(now).hour
    counters = [
        make_counter(
            branch,
            i + 1,
            (codes[i], codes[(i + 1) % 6]),
            staff=make_staff(Role.TELLER, unit=branch),
        )
        for i in range(5)
    ]
    for j, code in enumerate(codes):
        for k in range(4):
            make_ticket(branch, code, issued_at=now - datetime.timedelta(minutes=3 + k + j))
        if j % 2 == 0:
            ServiceTimeStat.objects.create(
                branch=branch,
                service=Service.objects.get(code=code),
                hour=hour,
                samples=8,
                mean_s=240 + 60 * j,
                p50_s=200,
                p90_s=400,
            )
    for counter, code in zip(counters[:2], codes, strict=False):
        make_ticket(
            branch,
            code,
            status=Ticket.Status.CALLED,
            counter=counter,
            issued_at=now - datetime.timedelta(minutes=12),
            called_at=now - datetime.timedelta(minutes=2),
        )
    services = list(Service.objects.filter(code__in=codes))
    return branch, services, now


def test_a_prediction_costs_a_fixed_number_of_queries(busy_floor, django_assert_max_num_queries):
    branch, services, now = busy_floor
    waiting = Ticket.objects.filter(branch=branch, status=Ticket.Status.WAITING).last()
    with django_assert_max_num_queries(PREDICTION_QUERIES):
        new_ticket = prediction.predict_wait_s(branch.pk, services[0].pk, now=now)
    with django_assert_max_num_queries(PREDICTION_QUERIES):
        waiting_ticket = prediction.predict_wait_s(
            branch.pk, waiting.service_id, ticket=waiting, now=now
        )
    assert new_ticket > 0
    assert waiting_ticket > 0


def test_more_tickets_waiting_do_not_cost_more_queries(busy_floor, django_assert_max_num_queries):
    branch, services, now = busy_floor
    for service in services:
        for _ in range(10):
            make_ticket(branch, service.code, issued_at=now - datetime.timedelta(minutes=1))
    with django_assert_max_num_queries(PREDICTION_QUERIES):
        prediction.predict_wait_s(branch.pk, services[-1].pk, now=now)


def test_all_services_at_once_read_the_floor_once_and_agree_with_one_by_one(
    busy_floor, django_assert_max_num_queries
):
    branch, services, now = busy_floor
    with django_assert_max_num_queries(PREDICTION_QUERIES):
        together = prediction.predict_waits_s(branch.pk, [s.pk for s in services], now=now)
    assert together == {s.pk: prediction.predict_wait_s(branch.pk, s.pk, now=now) for s in services}


def test_service_times_read_once_answer_as_the_single_question(busy_floor):
    branch, services, now = busy_floor
    times = prediction.ServiceTimes(branch.pk)
    for service in services:
        for hour in (9, timezone.localtime(now).hour):
            assert times.usual_s(service.pk, hour) == prediction.usual_service_s(
                branch.pk, service.pk, hour
            )
