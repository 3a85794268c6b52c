"""The lobby pages: who may open them, the fast walk-in form (htmx, errors naming the field),
hand-over, the RM's task list with complete actions, the reports and the recognise button."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.tests.factories import PASSWORD
from servicefirst.customers.tests.factories import make_customer
from servicefirst.lobby.models import FollowUp, Handoff, Recognition, WalkIn
from servicefirst.lobby.services import handoff_create, walkin_register

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def as_user(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def test_the_lobby_page_is_for_lobby_staff(client, lobby, manager, rm, teller, services):
    assert as_user(client, lobby).get(reverse("lobby:home")).status_code == 200
    assert as_user(client, manager).get(reverse("lobby:home")).status_code == 200
    for user in (rm, teller):
        assert as_user(client, user).get(reverse("lobby:home")).status_code == 403


def test_the_lobby_page_shows_the_form_today_and_overdue(client, lobby, branch, services):
    walkin_register(actor=lobby, data={"name": "王小红", "channel": "flyer", "consent": "yes"})
    page = as_user(client, lobby).get(reverse("lobby:home")).content.decode()
    assert 'id="walkin-form"' in page
    assert "王小红" in page
    assert 'id="overdue-empty"' in page
    assert f'document.body.dataset.floorBranch = "{branch.pk}"' in page


def test_a_bad_walk_in_gets_errors_naming_the_field_and_nothing_is_saved(client, lobby, services):
    response = as_user(client, lobby).post(
        reverse("lobby:walkin"),
        {"name": "王小红", "phone": "12345", "channel": "flyer"},
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Phone:" in page
    assert "is not" in page
    assert "Agrees to be contacted" in page
    assert "yes or no" in page
    assert 'value="王小红"' in page  # what was typed is kept
    assert "is-invalid" in page
    assert not WalkIn.objects.exists()


def test_registering_a_walk_in_with_htmx(client, lobby, services):
    response = as_user(client, lobby).post(
        reverse("lobby:walkin"),
        {"name": "王小红", "phone": "13800138000", "channel": "window", "consent": "yes"},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="walkin-done"' in page
    assert 'id="handoff-this"' in page
    assert 'hx-swap-oob="innerHTML"' in page
    assert "王小红" in page
    assert "138****8000" in page  # the phone is masked in the list
    assert WalkIn.objects.get().customer.name_zh == "王小红"


def test_registering_without_htmx_redirects(client, lobby, services):
    response = as_user(client, lobby).post(reverse("lobby:walkin"), {"channel": "passing"})
    assert response.status_code == 302
    assert WalkIn.objects.count() == 1


def test_handing_over_from_the_page(client, lobby, rm, services):
    walk_in = walkin_register(
        actor=lobby,
        data={"name": "王小红", "phone": "13800138000", "channel": "flyer", "consent": "yes"},
    )
    c = as_user(client, lobby)
    form = c.get(reverse("lobby:handoff"), {"walk_in": walk_in.pk}, **HTMX).content.decode()
    assert "刘洋" in form
    assert 'type="date"' in form
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    bad = c.post(
        reverse("lobby:handoff"),
        {"walk_in": walk_in.pk, "assigned_to": rm.staff.pk, "due_on": yesterday},
        **HTMX,
    ).content.decode()
    assert "Due: The due date cannot be in the past." in bad
    assert not Handoff.objects.exists()
    ok = c.post(
        reverse("lobby:handoff"),
        {
            "walk_in": walk_in.pk,
            "assigned_to": rm.staff.pk,
            "due_on": tomorrow(),
            "note": "大额存单",
        },
        **HTMX,
    ).content.decode()
    assert "Handed to 刘洋" in ok
    assert Handoff.objects.get().note == "大额存单"


def test_the_rm_sees_and_closes_the_handoff(client, lobby, rm, services):
    walk_in = walkin_register(
        actor=lobby,
        data={"name": "王小红", "phone": "13800138000", "channel": "flyer", "consent": "yes"},
    )
    handoff = handoff_create(
        actor=lobby, walk_in_id=walk_in.pk, assigned_to_id=rm.staff.pk, due_on=tomorrow()
    )
    c = as_user(client, rm)
    page = c.get(reverse("lobby:tasks")).content.decode()
    assert "王小红" in page
    assert f'data-handoff="{handoff.pk}"' in page
    url = reverse("lobby:handoff_complete", args=[handoff.pk])
    missing = c.post(url, {"action": "done", "outcome": ""}, **HTMX).content.decode()
    assert "Outcome: Choose what came of the hand-off." in missing
    done = c.post(url, {"action": "done", "outcome": "met", "note": "已面谈"}, **HTMX)
    assert "Hand-off closed." in done.content.decode()
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DONE


def test_followups_from_the_task_list(client, lobby, rm, services):
    customer = make_customer(name_zh="王小红", phones=["13800138000"])
    c = as_user(client, rm)
    form = c.get(reverse("lobby:followup"), {"customer": customer.pk, "from": "tasks"}, **HTMX)
    assert 'type="datetime-local"' in form.content.decode()
    due = (timezone.localtime() + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        reverse("lobby:followup"),
        {"customer": customer.pk, "kind": "visit", "due_at": due, "from": "tasks"},
        **HTMX,
    )
    assert "planned" in response.content.decode()
    followup = FollowUp.objects.get()
    done = c.post(
        reverse("lobby:followup_complete", args=[followup.pk]),
        {"action": "done", "result": "客户有购房计划"},
        **HTMX,
    )
    assert "Follow-up recorded." in done.content.decode()


def test_tasks_page_is_refused_without_followup_work(client, analyst):
    assert as_user(client, analyst).get(reverse("lobby:tasks")).status_code == 403


def test_reports_open_for_the_branch_manager(client, manager, lobby, services):
    walkin_register(actor=lobby, data={"name": "王小红", "channel": "flyer", "consent": "yes"})
    c = as_user(client, manager)
    known = c.get(reverse("lobby:known")).content.decode()
    assert 'id="known-table"' in known
    assert "李娜" in known
    advertising = c.get(reverse("lobby:advertising")).content.decode()
    assert 'id="advertising-channel-chart"' in advertising
    assert 'id="total-walkins">1<' in advertising


def test_reports_for_all_branches_for_the_analyst(client, analyst, branch):
    page = as_user(client, analyst).get(reverse("lobby:advertising")).content.decode()
    assert "All branches" in page
    assert str(branch) in page


def test_report_dates_are_checked(client, manager):
    page = (
        as_user(client, manager)
        .get(reverse("lobby:known"), {"day_from": "2026-03-10", "day_to": "2026-03-01"})
        .content.decode()
    )
    assert "The end date is before the start date." in page


def test_reports_refused_to_a_teller(client, teller):
    assert as_user(client, teller).get(reverse("lobby:known")).status_code == 403


def test_the_recognise_button(client, teller, branch):
    customer = make_customer(name_zh="张三丰", home_branch=branch)
    request = RequestFactory().get("/floor/teller/")
    request.user = teller
    button = render_to_string(
        "lobby/_recognise_button.html", {"customer": customer, "ticket": None}, request=request
    )
    assert "I know this customer" in button
    response = as_user(client, teller).post(
        reverse("lobby:recognise"), {"customer_id": customer.pk}, **HTMX
    )
    assert response.status_code == 200
    assert "You know this customer" in response.content.decode()
    assert Recognition.objects.filter(staff=teller.staff, customer=customer).count() == 1
    again = render_to_string(
        "lobby/_recognise_button.html", {"customer": customer, "ticket": None}, request=request
    )
    assert "You know this customer" in again


def test_recognise_refused_to_an_rm(client, rm, branch):
    customer = make_customer(name_zh="张三丰", home_branch=branch)
    response = as_user(client, rm).post(reverse("lobby:recognise"), {"customer_id": customer.pk})
    assert response.status_code == 403


def test_care_prompts_for_the_visitor_just_met(client, lobby, branch, services):
    # given an elderly customer (the bank's care rules prompt a seat and priority)
    make_customer(
        name_zh="张老先生", phones=["13800138000"], birth_date="1940-05-17", home_branch=branch
    )
    # when the lobby manager registers their arrival
    response = as_user(client, lobby).post(
        reverse("lobby:walkin"),
        {"phone": "13800138000", "channel": "passing", "consent": "no"},
        **HTMX,
    )
    # then the care prompts are shown at once, with done/skip buttons
    page = response.content.decode()
    assert 'id="lobby-care-prompts"' in page
    assert 'data-rule="elderly"' in page
    assert reverse("care:resolve") in page


def test_just_arrived_customers_with_care_prompts_audited_once(client, lobby, branch, services):
    from servicefirst.core.models import AuditEvent
    from servicefirst.floor.models import Ticket

    # given an elderly customer who just took a ticket, and one who came an hour ago
    elder = make_customer(name_zh="张老先生", birth_date="1940-05-17", home_branch=branch)
    earlier = make_customer(name_zh="李早到", home_branch=branch)
    today = timezone.localdate()
    Ticket.objects.create(
        branch=branch, service=services["cash"], day=today, number="A001", customer=elder
    )
    Ticket.objects.create(
        branch=branch,
        service=services["cash"],
        day=today,
        number="A000",
        customer=earlier,
        issued_at=timezone.now() - datetime.timedelta(hours=1),
    )
    c = as_user(client, lobby)
    # when the lobby manager opens the page (and it refreshes)
    page = c.get(reverse("lobby:home")).content.decode()
    again = c.get(reverse("lobby:arrivals"), **HTMX).content.decode()
    # then the new arrival is there to be greeted, with the care prompt and the recognise button
    for html in (page, again):
        assert "张老先生" in html
        assert "李早到" not in html
        assert 'data-rule="elderly"' in html
        assert "I know this customer" in html
    # and the look at the customer is audited once
    assert AuditEvent.objects.filter(customer_id=elder.pk, object_type="ticket").count() == 1
