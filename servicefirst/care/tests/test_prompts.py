"""Prompts are raised once per visit, returned while open, and marked done or skipped."""

import datetime

import pytest
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.care import services
from servicefirst.care.models import CarePrompt
from servicefirst.care.tests.helpers import customer, floor_branch, rules_only, ticket, years_ago
from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.customers.models import Interaction
from servicefirst.floor.models import FloorSettings, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    b = floor_branch(raining=True)
    rules_only("umbrella", "birthday")
    return b


@pytest.fixture
def teller(branch):
    return make_staff(Role.TELLER, unit=branch, name="王小明").user


@pytest.fixture
def lobby(branch):
    return make_staff(Role.LOBBY_MANAGER, unit=branch, name="李娜").user


@pytest.fixture
def zhang():
    return customer(name_zh="张三丰", birth_date=years_ago(45))


def visit(actor, branch, c, t=None, audience="teller"):
    return services.prompts_for_visit(
        actor=actor,
        branch_id=branch.pk,
        customer_id=c.pk,
        audience=audience,
        ticket_id=t.pk if t else None,
    )


def test_prompts_are_created_once_per_ticket(branch, teller, zhang):
    t = ticket(branch, zhang)
    first = visit(teller, branch, zhang, t)
    again = visit(teller, branch, zhang, t)
    assert [p.rule.code for p in first] == ["umbrella", "birthday"]
    assert [p.pk for p in again] == [p.pk for p in first]
    assert CarePrompt.objects.count() == 2
    assert {p.ticket_id for p in first} == {t.pk}


def test_once_per_customer_branch_and_day_without_a_ticket(branch, lobby, zhang):
    first = visit(lobby, branch, zhang, audience="lobby")
    again = visit(lobby, branch, zhang, audience="lobby")
    assert len(first) == 2
    assert [p.pk for p in again] == [p.pk for p in first]
    assert CarePrompt.objects.count() == 2


def test_a_ticket_taken_after_the_lobby_met_the_customer_takes_over_its_prompts(
    branch, lobby, teller, zhang
):
    met = visit(lobby, branch, zhang, audience="lobby")
    t = ticket(branch, zhang)
    at_counter = visit(teller, branch, zhang, t)
    assert [p.pk for p in at_counter] == [p.pk for p in met]
    assert set(CarePrompt.objects.values_list("ticket_id", flat=True)) == {t.pk}


def test_a_transfer_continues_the_visit(branch, teller, zhang):
    first = ticket(branch, zhang, status=Ticket.Status.TRANSFERRED)
    raised = visit(teller, branch, zhang, first)
    continued = ticket(branch, zhang, service="account", transferred_from=first)
    assert [p.pk for p in visit(teller, branch, zhang, continued)] == [p.pk for p in raised]
    assert CarePrompt.objects.count() == 2


def test_a_second_visit_the_same_day_is_prompted_again(branch, teller, zhang):
    visit(teller, branch, zhang, ticket(branch, zhang))
    later = ticket(branch, zhang, issued_at=timezone.now() + datetime.timedelta(hours=2))
    assert len(visit(teller, branch, zhang, later)) == 2
    assert CarePrompt.objects.count() == 4


def test_a_prompt_once_raised_stays_when_the_rain_stops(branch, teller, zhang):
    t = ticket(branch, zhang)
    visit(teller, branch, zhang, t)
    FloorSettings.objects.filter(branch=branch).update(raining=False)
    assert [p.rule.code for p in visit(teller, branch, zhang, t)] == ["umbrella", "birthday"]


def test_only_open_prompts_for_the_audience_are_returned(branch, teller, zhang):
    t = ticket(branch, zhang)
    umbrella, birthday = visit(teller, branch, zhang, t)
    services.prompt_resolve(actor=teller, prompt_id=umbrella.pk, status="done")
    assert [p.pk for p in visit(teller, branch, zhang, t)] == [birthday.pk]
    CarePrompt.objects.filter(pk=birthday.pk).update(audience="lobby")
    assert visit(teller, branch, zhang, t) == []


def test_done_is_recorded_by_whom_and_when_and_on_the_timeline(branch, teller, zhang):
    t = ticket(branch, zhang)
    umbrella = visit(teller, branch, zhang, t)[0]
    # when
    done = services.prompt_resolve(actor=teller, prompt_id=umbrella.pk, status="done")
    # then
    assert done.status == "done"
    assert done.resolved_by.name == "王小明"
    assert done.resolved_at is not None
    note = Interaction.objects.get(customer=zhang)
    assert note.kind == Interaction.Kind.NOTE
    assert note.summary == "Care: It is raining: offer 张三丰 an umbrella when they leave."
    assert note.staff.name == "王小明"
    assert note.unit == branch
    assert note.detail["care_prompt"] == umbrella.pk


def test_skipped_is_not_put_on_the_timeline(branch, teller, zhang):
    prompt = visit(teller, branch, zhang)[1]
    skipped = services.prompt_resolve(actor=teller, prompt_id=prompt.pk, status="skipped")
    assert skipped.status == "skipped"
    assert skipped.resolved_by is not None
    assert not Interaction.objects.filter(customer=zhang).exists()


def test_a_prompt_is_resolved_once(branch, teller, zhang):
    prompt = visit(teller, branch, zhang)[0]
    services.prompt_resolve(actor=teller, prompt_id=prompt.pk, status="done")
    with pytest.raises(ValidationFailed) as exc:
        services.prompt_resolve(actor=teller, prompt_id=prompt.pk, status="skipped")
    assert exc.value.errors == {"status": ["This prompt was already marked done."]}
    assert Interaction.objects.filter(customer=zhang).count() == 1


def test_resolve_rejects_a_bad_status_and_changes_nothing(branch, teller, zhang):
    prompt = visit(teller, branch, zhang)[0]
    with pytest.raises(ValidationFailed) as exc:
        services.prompt_resolve(actor=teller, prompt_id=prompt.pk, status="open")
    assert "status" in exc.value.errors
    prompt.refresh_from_db()
    assert prompt.status == "open"


def test_staff_of_another_branch_cannot_see_or_resolve(branch, teller, zhang):
    prompt = visit(teller, branch, zhang)[0]
    stranger = make_staff(Role.TELLER, unit=floor_branch()).user
    with pytest.raises(NotFound):
        services.prompt_resolve(actor=stranger, prompt_id=prompt.pk, status="done")
    with pytest.raises(NotFound):
        visit(stranger, branch, zhang)
    analyst = make_staff(Role.MARKETING_ANALYST).user  # no floor work
    with pytest.raises(NotFound):
        visit(analyst, branch, zhang)


def test_visit_input_is_checked(branch, teller, zhang):
    with pytest.raises(ValidationFailed):
        visit(teller, branch, zhang, audience="board")
    other = customer(name_zh="别人")
    with pytest.raises(ValidationFailed) as exc:
        visit(teller, branch, zhang, ticket(branch, other))
    assert "ticket_id" in exc.value.errors
    with pytest.raises(NotFound):
        visit(teller, branch, zhang, ticket(floor_branch(), zhang))
    assert CarePrompt.objects.count() == 0


def test_open_prompts_for_the_lobby_cover_the_customers_in_the_hall(branch, lobby, teller):
    waiting = customer(name_zh="等候", birth_date=years_ago(30))
    served = customer(name_zh="已办", birth_date=years_ago(30))
    gone = customer(name_zh="已走", birth_date=years_ago(30))
    ticket(branch, waiting)
    ticket(branch, served, status=Ticket.Status.CALLED)
    ticket(branch, gone, status=Ticket.Status.DONE)
    ticket(branch, None)  # not identified: nothing to say
    yesterday = customer(name_zh="昨天", birth_date=years_ago(30))
    ticket(branch, yesterday, issued_at=timezone.now() - datetime.timedelta(days=1))
    met = customer(name_zh="大堂见到")
    visit(lobby, branch, met, audience="lobby")  # met without a ticket: umbrella only
    # when
    found = services.open_prompts(actor=lobby, branch_id=branch.pk, audience="lobby")
    # then
    names = sorted({p.customer.name_zh for p in found})
    assert names == ["大堂见到", "已办", "等候"]
    assert len(found) == 5
    again = services.open_prompts(actor=lobby, branch_id=branch.pk, audience="lobby")
    assert [p.pk for p in again] == [p.pk for p in found]
    # marking one done takes it off the list
    services.prompt_resolve(actor=lobby, prompt_id=found[0].pk, status="done")
    assert len(services.open_prompts(actor=lobby, branch_id=branch.pk, audience="lobby")) == 4
    # the teller then sees the same visit's prompts at the counter, not new ones
    t = Ticket.objects.get(customer=waiting)
    at_counter = visit(teller, branch, waiting, t)
    assert {p.pk for p in at_counter} <= {p.pk for p in found}
