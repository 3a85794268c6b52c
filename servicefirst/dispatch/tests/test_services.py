"""The branch manager's actions: each one changes the floor, is recorded with its actor,
tells the branch's live pages, refuses bad input naming the field, and is refused to a
teller and to the manager of another branch."""

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.dispatch import services
from servicefirst.floor.live import group_name
from servicefirst.floor.models import Counter, FloorEvent, Ticket
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_ticket

pytestmark = pytest.mark.django_db


def codes(counter: Counter) -> set[str]:
    return set(counter.services.values_list("code", flat=True))


def last_event(branch) -> FloorEvent:
    return FloorEvent.objects.filter(branch=branch).order_by("-at", "-pk").first()


# --- open and close counters -------------------------------------------------------------------


def test_manager_opens_a_closed_counter(manager, branch, counters):
    counter = services.counter_open(actor=manager, counter_id=counters[2].pk)
    counter.refresh_from_db()
    assert counter.is_open
    event = last_event(branch)
    assert (event.kind, event.counter, event.actor.user) == ("open_counter", counter, manager)


def test_opening_a_paused_counter_resumes_it(manager, branch, counters):
    Counter.objects.filter(pk=counters[0].pk).update(paused=True, pause_reason="break")
    services.counter_open(actor=manager, counter_id=counters[0].pk)
    counters[0].refresh_from_db()
    assert (counters[0].is_open, counters[0].paused, counters[0].pause_reason) == (True, False, "")
    assert last_event(branch).detail["was_paused"] is True


def test_opening_an_open_counter_is_refused(manager, counters):
    with pytest.raises(ValidationFailed) as exc:
        services.counter_open(actor=manager, counter_id=counters[0].pk)
    assert "counter_id" in exc.value.errors


def test_manager_closes_a_counter_and_its_own_tickets_go_back_to_the_queue(
    manager, branch, counters
):
    moved = make_ticket(branch, "cash", number="A001", target_counter=counters[0])
    services.counter_close(actor=manager, counter_id=counters[0].pk)
    counters[0].refresh_from_db()
    moved.refresh_from_db()
    assert not counters[0].is_open
    assert moved.target_counter is None
    assert moved.status == Ticket.Status.WAITING
    event = last_event(branch)
    assert (event.kind, event.detail["requeued"]) == ("close_counter", ["A001"])


def test_closing_a_closed_counter_is_refused(manager, counters):
    with pytest.raises(ValidationFailed) as exc:
        services.counter_close(actor=manager, counter_id=counters[2].pk)
    assert "counter_id" in exc.value.errors


def test_an_unknown_counter_is_named(manager, counters):
    with pytest.raises(ValidationFailed) as exc:
        services.counter_close(actor=manager, counter_id="x")
    assert "counter_id" in exc.value.errors


# --- move a teller ---------------------------------------------------------------------------


def test_manager_moves_a_teller_to_another_counter(manager, branch, counters, tellers):
    wang = tellers[0]
    services.teller_move(actor=manager, staff_id=wang.pk, counter_id=counters[2].pk)
    for c in counters:
        c.refresh_from_db()
    assert (counters[2].staff, counters[2].is_open) == (wang, True)  # works there now
    assert (counters[0].staff, counters[0].is_open) == (None, False)  # the counter left closes
    event = last_event(branch)
    assert event.kind == "move_teller"
    assert event.detail == {
        "staff_id": wang.pk,
        "staff": wang.name,
        "from_counters": [1],
        "to_counter": 3,
        "displaced": "",
    }


def test_moving_a_teller_onto_an_occupied_counter_takes_the_other_off(
    manager, branch, counters, tellers
):
    services.teller_move(actor=manager, staff_id=tellers[0].pk, counter_id=counters[1].pk)
    counters[1].refresh_from_db()
    assert counters[1].staff == tellers[0]
    assert not Counter.objects.filter(staff=tellers[1]).exists()
    assert last_event(branch).detail["displaced"] == tellers[1].name


def test_a_teller_of_another_branch_cannot_be_moved_here(manager, counters, other_branch):
    stranger = make_staff(Role.TELLER, unit=other_branch)
    with pytest.raises(ValidationFailed) as exc:
        services.teller_move(actor=manager, staff_id=stranger.pk, counter_id=counters[2].pk)
    assert "staff_id" in exc.value.errors
    counters[2].refresh_from_db()
    assert counters[2].staff is None


def test_only_staff_who_work_at_counters_can_be_moved_to_one(manager, branch, counters):
    rm = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch)
    with pytest.raises(ValidationFailed) as exc:
        services.teller_move(actor=manager, staff_id=rm.pk, counter_id=counters[2].pk)
    assert "staff_id" in exc.value.errors


def test_a_teller_serving_a_customer_is_not_moved(manager, branch, counters, tellers):
    make_ticket(
        branch,
        "cash",
        number="A001",
        status=Ticket.Status.CALLED,
        counter=counters[0],
        called_at=timezone.now(),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.teller_move(actor=manager, staff_id=tellers[0].pk, counter_id=counters[2].pk)
    assert "A001" in exc.value.errors["staff_id"][0]
    counters[0].refresh_from_db()
    assert counters[0].staff == tellers[0]


def test_an_unknown_teller_is_named(manager, counters):
    with pytest.raises(ValidationFailed) as exc:
        services.teller_move(actor=manager, staff_id="", counter_id=counters[2].pk)
    assert "staff_id" in exc.value.errors


# --- the services of a counter ---------------------------------------------------------------


def test_manager_sets_the_services_of_a_counter(manager, branch, counters):
    services.counter_services_set(
        actor=manager, counter_id=counters[1].pk, service_codes=["cash", "loans"]
    )
    assert codes(counters[1]) == {"cash", "loans"}
    event = last_event(branch)
    assert (event.kind, event.detail["before"], event.detail["after"]) == (
        "counter_services",
        ["loans"],
        ["cash", "loans"],
    )


@pytest.mark.parametrize("bad", [[], ["cash", "nonsense"]])
def test_bad_services_are_refused_and_nothing_changes(manager, counters, bad):
    with pytest.raises(ValidationFailed) as exc:
        services.counter_services_set(actor=manager, counter_id=counters[1].pk, service_codes=bad)
    assert "service_codes" in exc.value.errors
    assert codes(counters[1]) == {"loans"}
    assert not FloorEvent.objects.exists()


def test_applying_a_recommendation_adds_the_service(manager, counters):
    services.recommendation_apply(actor=manager, counter_id=counters[1].pk, service_code="cash")
    assert codes(counters[1]) == {"cash", "loans"}
    with pytest.raises(ValidationFailed) as exc:
        services.recommendation_apply(actor=manager, counter_id=counters[1].pk, service_code="cash")
    assert "service_code" in exc.value.errors


# --- reprioritise a ticket -----------------------------------------------------------------


def test_manager_raises_a_waiting_tickets_priority_with_a_reason(manager, branch, counters):
    ticket = make_ticket(branch, "cash", number="A001")
    services.ticket_reprioritise(
        actor=manager, ticket_id=ticket.pk, priority="40", reason="Pregnant customer"
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_reason) == (40, Ticket.Reason.MANAGER)
    event = last_event(branch)
    assert (event.kind, event.ticket) == ("reprioritise", ticket)
    assert event.detail["reason"] == "Pregnant customer"
    assert (event.detail["before"], event.detail["after"]) == (0, 40)


@pytest.mark.parametrize(
    ("priority", "reason", "field"),
    [
        ("-1", "x", "priority"),
        ("abc", "x", "priority"),
        ("101", "x", "priority"),
        ("20", " ", "reason"),
    ],
)
def test_bad_priorities_are_refused_naming_the_field(
    manager, branch, counters, priority, reason, field
):
    ticket = make_ticket(branch, "cash", number="A001")
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_reprioritise(
            actor=manager, ticket_id=ticket.pk, priority=priority, reason=reason
        )
    assert field in exc.value.errors
    ticket.refresh_from_db()
    assert ticket.priority == 0


def test_a_ticket_no_longer_waiting_cannot_be_reprioritised(manager, branch, counters):
    ticket = make_ticket(branch, "cash", number="A001", status=Ticket.Status.DONE)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_reprioritise(actor=manager, ticket_id=ticket.pk, priority=10, reason="x")
    assert "ticket_id" in exc.value.errors


# --- the weather -----------------------------------------------------------------------------


def test_manager_says_it_is_raining_and_then_that_it_stopped(manager, branch):
    services.weather_set(actor=manager, branch_id=branch.pk, raining="1")
    settings = floor_settings(branch.pk)
    assert settings.raining
    assert timezone.now() - settings.raining_since < datetime.timedelta(minutes=1)
    services.weather_set(actor=manager, branch_id=branch.pk, raining=False)
    settings.refresh_from_db()
    assert (settings.raining, settings.raining_since) == (False, None)
    assert list(
        FloorEvent.objects.filter(branch=branch, kind="weather").values_list("detail", flat=True)
    ) == [{"raining": False}, {"raining": True}]


def test_weather_unchanged_or_unclear_is_refused(manager, branch):
    with pytest.raises(ValidationFailed) as exc:
        services.weather_set(actor=manager, branch_id=branch.pk, raining=False)
    assert "raining" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.weather_set(actor=manager, branch_id=branch.pk, raining="maybe")
    assert "raining" in exc.value.errors


# --- who may act -----------------------------------------------------------------------------


def _actions(branch, counters, tellers):
    ticket = make_ticket(branch, "cash", number="A099")
    return [
        lambda actor: services.counter_open(actor=actor, counter_id=counters[2].pk),
        lambda actor: services.counter_close(actor=actor, counter_id=counters[0].pk),
        lambda actor: services.teller_move(
            actor=actor, staff_id=tellers[0].pk, counter_id=counters[2].pk
        ),
        lambda actor: services.counter_services_set(
            actor=actor, counter_id=counters[1].pk, service_codes=["cash"]
        ),
        lambda actor: services.recommendation_apply(
            actor=actor, counter_id=counters[1].pk, service_code="cash"
        ),
        lambda actor: services.ticket_reprioritise(
            actor=actor, ticket_id=ticket.pk, priority=10, reason="x"
        ),
        lambda actor: services.weather_set(actor=actor, branch_id=branch.pk, raining=True),
    ]


@pytest.mark.parametrize("who", ["teller", "other_manager"])
def test_tellers_and_managers_of_other_branches_are_refused(
    request, branch, counters, tellers, who
):
    actor = request.getfixturevalue("teller_user" if who == "teller" else "other_manager")
    for action in _actions(branch, counters, tellers):
        with pytest.raises(PermissionDenied):
            action(actor)
    assert not FloorEvent.objects.exists()
    assert [c.is_open for c in Counter.objects.order_by("number")] == [True, True, False]


# --- the live pages are told --------------------------------------------------------------------


def test_an_action_tells_the_branchs_live_pages_once_it_commits(
    manager, branch, counters, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(branch.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.counter_close(actor=manager, counter_id=counters[0].pk)
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(group_name(branch.pk), channel)
    assert message == {"type": "floor.changed", "what": "counters"}
