"""The dispatching board's state: counters, queues, each alert firing and not firing, the
recommended moves and the floor log."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dispatch import services
from servicefirst.dispatch.selectors import AlertKind, board_state, greeting_name
from servicefirst.dispatch.tests.conftest import with_languages
from servicefirst.floor.models import Ticket
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter, make_ticket
from servicefirst.lobby.models import Handoff

pytestmark = pytest.mark.django_db


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def kinds(state) -> list[str]:
    return [a.kind for a in state.alerts]


def vip_customer(tier="private", **fields):
    customer = make_customer(name_zh="张三丰", name_latin="Zhang Sanfeng", gender="M", **fields)
    customer.value_tier = tier
    customer.save(update_fields=["value_tier"])
    return customer


# --- what the board shows ----------------------------------------------------------------------


def test_board_shows_every_counter_with_its_teller_state_and_customer(
    manager, branch, counters, tellers
):
    # given counter 1 serving A001 for 3 minutes, one cash ticket waiting
    make_ticket(
        branch,
        "cash",
        number="A001",
        status=Ticket.Status.CALLED,
        counter=counters[0],
        called_at=ago(minutes=3),
        issued_at=ago(minutes=6),
    )
    make_ticket(branch, "cash", number="A002", issued_at=ago(minutes=2))
    # when
    state = board_state(actor=manager, branch_id=branch.pk)
    # then
    one, two, three = state.counters
    assert (one.number, one.teller, one.state, one.accepting) == (1, tellers[0], "open", True)
    assert one.ticket.number == "A001"
    assert 175 <= one.serving_s <= 200
    assert one.usual_s == 4 * 60  # no history yet: the service's typical time
    assert not one.long_service
    assert (two.state, two.ticket) == ("open", None)
    assert (three.state, three.accepting, three.teller) == ("closed", False, None)
    cash = next(s for s in state.services if s.service.code == "cash")
    assert cash.waiting == 1
    assert 115 <= cash.longest_wait_s <= 140
    assert cash.counters == 1
    assert cash.predicted_wait_s > 0  # behind A002, after A001 finishes
    assert [t.number for t in cash.queue] == ["A002"]
    assert state.waiting_total == 1
    assert state.accepting_count == 2


def test_a_paused_counter_is_shown_paused(manager, branch, counters):
    counters[0].paused = True
    counters[0].save()
    state = board_state(actor=manager, branch_id=branch.pk)
    assert state.counters[0].state == "paused"
    assert not state.counters[0].accepting


def test_queue_lists_tickets_in_the_order_they_would_be_called(manager, branch, counters):
    make_ticket(branch, "cash", number="A001", issued_at=ago(minutes=5))
    make_ticket(
        branch,
        "cash",
        number="A002",
        issued_at=ago(minutes=1),
        priority=30,
        priority_reason="vip",
    )
    state = board_state(actor=manager, branch_id=branch.pk)
    cash = next(s for s in state.services if s.service.code == "cash")
    assert [t.number for t in cash.queue] == ["A002", "A001"]


def test_only_managers_of_the_branch_see_its_board(
    branch, counters, teller_user, other_manager, manager
):
    with pytest.raises(PermissionDenied):
        board_state(actor=teller_user, branch_id=branch.pk)
    with pytest.raises(PermissionDenied):
        board_state(actor=other_manager, branch_id=branch.pk)
    admin = make_staff(Role.ADMINISTRATOR, unit=UnitFactory(kind="it", line="second")).user
    assert board_state(actor=admin, branch_id=branch.pk).branch == branch
    assert board_state(actor=manager, branch_id=branch.pk).branch == branch


# --- (a) the wait commitment ---------------------------------------------------------------


def test_commitment_alert_fires_when_the_longest_wait_nears_the_commitment(
    manager, branch, counters
):
    # commitment 15 minutes; 13 minutes is 87 %
    make_ticket(branch, "loans", number="D001", issued_at=ago(minutes=13))
    state = board_state(actor=manager, branch_id=branch.pk)
    [alert] = state.alerts_of(AlertKind.COMMITMENT)
    assert alert.level == "warning"
    assert alert.service_id == next(
        s.service.pk for s in state.services if s.service.code == "loans"
    )
    assert "Loans" in alert.message


def test_commitment_alert_is_danger_once_the_commitment_is_broken(manager, branch, counters):
    make_ticket(branch, "cash", number="A001", issued_at=ago(minutes=16))
    [alert] = board_state(actor=manager, branch_id=branch.pk).alerts_of(AlertKind.COMMITMENT)
    assert alert.level == "danger"


def test_commitment_alert_fires_on_a_long_predicted_wait(manager, branch, counters):
    # Six people for one loans counter (20 minutes each): a new ticket would wait far too long,
    # although nobody has waited long yet.
    for i in range(6):
        make_ticket(branch, "loans", number=f"D{i:03d}", issued_at=ago(minutes=1))
    state = board_state(actor=manager, branch_id=branch.pk)
    assert AlertKind.COMMITMENT in kinds(state)
    loans = next(s for s in state.services if s.service.code == "loans")
    assert loans.predicted_wait_s >= 15 * 60


def test_no_commitment_alert_while_waits_are_short(manager, branch, counters):
    make_ticket(branch, "cash", number="A001", issued_at=ago(minutes=3))
    assert AlertKind.COMMITMENT not in kinds(board_state(actor=manager, branch_id=branch.pk))


def test_commitment_follows_the_branch_setting(manager, branch, counters):
    settings = floor_settings(branch.pk)
    settings.commitment_minutes = 60
    settings.save()
    make_ticket(branch, "cash", number="A001", issued_at=ago(minutes=16))
    assert AlertKind.COMMITMENT not in kinds(board_state(actor=manager, branch_id=branch.pk))


# --- (b) a long service ----------------------------------------------------------------------


def test_long_service_alert_fires_when_a_counter_serves_far_longer_than_usual(
    manager, branch, counters
):
    # cash usually takes 4 minutes; the factor is 2; 9 minutes is too long
    make_ticket(
        branch,
        "cash",
        number="A001",
        status=Ticket.Status.CALLED,
        counter=counters[0],
        called_at=ago(minutes=9),
        issued_at=ago(minutes=12),
    )
    state = board_state(actor=manager, branch_id=branch.pk)
    [alert] = state.alerts_of(AlertKind.LONG_SERVICE)
    assert alert.counter_id == counters[0].pk
    assert "A001" in alert.message
    assert state.counters[0].long_service


def test_no_long_service_alert_within_the_usual_time_times_the_factor(manager, branch, counters):
    make_ticket(
        branch,
        "cash",
        number="A001",
        status=Ticket.Status.CALLED,
        counter=counters[0],
        called_at=ago(minutes=7),
        issued_at=ago(minutes=9),
    )
    assert AlertKind.LONG_SERVICE not in kinds(board_state(actor=manager, branch_id=branch.pk))


# --- (c) a VIP to greet -------------------------------------------------------------------


def test_vip_alert_greets_a_private_banking_customer_who_just_took_a_ticket(
    manager, branch, counters
):
    zhang = vip_customer()
    make_ticket(
        branch,
        "cash",
        number="A000",
        customer=zhang,
        status=Ticket.Status.DONE,
        issued_at=ago(days=30),
    )
    ticket = make_ticket(branch, "wealth", number="E001", customer=zhang, issued_at=ago(minutes=2))
    [alert] = board_state(actor=manager, branch_id=branch.pk).alerts_of(AlertKind.VIP)
    assert alert.ticket_id == ticket.pk
    assert "Mr Zhang" in alert.message
    assert "E001" in alert.message
    assert "Sanfeng" not in alert.message  # masked: surname and title only
    assert "1 earlier ticket" in alert.message


@pytest.mark.parametrize(
    ("tier", "minutes", "status"),
    [
        ("mass", 2, Ticket.Status.WAITING),  # not a priority tier
        ("private", 15, Ticket.Status.WAITING),  # took the ticket a while ago
        ("private", 2, Ticket.Status.CALLED),  # already at a counter
    ],
)
def test_no_vip_alert_otherwise(manager, branch, counters, tier, minutes, status):
    zhang = vip_customer(tier=tier)
    make_ticket(
        branch, "cash", number="A001", customer=zhang, issued_at=ago(minutes=minutes), status=status
    )
    assert AlertKind.VIP not in kinds(board_state(actor=manager, branch_id=branch.pk))


def test_vip_tiers_follow_the_branch_priorities(manager, branch, counters):
    settings = floor_settings(branch.pk)
    settings.vip_priority = {"private": 30, "wealth": 0}
    settings.save()
    make_ticket(
        branch, "cash", number="A001", customer=vip_customer("wealth"), issued_at=ago(minutes=1)
    )
    assert AlertKind.VIP not in kinds(board_state(actor=manager, branch_id=branch.pk))


def test_greeting_name_is_masked_in_both_languages():
    from django.utils import translation

    li = make_customer(name_zh="欧阳娜娜", gender="F")
    with translation.override("en"):
        assert greeting_name(li) == "Ms Ouyang"
    with translation.override("zh-hans"):
        assert greeting_name(li) == "欧阳女士"
    anon = make_customer(name_zh="王小二")
    anon.gender = "U"
    assert greeting_name(anon) == "王**"


# --- (d) a language nobody at the counters speaks --------------------------------------------


def test_language_alert_fires_when_no_teller_at_an_open_counter_speaks_it(
    manager, branch, counters
):
    # Chen speaks English but is not at a counter: the manager is told who could help.
    with_languages(make_staff(Role.TELLER, unit=branch, name="Chen"), "zh", "en")
    ticket = make_ticket(branch, "cash", number="A001", language="en", issued_at=ago(minutes=1))
    [alert] = board_state(actor=manager, branch_id=branch.pk).alerts_of(AlertKind.LANGUAGE)
    assert alert.ticket_ids == [ticket.pk]
    assert "English" in alert.message
    assert "Chen" in alert.message


def test_no_language_alert_when_a_teller_on_duty_speaks_it(manager, branch, counters, tellers):
    with_languages(tellers[1], "zh", "en")
    make_ticket(branch, "cash", number="A001", language="en", issued_at=ago(minutes=1))
    assert AlertKind.LANGUAGE not in kinds(board_state(actor=manager, branch_id=branch.pk))


def test_a_speaker_at_a_closed_counter_does_not_count(manager, branch, counters):
    speaker = with_languages(make_staff(Role.TELLER, unit=branch, name="Chen"), "en")
    counters[2].staff = speaker  # counter 3 is closed
    counters[2].save()
    make_ticket(branch, "cash", number="A001", language="en", issued_at=ago(minutes=1))
    assert AlertKind.LANGUAGE in kinds(board_state(actor=manager, branch_id=branch.pk))


# --- (e) overdue hand-offs -----------------------------------------------------------------


def test_overdue_handoffs_show_on_the_board(manager, branch, counters):
    rm = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch, name="RM Chen")
    customer = make_customer(name_zh="李秀英", gender="F")
    today = timezone.localdate()
    Handoff.objects.create(
        branch=branch, customer=customer, assigned_to=rm, due_on=today - datetime.timedelta(days=2)
    )
    Handoff.objects.create(
        branch=branch, customer=customer, assigned_to=rm, due_on=today + datetime.timedelta(days=2)
    )
    [alert] = board_state(actor=manager, branch_id=branch.pk).alerts_of(AlertKind.HANDOFF)
    assert "RM Chen" in alert.message
    assert "Ms Li" in alert.message
    assert "2 days ago" in alert.message


def test_no_handoff_alert_when_none_is_overdue(manager, branch, counters):
    assert AlertKind.HANDOFF not in kinds(board_state(actor=manager, branch_id=branch.pk))


# --- recommendations -------------------------------------------------------------------------


def test_board_recommends_an_idle_counter_takes_a_service_whose_wait_grows(
    manager, branch, counters
):
    # given: cash waits have grown while counter 2 (loans) is idle
    for i in range(4):
        make_ticket(branch, "cash", number=f"A00{i}", issued_at=ago(minutes=10 - i))
    state = board_state(actor=manager, branch_id=branch.pk)
    [rec] = state.recommendations
    assert (rec.counter, rec.service.code) == (counters[1], "cash")
    assert "Counter 2" in rec.message
    # when the manager applies it
    services.recommendation_apply(actor=manager, counter_id=rec.counter.pk, service_code="cash")
    # then counter 2 handles cash too, and the board no longer recommends it
    counters[1].refresh_from_db()
    assert set(counters[1].services.values_list("code", flat=True)) == {"cash", "loans"}
    state = board_state(actor=manager, branch_id=branch.pk)
    assert state.recommendations == []
    cash = next(s for s in state.services if s.service.code == "cash")
    assert cash.counters == 2


def test_no_recommendation_when_waits_are_short(manager, branch, counters):
    make_ticket(branch, "cash", number="A001", issued_at=ago(minutes=1))
    assert board_state(actor=manager, branch_id=branch.pk).recommendations == []


# --- the floor log and the prediction error ------------------------------------------------


def test_recent_floor_actions_are_listed_newest_first(manager, branch, counters):
    services.counter_close(actor=manager, counter_id=counters[1].pk)
    services.weather_set(actor=manager, branch_id=branch.pk, raining=True)
    rows = board_state(actor=manager, branch_id=branch.pk).events
    assert [r.event.kind for r in rows] == ["weather", "close_counter"]
    assert rows[0].text == "Raining"
    assert rows[0].event.actor.name == "Manager Li"


def test_prediction_error_is_reported(manager, branch, counters):
    make_ticket(
        branch,
        "cash",
        number="A001",
        status=Ticket.Status.DONE,
        issued_at=ago(minutes=30),
        called_at=ago(minutes=20),
        finished_at=ago(minutes=15),
        predicted_wait_s=8 * 60,
        counter=counters[0],
    )
    report = board_state(actor=manager, branch_id=branch.pk).prediction_error
    assert report["tickets"] == 1
    assert report["mean_error_s"] == pytest.approx(-120, abs=2)


def test_a_counter_in_another_branch_is_not_on_the_board(manager, branch, counters, other_branch):
    make_counter(other_branch, 9, ("cash",), staff=True)
    assert [c.number for c in board_state(actor=manager, branch_id=branch.pk).counters] == [1, 2, 3]
