"""Callbacks: scheduled for oneself, for another agent of the campaign or for anyone;
validated (in the future, one of the customer's numbers, not do-not-call; a time outside the
calling window is a warning); offered on time to the right agents; missed after the grace;
and the scheduler job that drives them."""

import datetime as dt

import pytest
from django.utils import timezone

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.scheduler import Job, validate
from servicefirst.dialer import callbacks, lists, selectors
from servicefirst.dialer.models import Callback, CallListEntry
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.campaign_factories import ADDED, TUESDAY_NOON, sh

pytestmark = pytest.mark.django_db
NOW = TUESDAY_NOON
TOMORROW_10 = sh(2026, 12, 2, 10, 0)


@pytest.fixture
def team(db):
    boss = f.supervisor()
    li, wang, zhao = f.agent(name="小李"), f.agent(name="小王"), f.agent(name="小赵")
    camp = f.campaign(boss, agents=[li, wang])
    return boss, camp, li, wang, zhao


@pytest.fixture
def customer(db):
    return f.customer("王五", phones=["13800138001", "13900139001"])


def schedule(agent, camp, customer, **kwargs):
    kwargs.setdefault("due_at", TOMORROW_10)
    return callbacks.callback_schedule(
        actor=agent.user, customer_id=customer.pk, campaign_id=camp.pk, now=NOW, **kwargs
    )


def test_an_agent_schedules_a_callback_for_themselves_on_the_customers_primary_phone(
    team, customer
):
    _boss, camp, li, _wang, _zhao = team
    cb = schedule(li, camp, customer, assigned_to_id=li.pk, note="客户开会，明早再打")
    assert (cb.status, cb.assigned_to, cb.created_by, cb.phone) == (
        Callback.Status.PENDING,
        li,
        li,
        "+8613800138001",
    )
    assert cb.warnings == []


def test_for_another_agent_of_the_campaign_or_for_anyone(team, customer):
    _boss, camp, li, wang, zhao = team
    assert schedule(li, camp, customer, assigned_to_id=wang.pk).assigned_to == wang
    assert schedule(li, camp, customer, assigned_to_id=None).assigned_to is None
    with pytest.raises(ValidationFailed) as exc:
        schedule(li, camp, customer, assigned_to_id=zhao.pk)
    assert "小赵" in exc.value.errors["assigned_to"][0]


def test_a_callback_must_be_in_the_future_on_the_customers_number(team, customer):
    _boss, camp, li, _wang, _zhao = team
    with pytest.raises(ValidationFailed) as exc:
        schedule(li, camp, customer, due_at=NOW - dt.timedelta(minutes=1), phone="13700137000")
    assert set(exc.value.errors) == {"due_at", "phone"}
    assert schedule(li, camp, customer, phone="139 0013 9001").phone == "+8613900139001"
    assert Callback.objects.count() == 1


def test_outside_the_calling_window_is_a_warning_not_an_error(team, customer):
    _boss, camp, li, _wang, _zhao = team
    cb = schedule(li, camp, customer, due_at=sh(2026, 12, 1, 21, 30))
    assert cb.pk
    assert any("calling hours" in w for w in cb.warnings)


def test_no_callback_for_a_customer_who_may_not_be_called(team):
    _boss, camp, li, _wang, _zhao = team
    flagged = f.customer("赵旗", do_not_call=True)
    with pytest.raises(ValidationFailed) as exc:
        schedule(li, camp, flagged)
    assert "do-not-call" in exc.value.errors["customer"][0]


def test_only_the_campaigns_agents_and_supervisors_schedule(team, customer):
    boss, camp, _li, _wang, zhao = team
    with pytest.raises(PermissionDenied):
        schedule(zhao, camp, customer)
    cb = callbacks.callback_schedule(
        actor=boss, customer_id=customer.pk, campaign_id=camp.pk, due_at=TOMORROW_10, now=NOW
    )
    assert cb.created_by == boss.staff


def test_a_callback_holds_its_entry_until_it_is_missed(team, customer):
    boss, camp, li, _wang, _zhao = team
    lists.entries_add_customers(
        actor=boss, campaign_id=camp.pk, customer_ids=[customer.pk], now=ADDED
    )
    entry = CallListEntry.objects.get()
    schedule(li, camp, customer, entry_id=entry.pk)
    entry.refresh_from_db()
    assert (entry.status, entry.next_attempt_at) == (CallListEntry.Status.SCHEDULED, TOMORROW_10)
    # The dialer leaves it to the callback, even once it is due.
    assert lists.claim_entries(camp, 5, now=TOMORROW_10 + dt.timedelta(minutes=30)) == []
    assert callbacks.callbacks_mark_missed(TOMORROW_10 + dt.timedelta(hours=1)) == 0
    late = TOMORROW_10 + callbacks.GRACE
    assert callbacks.callbacks_mark_missed(late) == 1
    assert Callback.objects.get().status == Callback.Status.MISSED
    assert [e.pk for e in lists.claim_entries(camp, 5, now=late)] == [entry.pk]


def test_callbacks_are_offered_on_time_to_the_right_agents(team, customer):
    _boss, camp, li, wang, zhao = team
    other = f.customer("李四")
    mine = schedule(li, camp, customer, assigned_to_id=li.pk)
    anyone = schedule(li, camp, other, due_at=TOMORROW_10 + dt.timedelta(minutes=5))
    later = schedule(wang, camp, other, assigned_to_id=wang.pk, due_at=sh(2026, 12, 3, 10, 0))
    assert callbacks.deliver_due_callbacks(TOMORROW_10 - dt.timedelta(seconds=1)) == 0
    assert selectors.callbacks_due_for(li, TOMORROW_10 - dt.timedelta(seconds=1)) == []
    at = TOMORROW_10 + dt.timedelta(minutes=10)
    assert callbacks.deliver_due_callbacks(at) == 2
    mine.refresh_from_db()
    assert (mine.status, mine.delivered_at) == (Callback.Status.DUE, at)
    assert selectors.callbacks_due_for(li, at) == [mine, anyone]
    assert selectors.callbacks_due_for(wang, at) == [anyone]  # not li's own, not yet his own
    assert selectors.callbacks_due_for(zhao, at) == []  # not on the campaign
    assert set(callbacks.due_callbacks(at)) == {mine, anyone}
    later.refresh_from_db()
    assert later.status == Callback.Status.PENDING


def test_an_open_callback_goes_to_the_first_agent_who_takes_it(team, customer):
    _boss, camp, li, wang, zhao = team
    cb = schedule(li, camp, customer)
    taken = callbacks.callback_take(actor=wang.user, callback_id=cb.pk)
    assert (taken.assigned_to, taken.status) == (wang, Callback.Status.DUE)
    with pytest.raises(ValidationFailed):
        callbacks.callback_take(actor=li.user, callback_id=cb.pk)
    with pytest.raises(PermissionDenied):
        callbacks.callback_take(actor=zhao.user, callback_id=schedule(li, camp, customer).pk)


def test_done_and_cancelled_callbacks(team, customer):
    _boss, camp, li, wang, _zhao = team
    cb = schedule(li, camp, customer)
    made = f.call(customer, at=TOMORROW_10, campaign=camp, agent=li)
    assert callbacks.callback_done(cb, made).status == Callback.Status.DONE
    assert Callback.objects.get(pk=cb.pk).done_call == made
    other = schedule(li, camp, customer)
    with pytest.raises(PermissionDenied):
        callbacks.callback_cancel(actor=wang.user, callback_id=other.pk)
    assert callbacks.callback_cancel(actor=li.user, callback_id=other.pk).status == "cancelled"


def test_the_scheduler_job_offers_and_expires_callbacks(team, customer):
    _boss, camp, _li, _wang, _zhao = team
    now = timezone.now()  # the task runs on the clock
    for ago in (dt.timedelta(minutes=1), dt.timedelta(hours=3)):
        Callback.objects.create(
            campaign=camp, customer=customer, phone="+8613800138001", due_at=now - ago
        )
    Callback.objects.create(
        campaign=camp, customer=customer, phone="+8613800138001", due_at=now + dt.timedelta(hours=1)
    )
    # The job the scheduler should run every minute is a valid django-tasks task ...
    job = Job(
        name="dialer.callbacks",
        task="servicefirst.dialer.callbacks.callbacks_tick",
        every_minutes=1,
    )
    assert validate([job]) == []
    # ... and does what it says (run here directly, as a worker would).
    result = callbacks.callbacks_tick.call()
    assert result == {"delivered": 2, "missed": 1}
    assert sorted(Callback.objects.values_list("status", flat=True)) == ["due", "missed", "pending"]
