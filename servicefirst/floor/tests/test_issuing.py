"""Issuing tickets: numbering, identification, priorities, language, what is recorded."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.customers.tests.factories import make_customer
from servicefirst.floor import issuing, selectors
from servicefirst.floor.models import FloorEvent, Service, Ticket
from servicefirst.floor.tests.queue_factories import make_branch, make_counter, service

pytestmark = pytest.mark.django_db

PHONE = "+86 138 0013 8000"


@pytest.fixture
def branch():
    return make_branch()


def issue(branch, code="cash", **kw):
    return issuing.ticket_issue(branch_id=branch.pk, service_code=code, **kw)


# --- numbering -------------------------------------------------------------------------------


def test_numbers_run_per_service_letter_at_each_branch(branch):
    # given another branch
    other = make_branch()
    # when tickets are taken for cash, cash, cards, and cash elsewhere
    a1, a2 = issue(branch), issue(branch)
    c1 = issue(branch, "cards")
    elsewhere = issue(other)
    # then each letter counts on its own, from 001, per branch
    assert [a1.number, a2.number, c1.number] == ["A001", "A002", "C001"]
    assert elsewhere.number == "A001"
    assert a1.day == timezone.localdate()


def test_numbers_start_again_each_day(branch):
    today = issue(branch)
    yesterday = today.day - datetime.timedelta(days=1)
    assert issuing.ticket_number_next(branch.pk, yesterday, "A") == "A001"
    assert issuing.ticket_number_next(branch.pk, today.day, "A") == "A002"


@pytest.mark.django_db(transaction=True)
def test_concurrent_kiosks_never_print_the_same_number():
    branch = make_branch()
    numbers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def kiosk():
        try:
            start.wait()
            for _i in range(5):
                numbers.append(issue(branch).number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=kiosk) for _i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert sorted(numbers) == [f"A{n:03d}" for n in range(1, 21)]


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["13800138000", "138-0013-8000", "+86 138 0013 8000", "008613800138000"]
)
def test_visitor_is_found_by_phone_in_any_format(branch, typed):
    zhang = make_customer(name_zh="张三丰", phones=[PHONE], home_branch=branch)
    ticket = issue(branch, identify=typed)
    assert ticket.customer == zhang
    assert ticket.identified_by == "phone"


def test_visitor_is_found_by_card_or_customer_number(branch):
    zhang = make_customer(name_zh="张三丰")
    short = str(int(zhang.number[1:]))
    assert issue(branch, identify=zhang.number).customer == zhang
    assert issue(branch, identify=zhang.number.lower()).customer == zhang
    found = issue(branch, identify=short)
    assert found.customer == zhang
    assert found.identified_by == "number"


def test_a_shared_phone_finds_the_customer_of_this_branch(branch):
    make_customer(name_zh="李四", phones=[PHONE], home_branch=make_branch())
    here = make_customer(name_zh="李秀英", phones=[PHONE], home_branch=branch)
    assert issue(branch, identify=PHONE).customer == here


def test_unknown_identification_is_refused_on_its_field_and_issues_nothing(branch):
    with pytest.raises(ValidationFailed) as exc:
        issue(branch, identify="13900000000")
    assert list(exc.value.errors) == ["identify"]
    assert "could not find" in exc.value.errors["identify"][0]
    assert not Ticket.objects.exists()
    assert not FloorEvent.objects.exists()


def test_unknown_or_unoffered_service_is_refused_naming_the_field(branch):
    with pytest.raises(ValidationFailed) as exc:
        issue(branch, "teleport")
    assert list(exc.value.errors) == ["service"]
    settings = selectors.floor_settings(branch.pk)
    settings.services.remove(service("fx"))
    with pytest.raises(ValidationFailed) as exc:
        issue(branch, "fx")
    assert "does not offer" in exc.value.errors["service"][0]
    with pytest.raises(ValidationFailed) as exc:
        issue(branch, "")
    assert exc.value.errors["service"] == ["Choose a service."]
    assert not Ticket.objects.exists()


def test_both_bad_service_and_identification_are_reported_together(branch):
    with pytest.raises(ValidationFailed) as exc:
        issue(branch, "nope", identify="no-such-person")
    assert set(exc.value.errors) == {"service", "identify"}


def test_an_unknown_branch_is_not_found():
    with pytest.raises(NotFound):
        issuing.ticket_issue(branch_id=999999, service_code="cash")


def test_an_inactive_service_is_refused(branch):
    Service.objects.filter(code="loans").update(is_active=False)
    with pytest.raises(ValidationFailed):
        issue(branch, "loans")


# --- priorities and language -----------------------------------------------------------------


def test_ordinary_visitor_has_no_priority(branch):
    ticket = issue(branch)
    assert (ticket.priority, ticket.priority_reason) == (0, "")


def test_vip_tier_gives_the_branchs_points(branch):
    settings = selectors.floor_settings(branch.pk)
    settings.vip_priority = {"private": 30, "wealth": 22}
    settings.save()
    rich = make_customer(name_zh="钱多多", phones=["13911112222"], value_tier="wealth")
    ticket = issue(branch, identify="13911112222")
    assert (ticket.priority, ticket.priority_reason) == (22, "vip")
    mass = make_customer(name_zh="王五", phones=["13911113333"], value_tier="mass")
    assert issue(branch, identify="13911113333").priority == 0
    assert rich.pk != mass.pk


def test_elderly_by_birth_date_or_by_the_button(branch):
    settings = selectors.floor_settings(branch.pk)
    settings.elderly_age = 70
    settings.elderly_priority = 18
    settings.save()
    old = make_customer(name_zh="老李", phones=["13911114444"], birth_date="1940-03-01")
    young = make_customer(name_zh="小李", phones=["13911115555"], birth_date="1990-03-01")
    assert old.age >= 70
    by_age = issue(branch, identify="13911114444")
    assert (by_age.priority, by_age.priority_reason) == (18, "elderly")
    assert issue(branch, identify="13911115555").priority == 0
    declared = issue(branch, elderly=True)
    assert (declared.priority, declared.priority_reason) == (18, "elderly")
    assert young.age < 70


def test_disabled_button_gives_its_priority_and_the_largest_reason_wins(branch):
    settings = selectors.floor_settings(branch.pk)
    settings.disabled_priority = 25
    settings.vip_priority = {"private": 30}
    settings.save()
    ticket = issue(branch, disabled=True)
    assert (ticket.priority, ticket.priority_reason) == (25, "disabled")
    make_customer(name_zh="私行客户", phones=["13911116666"], value_tier="private")
    both = issue(branch, identify="13911116666", disabled=True)
    assert (both.priority, both.priority_reason) == (30, "vip")


def test_language_set_when_the_customer_prefers_one_other_than_chinese(branch):
    make_customer(name_zh="陈大文", phones=["13911117777"], preferred_language="en")
    make_customer(name_zh="王小二", phones=["13911118888"], preferred_language="zh")
    assert issue(branch, identify="13911117777").language == "en"
    assert issue(branch, identify="13911118888").language == ""
    assert issue(branch).language == ""


# --- what is recorded ------------------------------------------------------------------------


def test_identified_visit_goes_on_the_customers_timeline(branch):
    zhang = make_customer(name_zh="张三丰", phones=[PHONE])
    ticket = issue(branch, identify=PHONE)
    visit = Interaction.objects.get(customer=zhang, kind=Interaction.Kind.VISIT)
    assert ticket.number in visit.summary
    assert visit.unit == branch
    assert visit.detail["ticket_id"] == ticket.pk
    # an anonymous ticket leaves no timeline entry
    issue(branch)
    assert Interaction.objects.count() == 1


def test_issue_is_logged_with_the_staff_member_who_issued_it(branch):
    lobby = make_staff(Role.LOBBY_MANAGER, unit=branch)
    ticket = issue(branch, actor=lobby.user)
    event = FloorEvent.objects.get(kind=FloorEvent.Kind.ISSUE)
    assert (event.ticket, event.actor, event.branch) == (ticket, lobby, branch)
    assert event.detail["number"] == ticket.number
    kiosk = issue(branch)
    assert FloorEvent.objects.get(ticket=kiosk).actor is None


def test_issued_ticket_carries_people_ahead_and_a_predicted_wait(branch):
    make_counter(branch, 1, ["cash"], staff=True)
    first = issue(branch)
    assert first.predicted_wait_s == 0  # a free counter is waiting for them
    second = issue(branch)
    third = issue(branch)
    assert selectors.people_ahead(third) == 2
    assert third.predicted_wait_s == 2 * service("cash").typical_minutes * 60
    assert second.predicted_wait_s < third.predicted_wait_s


def test_live_pages_are_told_after_commit(branch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        issue(branch)
    assert len(callbacks) == 1
