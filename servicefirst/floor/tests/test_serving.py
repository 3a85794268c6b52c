"""Serving at a counter (floor/serving.py): signing in, calling by the dispatching rule
(priorities, the fairness guard, language routing), recall, no-show, transfer, out-of-order
service, pause and finish — with their permissions, errors and the floor log."""

import datetime
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Holding, Interaction
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id
from servicefirst.floor import serving
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.live import group_name
from servicefirst.floor.models import Counter, FloorEvent, FloorSettings, Service, Ticket
from servicefirst.insights.models import OfferEvent

# --- helpers shared with the view and concurrency tests ----------------------------------


def make_teller(branch, *, languages=("zh",), role=Role.TELLER, username=None, name=None):
    staff = make_staff(role, unit=branch, username=username, name=name)
    staff.languages = list(languages)
    staff.save(update_fields=["languages"])
    return staff


def make_counter(branch, number, *services, staff=None):
    counter = Counter.objects.create(branch=branch, number=number)
    counter.services.set(services)
    if staff is not None:
        counter.staff = staff
        counter.is_open = True
        counter.save(update_fields=["staff", "is_open"])
    return counter


_numbers = iter(range(1, 10**6))


def make_ticket(
    branch,
    service,
    *,
    minutes_ago: float = 0,
    priority: int = 0,
    reason: str = "",
    language: str = "",
    customer=None,
    target_counter=None,
    number: str | None = None,
):
    issued = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return Ticket.objects.create(
        branch=branch,
        service=service,
        day=timezone.localdate(),
        number=number or f"{service.letter}{next(_numbers) % 1000:03d}",
        customer=customer,
        priority=priority,
        priority_reason=reason,
        language=language,
        issued_at=issued,
        target_counter=target_counter,
    )


def make_floor(*, max_wait_minutes: int = 20):
    """A branch with the standard services, two counters for cash (1: teller Wang, 2: free)
    and one for loans (3: free), and a teller of another branch."""
    ensure_services()
    services = {s.code: s for s in Service.objects.all()}
    branch = UnitFactory()
    FloorSettings.objects.create(branch=branch, max_wait_minutes=max_wait_minutes)
    wang = make_teller(branch, name="王小明")
    return SimpleNamespace(
        branch=branch,
        s=services,
        wang=wang,
        c1=make_counter(branch, 1, services["cash"], services["cards"], staff=wang),
        c2=make_counter(branch, 2, services["cash"]),
        c3=make_counter(branch, 3, services["loans"]),
        stranger=make_teller(UnitFactory()),
    )


@pytest.fixture
def floor(db):
    return make_floor()


def call(staff, counter):
    return serving.call_next(actor=staff.user, counter_id=counter.pk)


# --- signing in ----------------------------------------------------------------------------


def test_signing_in_opens_the_counter_and_leaves_the_previous_one(floor):
    counter = serving.counter_sign_in(actor=floor.wang.user, counter_id=floor.c2.pk)
    assert (counter.staff, counter.is_open) == (floor.wang, True)
    floor.c1.refresh_from_db()
    assert (floor.c1.staff, floor.c1.is_open) == (None, False)
    kinds = list(FloorEvent.objects.order_by("at", "pk").values_list("kind", "counter__number"))
    assert kinds == [("sign_out", 1), ("sign_in", 2)]
    assert serving.teller_counter(actor=floor.wang.user) == floor.c2


def test_a_teller_may_not_move_while_serving(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    with pytest.raises(ValidationFailed) as err:
        serving.counter_sign_in(actor=floor.wang.user, counter_id=floor.c2.pk)
    assert ticket.number in str(err.value)
    floor.c2.refresh_from_db()
    assert floor.c2.staff is None


def test_a_counter_held_by_another_teller_cannot_be_taken(floor):
    li = make_teller(floor.branch, name="李四")
    with pytest.raises(ValidationFailed) as err:
        serving.counter_sign_in(actor=li.user, counter_id=floor.c1.pk)
    assert "王小明" in err.value.errors["counter"][0]
    floor.c1.refresh_from_db()
    assert floor.c1.staff == floor.wang


def test_a_teller_of_another_branch_cannot_sign_in_or_call_here(floor):
    make_ticket(floor.branch, floor.s["cash"])
    with pytest.raises(PermissionDenied):
        serving.counter_sign_in(actor=floor.stranger.user, counter_id=floor.c2.pk)
    floor.c2.staff = floor.stranger  # even if put there somehow
    floor.c2.is_open = True
    floor.c2.save()
    with pytest.raises(PermissionDenied):
        call(floor.stranger, floor.c2)
    assert not Ticket.objects.filter(status=Ticket.Status.CALLED).exists()


def test_roles_without_floor_serve_cannot_sign_in(floor):
    lobby = make_staff(Role.LOBBY_MANAGER, unit=floor.branch)
    with pytest.raises(PermissionDenied):
        serving.counter_sign_in(actor=lobby.user, counter_id=floor.c2.pk)
    with pytest.raises(NotFound):
        serving.counter_sign_in(actor=floor.wang.user, counter_id=999999)


def test_signing_out_closes_the_counter_but_not_while_serving(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    with pytest.raises(ValidationFailed):
        serving.counter_sign_out(actor=floor.wang.user, counter_id=floor.c1.pk)
    serving.finish(actor=floor.wang.user, ticket_id=ticket.pk, outcome="completed")
    serving.counter_sign_out(actor=floor.wang.user, counter_id=floor.c1.pk)
    floor.c1.refresh_from_db()
    assert (floor.c1.staff, floor.c1.is_open) == (None, False)
    assert serving.teller_counter(actor=floor.wang.user) is None


# --- calling -------------------------------------------------------------------------------


def test_call_next_takes_the_oldest_ticket_and_records_the_call(floor):
    older = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5)
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=2)
    ticket = call(floor.wang, floor.c1)
    assert ticket == older
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED
    assert (ticket.counter, ticket.served_by) == (floor.c1, floor.wang)
    assert ticket.called_at is not None
    event = FloorEvent.objects.get(kind=FloorEvent.Kind.CALL)
    assert (event.actor, event.ticket, event.counter) == (floor.wang, ticket, floor.c1)
    assert event.detail["number"] == ticket.number


def test_call_next_only_serves_the_counters_services(floor):
    make_ticket(floor.branch, floor.s["loans"], minutes_ago=15)
    assert call(floor.wang, floor.c1) is None
    cards = make_ticket(floor.branch, floor.s["cards"])
    assert call(floor.wang, floor.c1) == cards


def test_a_counter_with_a_customer_at_it_cannot_call_again(floor):
    first = make_ticket(floor.branch, floor.s["cash"], minutes_ago=3)
    make_ticket(floor.branch, floor.s["cash"])
    call(floor.wang, floor.c1)
    with pytest.raises(ValidationFailed) as err:
        call(floor.wang, floor.c1)
    assert first.number in err.value.errors["ticket"][0]
    assert "finish it or mark it a no-show" in err.value.errors["ticket"][0]
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == 1


def test_calling_needs_to_be_signed_in_at_an_open_unpaused_counter(floor):
    make_ticket(floor.branch, floor.s["cash"])
    with pytest.raises(ValidationFailed) as err:
        call(floor.wang, floor.c2)
    assert "Sign in at counter 2" in err.value.errors["counter"][0]
    serving.pause(actor=floor.wang.user, counter_id=floor.c1.pk, reason="lunch")
    with pytest.raises(ValidationFailed) as err:
        call(floor.wang, floor.c1)
    assert "paused" in err.value.errors["counter"][0]
    Counter.objects.filter(pk=floor.c1.pk).update(paused=False, is_open=False)
    with pytest.raises(ValidationFailed) as err:
        call(floor.wang, floor.c1)
    assert "closed" in err.value.errors["counter"][0]
    assert not Ticket.objects.filter(status=Ticket.Status.CALLED).exists()


def test_priorities_go_first(floor):
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=10)
    vip = make_ticket(floor.branch, floor.s["cash"], minutes_ago=1, priority=30, reason="vip")
    elderly = make_ticket(
        floor.branch, floor.s["cash"], minutes_ago=2, priority=20, reason="elderly"
    )
    assert call(floor.wang, floor.c1) == vip
    serving.finish(actor=floor.wang.user, ticket_id=vip.pk, outcome="completed")
    assert call(floor.wang, floor.c1) == elderly


def test_the_fairness_guard_serves_a_long_wait_before_any_priority(floor):
    ordinary = make_ticket(floor.branch, floor.s["cash"], minutes_ago=21)
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=1, priority=30, reason="vip")
    ticket = call(floor.wang, floor.c1)
    assert ticket == ordinary
    assert FloorEvent.objects.get(kind="call").detail["overdue"] is True


def test_language_is_routed_to_a_teller_who_speaks_it(floor):
    english = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5, language="en")
    chinese = make_ticket(floor.branch, floor.s["cash"], minutes_ago=1)
    # Counter 2 (cash) has a teller who speaks English: Wang (zh only) leaves the ticket.
    anna = make_teller(floor.branch, languages=("zh", "en"))
    serving.counter_sign_in(actor=anna.user, counter_id=floor.c2.pk)
    assert call(floor.wang, floor.c1) == chinese
    assert call(anna, floor.c2) == english


def test_language_routing_only_counts_tellers_serving_that_service(floor):
    english = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5, language="en")
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=1)
    # The English speaker sits at the loans counter: nobody else can serve the cash ticket.
    anna = make_teller(floor.branch, languages=("en",))
    serving.counter_sign_in(actor=anna.user, counter_id=floor.c3.pk)
    assert call(floor.wang, floor.c1) == english


def test_language_routing_ignores_paused_counters_and_yields_to_the_fairness_guard(floor):
    english = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5, language="en")
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=1)
    anna = make_teller(floor.branch, languages=("en",))
    serving.counter_sign_in(actor=anna.user, counter_id=floor.c2.pk)
    serving.pause(actor=anna.user, counter_id=floor.c2.pk)
    assert call(floor.wang, floor.c1) == english

    Ticket.objects.all().delete()
    overdue = make_ticket(floor.branch, floor.s["cash"], minutes_ago=25, language="en")
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=1)
    serving.resume(actor=anna.user, counter_id=floor.c2.pk)
    li = make_teller(floor.branch)
    counter4 = make_counter(floor.branch, 4, floor.s["cash"], staff=li)
    assert call(li, counter4) == overdue


# --- at the counter ------------------------------------------------------------------------


def test_recall_counts_and_is_logged(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    serving.recall(actor=floor.wang.user, ticket_id=ticket.pk)
    again = serving.recall(actor=floor.wang.user, ticket_id=ticket.pk)
    assert again.recall_count == 2
    assert FloorEvent.objects.filter(kind="recall", ticket=ticket, counter=floor.c1).count() == 2


def test_no_show_ends_the_ticket_and_frees_the_counter(floor):
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=2)
    following = make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    serving.no_show(actor=floor.wang.user, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NO_SHOW
    assert ticket.finished_at is not None
    assert call(floor.wang, floor.c1) == following
    with pytest.raises(ValidationFailed):  # a no-show is over
        serving.no_show(actor=floor.wang.user, ticket_id=ticket.pk)


def test_only_the_serving_teller_acts_on_a_ticket(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    li = make_teller(floor.branch)
    with pytest.raises(PermissionDenied):
        serving.finish(actor=li.user, ticket_id=ticket.pk, outcome="completed")
    with pytest.raises(PermissionDenied):
        serving.recall(actor=floor.stranger.user, ticket_id=ticket.pk)
    # The branch manager may close a ticket left at a counter.
    manager = make_staff(Role.BRANCH_MANAGER, unit=floor.branch)
    serving.finish(actor=manager.user, ticket_id=ticket.pk, outcome="incomplete")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.DONE


def test_finish_records_the_outcome_and_the_visit_on_the_timeline(floor):
    customer = make_customer(name_zh="张三丰", id_number=resident_id(datetime.date(1980, 5, 17)))
    make_ticket(floor.branch, floor.s["cash"], customer=customer, minutes_ago=4)
    ticket = call(floor.wang, floor.c1)
    done = serving.finish(
        actor=floor.wang.user, ticket_id=ticket.pk, outcome="referred", note="wants a mortgage"
    )
    assert done.status == Ticket.Status.DONE
    assert (done.outcome, done.outcome_note) == ("referred", "wants a mortgage")
    visit = Interaction.objects.get(customer=customer)
    assert visit.kind == Interaction.Kind.VISIT
    assert (visit.channel, visit.outcome) == ("branch", "referred")
    assert (visit.staff, visit.unit) == (floor.wang, floor.branch)
    assert ticket.number in visit.summary
    assert "wants a mortgage" in visit.summary
    assert visit.detail["ticket"] == ticket.pk
    assert FloorEvent.objects.get(kind="finish").detail["outcome"] == "referred"


def test_finish_rejects_a_bad_outcome_and_changes_nothing(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    with pytest.raises(ValidationFailed) as err:
        serving.finish(actor=floor.wang.user, ticket_id=ticket.pk, outcome="great")
    assert "outcome" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        serving.finish(
            actor=floor.wang.user, ticket_id=ticket.pk, outcome="completed", note="x" * 301
        )
    assert "note" in err.value.errors
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED
    assert not FloorEvent.objects.filter(kind="finish").exists()


def test_finish_without_a_known_customer_writes_no_timeline(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    serving.finish(actor=floor.wang.user, ticket_id=ticket.pk, outcome="completed")
    assert not Interaction.objects.exists()


# --- transfer ------------------------------------------------------------------------------


def test_transfer_keeps_the_number_customer_and_priority(floor):
    customer = make_customer(name_zh="李秀英")
    make_ticket(
        floor.branch,
        floor.s["cash"],
        customer=customer,
        priority=20,
        reason="elderly",
        language="en",
        minutes_ago=6,
        number="A042",
    )
    ticket = call(floor.wang, floor.c1)
    new = serving.transfer(actor=floor.wang.user, ticket_id=ticket.pk, service_code="loans")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRANSFERRED
    assert ticket.finished_at is not None
    assert new.status == Ticket.Status.WAITING
    assert (new.number, new.customer, new.service.code) == ("A042", customer, "loans")
    assert (new.priority, new.priority_reason) == (20, Ticket.Reason.TRANSFER)
    assert (new.language, new.transferred_from) == ("en", ticket)
    assert new.issued_at >= ticket.called_at
    event = FloorEvent.objects.get(kind="transfer")
    assert (event.detail["new_ticket"], event.detail["service"]) == (new.pk, "loans")
    # The loans counter picks it up, ahead of an ordinary ticket issued before it.
    make_ticket(floor.branch, floor.s["loans"], minutes_ago=3)
    li = make_teller(floor.branch, languages=("zh", "en"))
    serving.counter_sign_in(actor=li.user, counter_id=floor.c3.pk)
    assert call(li, floor.c3) == new


def test_transfer_to_a_counter_sends_it_there_even_if_it_does_not_handle_the_service(floor):
    make_ticket(floor.branch, floor.s["cash"], number="A007")
    ticket = call(floor.wang, floor.c1)
    new = serving.transfer(actor=floor.wang.user, ticket_id=ticket.pk, counter_id=floor.c3.pk)
    assert (new.service.code, new.target_counter) == ("cash", floor.c3)
    make_ticket(floor.branch, floor.s["loans"])  # issued after the transfer
    li = make_teller(floor.branch)
    serving.counter_sign_in(actor=li.user, counter_id=floor.c3.pk)
    assert call(li, floor.c3) == new  # sent to this counter: called first here


def test_a_ticket_sent_to_one_counter_is_not_called_by_another(floor):
    make_ticket(floor.branch, floor.s["cash"], number="A008")
    ticket = call(floor.wang, floor.c1)
    serving.transfer(actor=floor.wang.user, ticket_id=ticket.pk, counter_id=floor.c3.pk)
    anna = make_teller(floor.branch)
    serving.counter_sign_in(actor=anna.user, counter_id=floor.c2.pk)
    assert call(anna, floor.c2) is None


def test_transfer_needs_somewhere_else_to_go(floor):
    make_ticket(floor.branch, floor.s["cash"])
    ticket = call(floor.wang, floor.c1)
    for kwargs, field in (
        ({}, "service"),
        ({"service_code": "cash"}, "service"),
        ({"service_code": "nope"}, "service"),
        ({"counter_id": floor.c1.pk}, "counter"),
        ({"counter_id": 999999}, "counter"),
    ):
        with pytest.raises(ValidationFailed) as err:
            serving.transfer(actor=floor.wang.user, ticket_id=ticket.pk, **kwargs)
        assert field in err.value.errors, kwargs
    other = make_counter(UnitFactory(), 1, floor.s["cash"])
    with pytest.raises(ValidationFailed):
        serving.transfer(actor=floor.wang.user, ticket_id=ticket.pk, counter_id=other.pk)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED
    assert Ticket.objects.count() == 1


# --- out of order --------------------------------------------------------------------------


def test_serve_specific_requires_a_reason(floor):
    make_ticket(floor.branch, floor.s["cash"], minutes_ago=5)
    wanted = make_ticket(floor.branch, floor.s["cash"])
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as err:
            serving.serve_specific(
                actor=floor.wang.user, counter_id=floor.c1.pk, ticket_id=wanted.pk, reason=reason
            )
        assert "reason" in err.value.errors
    wanted.refresh_from_db()
    assert wanted.status == Ticket.Status.WAITING
    assert not FloorEvent.objects.exists()


def test_serve_specific_calls_that_ticket_and_logs_why(floor):
    first = make_ticket(floor.branch, floor.s["cash"], minutes_ago=5, number="A001")
    wanted = make_ticket(floor.branch, floor.s["cash"], number="A002")
    ticket = serving.serve_specific(
        actor=floor.wang.user,
        counter_id=floor.c1.pk,
        ticket_id=wanted.pk,
        reason="came back with the missing document",
    )
    assert ticket == wanted
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED
    assert ticket.out_of_order_reason == "came back with the missing document"
    event = FloorEvent.objects.get(kind="serve_specific")
    assert event.actor == floor.wang
    assert event.detail["reason"] == "came back with the missing document"
    assert event.detail["next_in_line"] == first.number


def test_serve_specific_only_takes_a_waiting_ticket_of_this_branch(floor):
    make_ticket(floor.branch, floor.s["cash"])
    taken = call(floor.wang, floor.c1)
    anna = make_teller(floor.branch)
    serving.counter_sign_in(actor=anna.user, counter_id=floor.c2.pk)
    with pytest.raises(ValidationFailed) as err:
        serving.serve_specific(
            actor=anna.user, counter_id=floor.c2.pk, ticket_id=taken.pk, reason="x"
        )
    assert "no longer waiting" in err.value.errors["ticket"][0]
    elsewhere = make_ticket(UnitFactory(), floor.s["cash"])
    with pytest.raises(NotFound):
        serving.serve_specific(
            actor=anna.user, counter_id=floor.c2.pk, ticket_id=elsewhere.pk, reason="x"
        )


# --- pause ---------------------------------------------------------------------------------


def test_pause_and_resume_are_logged(floor):
    serving.pause(actor=floor.wang.user, counter_id=floor.c1.pk, reason="break")
    floor.c1.refresh_from_db()
    assert (floor.c1.paused, floor.c1.pause_reason, floor.c1.accepting) == (True, "break", False)
    serving.resume(actor=floor.wang.user, counter_id=floor.c1.pk)
    floor.c1.refresh_from_db()
    assert (floor.c1.paused, floor.c1.accepting) == (False, True)
    assert list(FloorEvent.objects.order_by("at", "pk").values_list("kind", flat=True)) == [
        "pause",
        "resume",
    ]
    assert FloorEvent.objects.get(kind="pause").detail["reason"] == "break"
    with pytest.raises(ValidationFailed):
        serving.pause(actor=floor.wang.user, counter_id=floor.c1.pk, reason="x" * 101)


# --- live ----------------------------------------------------------------------------------


def test_a_call_tells_the_branchs_live_pages_after_commit(
    floor, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(floor.branch.pk), channel)
    try:
        make_ticket(floor.branch, floor.s["cash"])
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            call(floor.wang, floor.c1)
        assert len(callbacks) == 1
        message = async_to_sync(layer.receive)(channel)
        assert message == {"type": "floor.changed", "what": "call"}
    finally:
        async_to_sync(layer.group_discard)(group_name(floor.branch.pk), channel)


# --- the teller's short profile ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name_zh": "张三丰", "gender": "M"}, "张先生"),
        ({"name_zh": "李秀英", "gender": "F"}, "李女士"),
        ({"name_zh": "欧阳娜娜", "gender": "F"}, "欧阳女士"),
        ({"name_zh": "王芳", "gender": "U"}, "王芳"),
        ({"name_zh": "", "name_latin": "John Smith", "gender": "M"}, "Mr John Smith"),
        (
            {
                "name_zh": "史密斯",
                "name_latin": "Jane Smith",
                "gender": "F",
                "preferred_language": "en",
            },
            "Ms Jane Smith",
        ),
    ],
)
def test_greeting_by_name(db, data, expected):
    assert serving.greeting(make_customer(**data)) == expected


def test_the_profile_is_audited_once_per_ticket_and_shows_no_identity(floor):
    customer = make_customer(
        name_zh="张三丰",
        id_number=resident_id(datetime.date(1980, 5, 17)),
        phones=["+86 138 0013 8000"],
        value_tier="wealth",
    )
    deposit = ProductFactory(code="dep1", name_zh="一年期定期存款", name_en="1-year deposit")
    Holding.objects.create(customer=customer, product=deposit, balance=1000)
    make_ticket(floor.branch, floor.s["cash"], customer=customer)
    ticket = call(floor.wang, floor.c1)
    brief = serving.customer_brief(actor=floor.wang.user, ticket=ticket)
    serving.customer_brief(actor=floor.wang.user, ticket=ticket)  # the page refreshed
    assert brief.greeting == "张先生"
    assert brief.tier == "Wealth"
    assert brief.products == ["1-year deposit"]
    assert brief.offer is None  # no serving propensity model
    views = AuditEvent.objects.filter(action="customer.view", customer_id=customer.pk)
    assert views.count() == 1
    assert views.get().detail["ticket"] == ticket.pk
    assert not hasattr(brief, "id_number")
    assert not hasattr(brief, "phones")


def test_offer_made_is_recorded_for_the_teller_at_the_branch(floor):
    customer = make_customer(name_zh="张三丰")
    fund = ProductFactory(code="fund1", name_zh="稳健基金", name_en="Steady fund")
    make_ticket(floor.branch, floor.s["cash"], customer=customer)
    ticket = call(floor.wang, floor.c1)
    event = serving.offer_made(actor=floor.wang.user, ticket_id=ticket.pk, product_code="fund1")
    assert (event.stage, event.channel, event.staff, event.unit) == (
        "offered",
        "branch",
        floor.wang,
        floor.branch,
    )
    assert OfferEvent.objects.get().product == fund
    with pytest.raises(ValidationFailed):
        serving.offer_made(actor=floor.wang.user, ticket_id=ticket.pk, product_code="nope")


def test_the_waiting_list_groups_by_service_in_calling_order(floor):
    ordinary = make_ticket(floor.branch, floor.s["cash"], minutes_ago=8)
    vip = make_ticket(floor.branch, floor.s["cash"], minutes_ago=1, priority=30, reason="vip")
    overdue = make_ticket(floor.branch, floor.s["cash"], minutes_ago=30)
    cards = make_ticket(floor.branch, floor.s["cards"])
    make_ticket(floor.branch, floor.s["loans"])
    groups = serving.waiting_for_counter(floor.c1)
    assert [g.title for g in groups] == ["Cash", "Cards"]
    assert [r.ticket for r in groups[0].rows] == [overdue, vip, ordinary]
    assert [r.overdue for r in groups[0].rows] == [True, False, False]
    assert groups[0].rows[2].waited_min == 8
    assert [r.ticket for r in groups[1].rows] == [cards]
