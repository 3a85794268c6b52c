"""Hand-offs to a relationship manager (due date required, not in the past, an RM of the
branch), closing them, and follow-ups."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import CustomerTask, Interaction
from servicefirst.lobby import selectors
from servicefirst.lobby.models import FollowUp, Handoff, WalkIn
from servicefirst.lobby.services import (
    followup_complete,
    followup_create,
    handoff_complete,
    handoff_create,
    walkin_register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk_in(lobby):
    return walkin_register(
        actor=lobby,
        data={"name": "王小红", "phone": "13800138000", "channel": "flyer", "consent": "yes"},
    )


def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


def test_hand_a_walk_in_to_an_rm(lobby, rm, walk_in):
    # when
    handoff = handoff_create(
        actor=lobby,
        walk_in_id=walk_in.pk,
        assigned_to_id=rm.staff.pk,
        due_on=tomorrow().isoformat(),
        note="想了解大额存单",
    )
    # then the RM has it, with a task on the customer and a note on the timeline
    assert handoff.status == Handoff.Status.OPEN
    assert handoff.customer == walk_in.customer
    assert handoff.task.assigned_to == rm.staff
    assert handoff.task.due_on == tomorrow()
    walk_in.refresh_from_db()
    assert walk_in.outcome == WalkIn.Outcome.HANDED_OFF
    assert walk_in.customer.interactions.filter(
        kind=Interaction.Kind.NOTE, summary__contains="刘洋"
    ).exists()
    # and the new prospect now has this relationship manager
    walk_in.customer.refresh_from_db()
    assert walk_in.customer.relationship_manager == rm.staff
    # and it is in the RM's task list
    assert selectors.my_tasks(rm)["handoffs"] == [handoff]
    assert selectors.my_tasks(lobby)["handoffs"] == []


@pytest.mark.parametrize("due", ["", "not a date"])
def test_the_due_date_is_required(lobby, rm, walk_in, due):
    with pytest.raises(ValidationFailed) as exc:
        handoff_create(actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=due)
    assert "due_on" in exc.value.errors
    assert not Handoff.objects.exists()
    assert not CustomerTask.objects.exists()


def test_the_due_date_cannot_be_in_the_past(lobby, rm, walk_in):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        handoff_create(
            actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=yesterday
        )
    assert exc.value.errors["due_on"] == ["The due date cannot be in the past."]
    # today is fine
    handoff_create(
        actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=timezone.localdate()
    )


def test_only_an_rm_of_the_branch(lobby, teller, other_rm, walk_in):
    for user in (teller, other_rm):
        with pytest.raises(ValidationFailed) as exc:
            handoff_create(
                actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=user.staff.pk, due_on=tomorrow()
            )
        assert "assigned_to" in exc.value.errors


def test_an_anonymous_walk_in_cannot_be_handed_over(lobby, rm):
    anonymous = walkin_register(actor=lobby, data={"channel": "window"})
    with pytest.raises(ValidationFailed) as exc:
        handoff_create(
            actor=lobby, walk_in_id=anonymous.pk, assigned_to_id=rm.staff.pk, due_on=tomorrow()
        )
    assert "walk_in" in exc.value.errors


def test_only_lobby_staff_hand_over(rm, walk_in, rm2):
    with pytest.raises(PermissionDenied):
        handoff_create(
            actor=rm, walk_in_id=walk_in.pk, assigned_to_id=rm2.staff.pk, due_on=tomorrow()
        )


def test_the_rm_closes_a_handoff_with_an_outcome(lobby, rm, rm2, walk_in):
    handoff = handoff_create(
        actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=tomorrow()
    )
    # another RM of the branch may not close it
    with pytest.raises(PermissionDenied):
        handoff_complete(actor=rm2, handoff_id=handoff.pk, outcome="met")
    with pytest.raises(ValidationFailed) as exc:
        handoff_complete(actor=rm, handoff_id=handoff.pk, outcome="")
    assert "outcome" in exc.value.errors
    # when
    handoff_complete(actor=rm, handoff_id=handoff.pk, outcome="customer", note="开了借记卡")
    # then
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DONE
    assert handoff.outcome == "customer"
    assert handoff.done_at is not None
    assert handoff.task.status == CustomerTask.Status.DONE
    assert selectors.my_tasks(rm)["handoffs"] == []
    assert selectors.my_tasks(rm)["done_handoffs"] == [handoff]
    with pytest.raises(ValidationFailed):
        handoff_complete(actor=rm, handoff_id=handoff.pk, outcome="met")


def test_the_lobby_manager_may_cancel(lobby, rm, walk_in, other_rm):
    handoff = handoff_create(
        actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=tomorrow()
    )
    with pytest.raises(NotFound):
        handoff_complete(actor=other_rm, handoff_id=handoff.pk, outcome="met")
    handoff_complete(actor=lobby, handoff_id=handoff.pk, outcome="", cancel=True)
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CANCELLED
    assert handoff.task.status == CustomerTask.Status.CANCELLED


def test_overdue_handoffs(lobby, rm, walk_in, branch):
    handoff = handoff_create(
        actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=timezone.localdate()
    )
    assert list(selectors.overdue_handoffs(branch.pk)) == []
    Handoff.objects.filter(pk=handoff.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    assert list(selectors.overdue_handoffs(branch.pk)) == [handoff]
    handoff_complete(actor=rm, handoff_id=handoff.pk, outcome="unreachable")
    assert list(selectors.overdue_handoffs(branch.pk)) == []


# --- follow-ups ------------------------------------------------------------------------------


def this_evening():
    return timezone.localtime() + datetime.timedelta(hours=3)


def test_plan_and_complete_a_follow_up_call(lobby, rm, walk_in):
    followup = followup_create(
        actor=lobby,
        customer_id=walk_in.customer_id,
        kind="call",
        due_at=this_evening().strftime("%Y-%m-%dT%H:%M"),
        assigned_to_id=rm.staff.pk,
        walk_in_id=walk_in.pk,
    )
    assert followup.assigned_to == rm.staff
    assert selectors.my_tasks(rm)["followups"] == [followup]
    walk_in.refresh_from_db()
    assert walk_in.outcome == WalkIn.Outcome.FOLLOW_UP
    with pytest.raises(ValidationFailed) as exc:
        followup_complete(actor=rm, followup_id=followup.pk, result="  ")
    assert "result" in exc.value.errors
    followup_complete(actor=rm, followup_id=followup.pk, result="约了周六面谈")
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.DONE
    assert walk_in.customer.interactions.filter(
        kind=Interaction.Kind.CALL, summary__contains="约了周六面谈"
    ).exists()


def test_follow_up_rules(lobby, rm, walk_in, other_rm):
    base = {"customer_id": walk_in.customer_id, "kind": "visit"}
    with pytest.raises(ValidationFailed) as exc:
        followup_create(actor=lobby, due_at="", **base)
    assert "due_at" in exc.value.errors
    past = timezone.localtime() - datetime.timedelta(hours=2)
    with pytest.raises(ValidationFailed) as exc:
        followup_create(actor=lobby, due_at=past, **base)
    assert "due_at" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        followup_create(
            actor=lobby, due_at=this_evening(), assigned_to_id=other_rm.staff.pk, **base
        )
    assert "assigned_to" in exc.value.errors
    # an RM plans only for themselves
    with pytest.raises(PermissionDenied):
        followup_create(actor=rm, due_at=this_evening(), assigned_to_id=lobby.staff.pk, **base)
    mine = followup_create(actor=rm, due_at=this_evening(), **base)
    assert mine.assigned_to == rm.staff
    # no calls to a customer on the do-not-call list
    walk_in.customer.do_not_call = True
    walk_in.customer.save()
    with pytest.raises(ValidationFailed) as exc:
        followup_create(
            actor=rm, due_at=this_evening(), customer_id=walk_in.customer_id, kind="call"
        )
    assert "kind" in exc.value.errors
