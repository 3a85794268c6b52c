"""The branch manager configures the floor: the saved rules are the ones the counters call by,
each bad field is named and nothing changes, every change is in the audit log, and only the
branch's own manager (or a bank-wide role) may do it. Counters are added and removed."""

import datetime
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dispatch import services
from servicefirst.floor import issuing, serving
from servicefirst.floor.live import group_name
from servicefirst.floor.models import Counter, FloorSettings, Ticket
from servicefirst.floor.selectors import floor_settings, services_offered
from servicefirst.floor.tests.queue_factories import make_counter, make_ticket

pytestmark = pytest.mark.django_db

VALID = {
    "commitment_minutes": "12",
    "max_wait_minutes": "25",
    "vip_priority.mass": "0",
    "vip_priority.affluent": "5",
    "vip_priority.wealth": "40",
    "vip_priority.private": "50",
    "elderly_age": "70",
    "elderly_priority": "20",
    "disabled_priority": "30",
    "appointment_priority": "35",
    "appointment_grace_minutes": "10",
    "slot_minutes": "20",
    "opens_at": "08:30",
    "closes_at": "17:30",
    "long_service_factor": "2.5",
    "services": ["cash", "cards", "wealth"],
}


def saved(branch) -> FloorSettings:
    return FloorSettings.objects.get(branch=branch)


def audits(branch):
    return AuditEvent.objects.filter(object_type="floor_settings", object_id=str(branch.pk))


# --- saving ------------------------------------------------------------------------------------


def test_manager_saves_every_setting(manager, branch):
    services.floor_settings_save(actor=manager, branch_id=branch.pk, data=VALID)
    s = saved(branch)
    assert (s.commitment_minutes, s.max_wait_minutes) == (12, 25)
    assert s.vip_priority == {"affluent": 5, "wealth": 40, "private": 50}
    assert (s.elderly_age, s.elderly_priority, s.disabled_priority) == (70, 20, 30)
    assert (s.appointment_priority, s.appointment_grace_minutes, s.slot_minutes) == (35, 10, 20)
    assert (s.opens_at, s.closes_at) == (datetime.time(8, 30), datetime.time(17, 30))
    assert s.long_service_factor == Decimal("2.5")
    assert [svc.code for svc in services_offered(branch.pk)] == ["cash", "cards", "wealth"]


def test_the_change_is_audited_with_old_and_new_values(manager, branch):
    services.floor_settings_save(
        actor=manager,
        branch_id=branch.pk,
        data={"commitment_minutes": "10", "vip_priority": {"wealth": 35}, "opens_at": "09:30"},
    )
    event = audits(branch).get()
    assert event.actor == manager
    assert event.action == AuditEvent.Action.SETTINGS_CHANGE
    assert event.detail["before"] == {
        "commitment_minutes": 15,
        "vip_priority.wealth": 20,
        "opens_at": "09:00",
    }
    assert event.detail["after"] == {
        "commitment_minutes": 10,
        "vip_priority.wealth": 35,
        "opens_at": "09:30",
    }
    # Settings not given keep their values.
    s = saved(branch)
    assert (s.max_wait_minutes, s.vip_priority["private"]) == (20, 30)


def test_saving_the_same_values_records_nothing(manager, branch):
    services.floor_settings_save(
        actor=manager, branch_id=branch.pk, data={"commitment_minutes": 15}
    )
    assert not audits(branch).exists()


def test_saving_tells_the_branchs_live_pages(manager, branch, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(branch.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.floor_settings_save(
                actor=manager, branch_id=branch.pk, data={"commitment_minutes": 9}
            )
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(group_name(branch.pk), channel)
    assert message == {"type": "floor.changed", "what": "counters"}


# --- the saved rules are the ones the counters call by -----------------------------------------


@pytest.fixture
def cash_counter(branch, tellers):
    return make_counter(branch, 1, ("cash",), staff=tellers[0])


def issue_elderly_then_wealthy(branch):
    make_customer(name_zh="钱多多", phones=["13911112222"], value_tier="wealth")
    elderly = issuing.ticket_issue(branch_id=branch.pk, service_code="cash", elderly=True)
    wealthy = issuing.ticket_issue(branch_id=branch.pk, service_code="cash", identify="13911112222")
    return elderly, wealthy


def test_with_the_default_points_the_elderly_customer_who_came_first_is_called_first(
    branch, tellers, cash_counter
):
    elderly, wealthy = issue_elderly_then_wealthy(branch)
    assert elderly.priority == wealthy.priority == 20
    called = serving.call_next(actor=tellers[0].user, counter_id=cash_counter.pk)
    assert called == elderly


def test_raising_wealth_above_elderly_changes_who_is_called_next(
    manager, branch, tellers, cash_counter
):
    services.floor_settings_save(
        actor=manager,
        branch_id=branch.pk,
        data={"vip_priority.wealth": "45", "elderly_priority": "15"},
    )
    elderly, wealthy = issue_elderly_then_wealthy(branch)
    assert (elderly.priority, wealthy.priority) == (15, 45)
    assert serving.call_next(actor=tellers[0].user, counter_id=cash_counter.pk) == wealthy
    serving.finish(actor=tellers[0].user, ticket_id=wealthy.pk, outcome="completed")
    assert serving.call_next(actor=tellers[0].user, counter_id=cash_counter.pk) == elderly


def test_a_shorter_fairness_guard_applies_at_the_next_call(manager, branch, tellers, cash_counter):
    ordinary = make_ticket(
        branch, "cash", number="A001", issued_at=timezone.now() - datetime.timedelta(minutes=8)
    )
    make_ticket(branch, "cash", number="A002", priority=30, priority_reason="vip")
    services.floor_settings_save(actor=manager, branch_id=branch.pk, data={"max_wait_minutes": "5"})
    assert serving.call_next(actor=tellers[0].user, counter_id=cash_counter.pk) == ordinary


def test_with_the_default_fairness_guard_the_vip_goes_first(branch, tellers, cash_counter):
    make_ticket(
        branch, "cash", number="A001", issued_at=timezone.now() - datetime.timedelta(minutes=8)
    )
    vip = make_ticket(branch, "cash", number="A002", priority=30, priority_reason="vip")
    assert serving.call_next(actor=tellers[0].user, counter_id=cash_counter.pk) == vip


def test_services_offered_are_what_the_kiosk_issues(manager, branch):
    services.floor_settings_save(
        actor=manager, branch_id=branch.pk, data={"services": ["cash", "loans"]}
    )
    with pytest.raises(ValidationFailed) as exc:
        issuing.ticket_issue(branch_id=branch.pk, service_code="fx")
    assert "service" in exc.value.errors
    assert issuing.ticket_issue(branch_id=branch.pk, service_code="loans").service.code == "loans"


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("commitment_minutes", "0"),
        ("commitment_minutes", "241"),
        ("commitment_minutes", "ten"),
        ("commitment_minutes", ""),
        ("max_wait_minutes", "0"),
        ("max_wait_minutes", "300"),
        ("vip_priority.wealth", "101"),
        ("vip_priority.private", "-1"),
        ("vip_priority.mass", "1.5"),
        ("vip_priority.affluent", "lots"),
        ("elderly_age", "49"),
        ("elderly_age", "101"),
        ("elderly_priority", "150"),
        ("disabled_priority", "-5"),
        ("appointment_priority", "x"),
        ("appointment_grace_minutes", "121"),
        ("slot_minutes", "25"),
        ("slot_minutes", "0"),
        ("opens_at", "25:00"),
        ("opens_at", "nine"),
        ("closes_at", ""),
        ("long_service_factor", "0.9"),
        ("long_service_factor", "10.1"),
        ("long_service_factor", "2.55"),
        ("long_service_factor", "many"),
        ("services", []),
        ("services", ["cash", "haircuts"]),
    ],
)
def test_each_invalid_field_is_named_and_nothing_changes(manager, branch, field, value):
    before = services.settings_values(saved(branch))
    with pytest.raises(ValidationFailed) as exc:
        services.floor_settings_save(
            actor=manager, branch_id=branch.pk, data={**VALID, field: value}
        )
    assert list(exc.value.errors) == [field]
    assert services.settings_values(saved(branch)) == before
    assert not audits(branch).exists()


def test_the_branch_must_close_after_it_opens(manager, branch):
    with pytest.raises(ValidationFailed) as exc:
        services.floor_settings_save(
            actor=manager, branch_id=branch.pk, data={"opens_at": "17:00", "closes_at": "09:00"}
        )
    assert exc.value.errors == {"closes_at": ["The branch must close after it opens."]}


def test_a_slot_must_fit_in_the_opening_hours(manager, branch):
    with pytest.raises(ValidationFailed) as exc:
        services.floor_settings_save(
            actor=manager,
            branch_id=branch.pk,
            data={"opens_at": "09:00", "closes_at": "10:00", "slot_minutes": "90"},
        )
    assert list(exc.value.errors) == ["slot_minutes"]


def test_several_bad_fields_are_all_named(manager, branch):
    with pytest.raises(ValidationFailed) as exc:
        services.floor_settings_save(
            actor=manager,
            branch_id=branch.pk,
            data={"commitment_minutes": "0", "vip_priority.wealth": "500", "bogus": "1"},
        )
    assert set(exc.value.errors) == {"commitment_minutes", "vip_priority.wealth", "__all__"}


def test_the_fairness_guard_may_be_shorter_than_the_commitment(manager, branch):
    services.floor_settings_save(
        actor=manager,
        branch_id=branch.pk,
        data={"commitment_minutes": "30", "max_wait_minutes": "10"},
    )
    assert (saved(branch).commitment_minutes, saved(branch).max_wait_minutes) == (30, 10)


# --- who may -------------------------------------------------------------------------------------


def test_another_branchs_manager_and_a_teller_are_refused(other_manager, teller_user, branch):
    for actor in (other_manager, teller_user):
        with pytest.raises(PermissionDenied):
            services.floor_settings_save(
                actor=actor, branch_id=branch.pk, data={"commitment_minutes": "5"}
            )
    assert saved(branch).commitment_minutes == 15
    assert not audits(branch).exists()


def test_a_bank_wide_administrator_may_configure_any_branch(branch):
    admin = make_staff(Role.ADMINISTRATOR, unit=UnitFactory(kind="it", line="second")).user
    services.floor_settings_save(actor=admin, branch_id=branch.pk, data={"commitment_minutes": 7})
    assert saved(branch).commitment_minutes == 7


def test_a_branch_without_settings_gets_them_on_first_save(manager):
    branch = manager.staff.unit
    FloorSettings.objects.filter(branch=branch).delete()
    services.floor_settings_save(actor=manager, branch_id=branch.pk, data={"slot_minutes": 15})
    assert floor_settings(branch.pk).slot_minutes == 15


# --- counters ------------------------------------------------------------------------------------


def counter_audits(branch):
    return AuditEvent.objects.filter(object_type="counter", detail__branch=branch.code)


def test_a_new_counter_takes_the_next_free_number_closed_and_without_teller(
    manager, branch, counters
):
    Counter.objects.filter(pk=counters[1].pk).delete()  # numbers 1 and 3 remain
    added = services.counter_add(actor=manager, branch_id=branch.pk, service_codes=["fx", "cash"])
    assert (added.number, added.is_open, added.staff) == (2, False, None)
    assert set(added.services.values_list("code", flat=True)) == {"fx", "cash"}
    after = services.counter_add(actor=manager, branch_id=branch.pk, service_codes="cards")
    assert after.number == 4
    event = counter_audits(branch).filter(object_id=str(added.pk)).get()
    assert (event.actor, event.detail["added"], event.detail["services"]) == (
        manager,
        2,
        ["cash", "fx"],
    )


def test_a_counter_needs_a_known_service(manager, branch):
    for codes in ([], ["nonsense"]):
        with pytest.raises(ValidationFailed) as exc:
            services.counter_add(actor=manager, branch_id=branch.pk, service_codes=codes)
        assert list(exc.value.errors) == ["service_codes"]
    assert not Counter.objects.filter(branch=branch).exists()


def test_a_closed_empty_counter_is_removed(manager, branch, counters):
    assert services.counter_remove(actor=manager, counter_id=counters[2].pk) == 3
    assert not Counter.objects.filter(pk=counters[2].pk).exists()
    assert counter_audits(branch).get().detail["removed"] == 3


def test_a_counter_keeps_its_past_tickets_when_removed(manager, branch, counters):
    old = make_ticket(branch, "cards", number="C001", status=Ticket.Status.DONE)
    Ticket.objects.filter(pk=old.pk).update(counter=counters[2])
    services.counter_remove(actor=manager, counter_id=counters[2].pk)
    old.refresh_from_db()
    assert (old.status, old.counter) == (Ticket.Status.DONE, None)


def test_an_open_counter_or_one_with_a_teller_cannot_be_removed(manager, counters):
    with pytest.raises(ValidationFailed) as exc:
        services.counter_remove(actor=manager, counter_id=counters[0].pk)
    messages = " ".join(exc.value.errors["counter_id"])
    assert "Close the counter first." in messages
    assert "Wang is at this counter" in messages
    Counter.objects.filter(pk=counters[0].pk).update(is_open=False)
    with pytest.raises(ValidationFailed) as exc:
        services.counter_remove(actor=manager, counter_id=counters[0].pk)
    assert exc.value.errors["counter_id"] == ["Wang is at this counter; move them first."]
    assert Counter.objects.filter(pk=counters[0].pk).exists()


def test_a_counter_serving_or_awaited_by_a_ticket_cannot_be_removed(manager, branch, counters):
    closed = counters[2]
    serving_here = make_ticket(branch, "cards", number="C001", status=Ticket.Status.CALLED)
    Ticket.objects.filter(pk=serving_here.pk).update(counter=closed)
    make_ticket(branch, "cash", number="A009", target_counter=closed)
    with pytest.raises(ValidationFailed) as exc:
        services.counter_remove(actor=manager, counter_id=closed.pk)
    assert exc.value.errors["counter_id"] == [
        "Ticket C001 is being served here.",
        "Waiting for this counter: A009.",
    ]
    assert Counter.objects.filter(pk=closed.pk).exists()


def test_others_may_not_add_or_remove_counters(other_manager, teller_user, branch, counters):
    for actor in (other_manager, teller_user):
        with pytest.raises(PermissionDenied):
            services.counter_add(actor=actor, branch_id=branch.pk, service_codes=["cash"])
        with pytest.raises(PermissionDenied):
            services.counter_remove(actor=actor, counter_id=counters[2].pk)
    assert Counter.objects.filter(branch=branch).count() == 3
