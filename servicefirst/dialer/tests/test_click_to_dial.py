"""Click-to-dial as staff notice it: a "call" button next to a customer's number on the
Customer 360 and on the hand-off / follow-up page (only for staff allowed to phone that
customer), the number masked and never in the page, "Calling…" and how the call went, and a
clear reason when it may not be made."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, UnitFactory, make_staff
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer import calls
from servicefirst.dialer.models import Call, DoNotCall
from servicefirst.dialer.tests.desk_helpers import HTMX, consenting_customer, number_callable_now

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def branch():
    return UnitFactory()


@pytest.fixture
def agent():
    return make_staff(Role.CC_AGENT, name="周晓兰")


def as_user(client, staff):
    client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_the_360_shows_a_call_button_per_number_masked(client, agent, branch):
    zhang = make_customer(phones=["13800138000", "13912345678"], home_branch=branch)
    html = as_user(client, agent).get(reverse("customers:detail", args=[zhang.pk])).content.decode()
    assert html.count('class="btn btn-sm btn-outline-success py-0 px-2 dial-button"') == 2
    assert "138****8000" in html
    assert "139****5678" in html
    assert "13800138000" not in html
    assert "13912345678" not in html
    for phone in zhang.phones.all():
        assert f'name="phone_id" value="{phone.pk}"' in html
    assert reverse("dialer:dial") in html


def test_search_results_have_a_call_button_for_staff_who_may_dial(client, agent, branch):
    make_customer(name_zh="张三丰", phones=["13800138000"], home_branch=branch)
    html = as_user(client, agent).get(reverse("customers:search"), {"q": "张三丰"}).content
    assert "dial-button" in html.decode()
    teller = make_staff(Role.TELLER, unit=branch)
    html = as_user(client, teller).get(reverse("customers:search"), {"q": "张三丰"}).content
    assert "dial-button" not in html.decode()
    assert "138****8000" in html.decode()


def test_a_teller_sees_no_call_button_and_cannot_dial(client, branch):
    teller = make_staff(Role.TELLER, unit=branch)
    zhang = make_customer(phones=["13800138000"], home_branch=branch)
    as_user(client, teller)
    html = client.get(reverse("customers:detail", args=[zhang.pk])).content.decode()
    assert "dial-button" not in html
    response = client.post(
        reverse("dialer:dial"),
        {"customer_id": zhang.pk, "phone_id": zhang.phones.get().pk},
        **HTMX,
    )
    assert response.status_code == 403
    assert not Call.objects.exists()


def test_a_branch_manager_may_phone_only_the_branchs_customers(client, branch):
    manager = make_staff(Role.BRANCH_MANAGER, unit=branch)
    ours = make_customer(phones=["13800138000"], home_branch=branch)
    theirs = make_customer(name_zh="赵三峰", phones=["13800138001"], home_branch=UnitFactory())
    as_user(client, manager)
    assert "dial-button" in client.get(reverse("customers:detail", args=[ours.pk])).content.decode()
    html = client.get(reverse("customers:detail", args=[theirs.pk])).content.decode()
    assert "dial-button" not in html
    response = client.post(reverse("dialer:dial"), {"customer_id": theirs.pk}, **HTMX)
    assert response.status_code == 403


def test_clicking_calls_the_customer_and_shows_how_it_goes(client, agent):
    number = number_callable_now()
    zhang = consenting_customer("张三丰", phone=number or "+8613800138000")
    phone = zhang.phones.get()
    html = (
        as_user(client, agent)
        .post(reverse("dialer:dial"), {"customer_id": zhang.pk, "phone_id": phone.pk}, **HTMX)
        .content.decode()
    )
    if number is None:  # a public holiday in China: nobody may be called today
        assert "Not called:" in html
        assert "public holiday" in html
        return
    call = Call.objects.get()
    assert (call.state, call.mode, call.phone, call.requested_by) == (
        "queued",
        "click",
        number,
        agent,
    )
    assert "Calling…" in html
    assert f'hx-get="{reverse("dialer:dial_status", args=[call.pk])}"' in html
    # The dialer takes it from here; the button follows the call.
    calls.mark_dialing(call.pk, adapter="simulator")
    calls.on_ringing(call.pk)
    assert "Ringing…" in client.get(reverse("dialer:dial_status", args=[call.pk])).content.decode()
    calls.on_ended(call.pk, outcome="no_answer")
    html = client.get(reverse("dialer:dial_status", args=[call.pk])).content.decode()
    assert "Call ended: No answer" in html
    assert "hx-get" not in html


def test_a_do_not_call_customer_is_not_called_and_the_page_says_why(client, agent):
    zhang = make_customer(phones=["13800138000"])
    zhang.do_not_call = True
    zhang.save()
    html = (
        as_user(client, agent)
        .post(reverse("dialer:dial"), {"customer_id": zhang.pk}, **HTMX)
        .content.decode()
    )
    assert 'role="alert"' in html
    assert "Not called:" in html
    assert "The customer is on the do-not-call list." in html
    assert not Call.objects.exists()


def test_a_number_on_the_do_not_call_list_is_not_called(client, agent):
    li = make_customer(name_zh="李秀英", phones=["13912345678"])
    DoNotCall.objects.create(phone="+8613912345678", reason=DoNotCall.Reason.REQUEST)
    html = (
        as_user(client, agent)
        .post(reverse("dialer:dial"), {"customer_id": li.pk}, **HTMX)
        .content.decode()
    )
    assert "do-not-call list" in html
    assert not Call.objects.exists()


def test_outside_the_calling_hours_the_page_says_so():
    """The page shows the service's reasons as they are; the hours are the service's rule
    (checked here at a fixed late hour, as the page cannot choose the time)."""
    from servicefirst.core.errors import ValidationFailed

    agent = make_staff(Role.CC_AGENT)
    zhang = make_customer(phones=["13800138000"])
    late = dt.datetime(2026, 12, 1, 22, 30, tzinfo=timezone.get_fixed_timezone(8 * 60))
    with pytest.raises(ValidationFailed) as err:
        calls.click_to_dial(actor=agent.user, customer_id=zhang.pk, now=late)
    assert "outside the calling hours" in " ".join(map(str, err.value.errors["phone"]))


def test_another_customers_phone_cannot_be_used(client, agent):
    zhang = make_customer(phones=["13800138000"])
    li = make_customer(name_zh="李秀英", phones=["13912345678"])
    html = (
        as_user(client, agent)
        .post(
            reverse("dialer:dial"),
            {"customer_id": zhang.pk, "phone_id": li.phones.get().pk},
            **HTMX,
        )
        .content.decode()
    )
    assert "This number is not one of the customer&#x27;s." in html
    assert not Call.objects.exists()


def test_one_call_at_a_time(client, agent):
    number = number_callable_now()
    if number is None:
        pytest.skip("a public holiday in China: the rules let nobody be called today")
    zhang = consenting_customer("张三丰", phone=number)
    Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.CLICK,
        customer=zhang,
        phone=number,
        agent=agent,
        requested_by=agent,
        state=Call.State.RINGING,
        dial_key="k-busy",
    )
    html = (
        as_user(client, agent)
        .post(reverse("dialer:dial"), {"customer_id": zhang.pk}, **HTMX)
        .content.decode()
    )
    assert "Not called: You already have a call in progress." in html
    assert Call.objects.count() == 1


def test_only_the_caller_follows_their_call(client, agent):
    zhang = make_customer(phones=["13800138000"])
    call = Call.objects.create(
        direction=Call.Direction.OUTBOUND,
        mode=Call.Mode.CLICK,
        customer=zhang,
        phone="+8613800138000",
        agent=agent,
        requested_by=agent,
        state=Call.State.QUEUED,
        dial_key="k-mine",
    )
    other = make_staff(Role.CC_AGENT)
    as_user(client, other)
    assert client.get(reverse("dialer:dial_status", args=[call.pk])).status_code == 404


def test_without_javascript_the_click_comes_back_to_the_page_with_a_message(client, agent):
    zhang = make_customer(phones=["13800138000"])
    zhang.do_not_call = True
    zhang.save()
    page = reverse("customers:detail", args=[zhang.pk])
    response = as_user(client, agent).post(
        reverse("dialer:dial"), {"customer_id": zhang.pk, "next": page}, follow=True
    )
    assert response.redirect_chain[-1][0] == page
    assert "Not called:" in response.content.decode()


def test_the_follow_up_list_offers_the_call_button(client, branch):
    from servicefirst.lobby.models import FollowUp

    rm = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch)
    zhang = make_customer(phones=["13800138000"], home_branch=branch)
    FollowUp.objects.create(
        branch=branch,
        customer=zhang,
        kind=FollowUp.Kind.CALL,
        due_at=timezone.now() + dt.timedelta(days=1),
        assigned_to=rm,
    )
    html = as_user(client, rm).get(reverse("lobby:tasks")).content.decode()
    assert "dial-button" in html
    assert "138****8000" in html
    assert "13800138000" not in html
