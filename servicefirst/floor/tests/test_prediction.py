"""Wait prediction: service times learned per branch, service and hour; the estimate from the
people ahead and the counters serving; the error report."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.floor import prediction, selectors
from servicefirst.floor.models import ServiceTimeStat, Ticket
from servicefirst.floor.tests.queue_factories import (
    local,
    make_branch,
    make_counter,
    make_ticket,
    service,
)

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - datetime.timedelta(days=3)


@pytest.fixture
def branch():
    return make_branch()


def served(branch, code, hour, minutes_at_counter, *, minute=0, day=DAY, wait_min=5, **kw):
    called = local(day, hour, minute)
    return make_ticket(
        branch,
        code,
        status=Ticket.Status.DONE,
        issued_at=called - datetime.timedelta(minutes=wait_min),
        called_at=called,
        finished_at=called + datetime.timedelta(minutes=minutes_at_counter),
        **kw,
    )


def test_service_times_are_learned_per_service_and_hour(branch):
    # given cash tickets served in 2–4 minutes at 10h and in 6 minutes at 12h, over 5 days
    for d in range(5):
        day = DAY - datetime.timedelta(days=d)
        served(branch, "cash", 10, 2, day=day)
        served(branch, "cash", 10, 4, minute=20, day=day)
        served(branch, "cash", 12, 6, day=day)
    # and tickets that teach nothing: another branch, not finished, a counter left open
    served(make_branch(), "cash", 10, 30)
    make_ticket(branch, "cash", status=Ticket.Status.CALLED, called_at=local(DAY, 10, 0))
    served(branch, "cash", 11, 60 * 5)
    # when the branch's history is learned
    stored = prediction.learn_service_times(branch.pk)
    # then
    assert stored == 2
    ten = ServiceTimeStat.objects.get(branch=branch, service=service("cash"), hour=10)
    assert (ten.samples, ten.mean_s, ten.p50_s) == (10, 180.0, 180.0)
    assert ten.p90_s == 240.0
    assert prediction.usual_service_s(branch.pk, service("cash").pk, 10) == 180.0
    assert prediction.usual_service_s(branch.pk, service("cash").pk, 12) == 360.0


def test_an_hour_without_enough_history_uses_the_services_other_hours(branch):
    for _i in range(6):
        served(branch, "cards", 10, 5)
    served(branch, "cards", 15, 20)
    prediction.learn_service_times(branch.pk)
    # 15h has one sample: the service's mean over all hours is used
    assert prediction.usual_service_s(branch.pk, service("cards").pk, 15) == pytest.approx(
        (6 * 300 + 1200) / 7
    )
    assert prediction.usual_service_s(branch.pk, service("cards").pk, 9) == pytest.approx(
        (6 * 300 + 1200) / 7
    )


def test_without_history_the_typical_time_is_used(branch):
    loans = service("loans")
    assert prediction.usual_service_s(branch.pk, loans.pk, 10) == loans.typical_minutes * 60


def test_relearning_replaces_the_old_figures(branch):
    for _i in range(5):
        served(branch, "cash", 10, 2)
    prediction.learn_service_times(branch.pk)
    Ticket.objects.all().delete()
    for _i in range(5):
        served(branch, "cash", 10, 8)
    prediction.learn_service_times()
    assert prediction.usual_service_s(branch.pk, service("cash").pk, 10) == 480.0


def test_wait_is_the_work_ahead_shared_by_the_accepting_counters(branch):
    now = timezone.now()
    mean = service("cash").typical_minutes * 60
    make_counter(branch, 1, ["cash"], staff=True)
    make_counter(branch, 2, ["cash", "cards"], staff=True)
    make_counter(branch, 3, ["cash"], staff=None, is_open=True)  # nobody at it: not serving
    make_counter(branch, 4, ["loans"], staff=True)
    for minutes in (9, 8, 7, 6):
        make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=minutes))
    # four people ahead, two counters free now: 2 rounds of the mean service time
    assert prediction.predict_wait_s(branch.pk, service("cash").pk, now=now) == 2 * mean
    # nobody waiting for loans and its counter free
    assert prediction.predict_wait_s(branch.pk, service("loans").pk, now=now) == 0


def test_a_customer_at_the_counter_delays_the_next_one_by_their_remaining_time(branch):
    now = timezone.now()
    mean = service("cash").typical_minutes * 60
    counter = make_counter(branch, 1, ["cash"], staff=True)
    make_ticket(
        branch,
        "cash",
        status=Ticket.Status.CALLED,
        counter=counter,
        called_at=now - datetime.timedelta(seconds=60),
    )
    assert prediction.predict_wait_s(branch.pk, service("cash").pk, now=now) == mean - 60


def test_a_waiting_tickets_wait_counts_only_those_called_before_it(branch):
    now = timezone.now()
    mean = service("cash").typical_minutes * 60
    make_counter(branch, 1, ["cash"], staff=True)
    early = make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=5))
    vip = make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=1), priority=20)
    late = make_ticket(branch, "cash", issued_at=now - datetime.timedelta(seconds=30))
    assert [selectors.people_ahead(t, now=now) for t in (vip, early, late)] == [0, 1, 2]
    assert prediction.predict_wait_s(branch.pk, service("cash").pk, ticket=early, now=now) == mean
    assert (
        prediction.predict_wait_s(branch.pk, service("cash").pk, ticket=late, now=now) == 2 * mean
    )


def test_the_fairness_guard_puts_long_waiters_first_in_the_estimate(branch):
    now = timezone.now()
    settings = selectors.floor_settings(branch.pk)
    settings.max_wait_minutes = 20
    settings.save()
    old = make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=25))
    vip = make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=2), priority=30)
    assert selectors.people_ahead(old, now=now) == 0
    assert selectors.people_ahead(vip, now=now) == 1


def test_learned_times_feed_the_prediction(branch):
    now = local(timezone.localdate(), 10, 30)
    for _i in range(5):
        served(branch, "cash", 10, 10)
    prediction.learn_service_times(branch.pk, now=now)
    make_counter(branch, 1, ["cash"], staff=True)
    make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=1))
    assert prediction.predict_wait_s(branch.pk, service("cash").pk, now=now) == 600


def test_error_report_compares_estimates_with_actual_waits(branch):
    today = timezone.localdate()
    # predicted 5 min, waited 6 → −60 s; predicted 10, waited 5 → +300 s; predicted 3, waited 3 → 0
    served(
        branch,
        "cash",
        10,
        3,
        day=today - datetime.timedelta(days=1),
        wait_min=6,
        predicted_wait_s=300,
    )
    served(
        branch,
        "cards",
        10,
        3,
        day=today - datetime.timedelta(days=1),
        wait_min=5,
        predicted_wait_s=600,
    )
    served(
        branch,
        "cash",
        11,
        3,
        day=today - datetime.timedelta(days=2),
        wait_min=3,
        predicted_wait_s=180,
    )
    # not counted: no estimate, still waiting, too old, another branch
    served(branch, "cash", 10, 3, day=today - datetime.timedelta(days=1))
    make_ticket(branch, "cash", predicted_wait_s=100)
    served(branch, "cash", 10, 3, day=today - datetime.timedelta(days=20), predicted_wait_s=1)
    served(make_branch(), "cash", 10, 3, day=today - datetime.timedelta(days=1), predicted_wait_s=1)
    report = prediction.error_report(branch.pk, days=7)
    assert report["tickets"] == 3
    assert report["mae_s"] == pytest.approx(120)
    assert report["mean_error_s"] == pytest.approx(80)
    assert report["within_2min"] == pytest.approx(2 / 3)
    assert report["by_service"]["cards"]["mean_error_s"] == pytest.approx(300)


def test_error_report_without_data_says_so(branch):
    report = prediction.error_report(branch.pk)
    assert report["tickets"] == 0
    assert report["mae_s"] is None


def test_relearn_task_runs_the_learning(branch):
    from servicefirst.floor.tasks import relearn_service_times

    for _i in range(5):
        served(branch, "cash", 10, 2)
    result = relearn_service_times.call(branch.pk)
    assert result == {"stats": 1}


def test_a_flexible_counters_time_is_shared_by_all_its_queues(branch):
    # given counter 1 for cash only and counter 2 for cash and foreign exchange, 3 cash waiting
    now = timezone.now()
    mean = service("cash").typical_minutes * 60
    make_counter(branch, 1, ["cash"], staff=True)
    make_counter(branch, 2, ["cash", "fx"], staff=True)
    for minutes in (3, 2, 1):
        make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=minutes))
    # then a foreign-exchange ticket taken now waits while counter 2 serves a cash customer
    assert prediction.predict_wait_s(branch.pk, service("fx").pk, now=now) == mean


def test_without_an_accepting_counter_the_people_ahead_are_served_one_by_one(branch):
    now = timezone.now()
    mean = service("cash").typical_minutes * 60
    make_counter(branch, 1, ["cash"], staff=None, is_open=False)
    for minutes in (3, 2):
        make_ticket(branch, "cash", issued_at=now - datetime.timedelta(minutes=minutes))
    assert prediction.predict_wait_s(branch.pk, service("cash").pk, now=now) == 2 * mean
