"""The teller's page (floor:teller): who may open it, signing in at a counter, the buttons
(htmx and plain posts), the live waiting list, out-of-order service with its reason, and the
customer's short profile (greeting, tier, products, care prompts; audited, nothing unmasked)."""

import datetime

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Holding, Interaction
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id
from servicefirst.floor.models import FloorEvent, Ticket
from servicefirst.floor.tests.test_serving import make_floor, make_teller, make_ticket
from servicefirst.insights.models import OfferEvent

HTMX = {"HTTP_HX_REQUEST": "true"}
ZHANG_ID = resident_id(datetime.date(1980, 5, 17))


@pytest.fixture
def floor(db):
    return make_floor()


@pytest.fixture
def wang(client, floor):
    client.login(username=floor.wang.user.username, password=PASSWORD)
    return client


@pytest.fixture
def zhang(db):
    customer = make_customer(
        name_zh="张三丰",
        name_latin="Zhang Sanfeng",
        id_number=ZHANG_ID,
        phones=["+86 138 0013 8000"],
        value_tier="affluent",
    )
    deposit = ProductFactory(code="dep1y", name_zh="一年期定期存款", name_en="1-year deposit")
    Holding.objects.create(customer=customer, product=deposit, balance=250000)
    return customer


def test_the_page_needs_a_login_and_the_right_to_serve(client, floor):
    url = reverse("floor:teller")
    assert url == "/floor/teller/"
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    lobby = make_staff(Role.LOBBY_MANAGER, unit=floor.branch)
    client.login(username=lobby.user.username, password=PASSWORD)
    assert client.get(url).status_code == 403
    assert client.post(reverse("floor:teller_call")).status_code == 403


def test_a_teller_without_a_counter_chooses_one_of_their_branch(client, floor):
    li = make_teller(floor.branch, name="李四")
    client.login(username=li.user.username, password=PASSWORD)
    page = client.get(reverse("floor:teller")).content.decode()
    assert "Choose your counter" in page
    assert page.count('class="card h-100 counter-choice"') == 3
    assert "王小明 is at this counter." in page
    response = client.post(reverse("floor:teller_sign_in"), {"counter_id": floor.c2.pk})
    assert response.status_code == 302
    page = client.get(reverse("floor:teller")).content.decode()
    assert "Counter 2" in page
    assert 'id="btn-call"' in page
    assert f'document.body.dataset.floorBranch = "{floor.branch.pk}"' in page
    assert "floor/live.js" in page


def test_a_teller_cannot_sign_in_at_another_branchs_counter(client, floor):
    client.login(username=floor.stranger.user.username, password=PASSWORD)
    response = client.post(reverse("floor:teller_sign_in"), {"counter_id": floor.c2.pk})
    assert response.status_code == 403
    floor.c2.refresh_from_db()
    assert floor.c2.staff is None


def test_call_next_recall_and_finish_through_htmx(wang, floor, zhang):
    make_ticket(floor.branch, floor.s["cash"], customer=zhang, number="A001", minutes_ago=3)
    response = wang.post(reverse("floor:teller_call"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "floor-changed"
    html = response.content.decode()
    assert 'id="ticket-number">A001<' in html
    assert "Greet:" in html
    assert "张先生" in html
    assert "Affluent" in html
    assert "1-year deposit" in html
    assert "中文（普通话）" in html
    assert 'hx-swap-oob="true"' in html  # clears a half-filled out-of-order form
    ticket = Ticket.objects.get(number="A001")
    response = wang.post(reverse("floor:teller_recall", args=[ticket.pk]), **HTMX)
    assert "recalled 1 time" in response.content.decode()
    response = wang.post(
        reverse("floor:teller_finish", args=[ticket.pk]),
        {"outcome": "completed", "note": "renewed the deposit"},
        **HTMX,
    )
    html = response.content.decode()
    assert "A001 finished: Completed." in html
    assert 'id="btn-call"' in html
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome) == ("done", "completed")
    assert Interaction.objects.get(customer=zhang, kind="visit").summary.endswith(
        "renewed the deposit"
    )


def test_the_profile_shows_no_personal_identifiers_and_is_audited_once(wang, floor, zhang):
    make_ticket(floor.branch, floor.s["cash"], customer=zhang)
    wang.post(reverse("floor:teller_call"))
    for _ in range(3):  # the page reloaded, actions re-rendering the panel
        html = wang.get(reverse("floor:teller")).content.decode()
    assert "张三丰" in html
    assert ZHANG_ID not in html
    assert ZHANG_ID[-4:] not in html
    assert "138" not in html
    assert "8000" not in html
    views = AuditEvent.objects.filter(action="customer.view", customer_id=zhang.pk)
    assert views.count() == 1


def test_errors_show_in_the_panel_and_change_nothing(wang, floor):
    make_ticket(floor.branch, floor.s["cash"], number="A001")
    wang.post(reverse("floor:teller_call"), **HTMX)
    ticket = Ticket.objects.get(number="A001")
    response = wang.post(
        reverse("floor:teller_finish", args=[ticket.pk]), {"outcome": "maybe"}, **HTMX
    )
    assert 'id="teller-error"' in response.content.decode()
    assert "Choose how the visit ended." in response.content.decode()
    response = wang.post(reverse("floor:teller_transfer", args=[ticket.pk]), {}, **HTMX)
    assert "Choose a service or a counter to transfer to." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED


def test_plain_posts_redirect_with_a_message(wang, floor):
    response = wang.post(reverse("floor:teller_call"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("floor:teller")
    assert "Nobody is waiting for your services." in response.content.decode()


def test_transfer_and_no_show_buttons(wang, floor):
    make_ticket(floor.branch, floor.s["cash"], number="A009", priority=20, reason="elderly")
    make_ticket(floor.branch, floor.s["cash"], number="A010")
    wang.post(reverse("floor:teller_call"), **HTMX)
    ticket = Ticket.objects.get(number="A009")
    response = wang.post(
        reverse("floor:teller_transfer", args=[ticket.pk]), {"service": "loans"}, **HTMX
    )
    assert "A009 transferred to Loans." in response.content.decode()
    new = Ticket.objects.get(number="A009", status="waiting")
    assert (new.service.code, new.priority) == ("loans", 20)
    wang.post(reverse("floor:teller_call"), **HTMX)
    other = Ticket.objects.get(number="A010")
    response = wang.post(reverse("floor:teller_no_show", args=[other.pk]), **HTMX)
    assert "A010 marked as a no-show." in response.content.decode()


def test_pause_and_resume_buttons(wang, floor):
    html = wang.post(reverse("floor:teller_pause"), {"reason": "lunch"}, **HTMX).content.decode()
    assert 'id="counter-paused"' in html
    assert "lunch" in html
    assert 'id="btn-resume"' in html
    html = wang.post(reverse("floor:teller_resume"), **HTMX).content.decode()
    assert 'id="btn-pause"' in html
    assert list(FloorEvent.objects.order_by("at", "pk").values_list("kind", flat=True)) == [
        "pause",
        "resume",
    ]


def test_the_waiting_list_shows_the_counters_services_with_badges(wang, floor):
    make_ticket(floor.branch, floor.s["cash"], number="A001", minutes_ago=7)
    make_ticket(floor.branch, floor.s["cash"], number="A002", priority=30, reason="vip")
    make_ticket(floor.branch, floor.s["cards"], number="C001", language="en")
    make_ticket(floor.branch, floor.s["loans"], number="D001")
    html = wang.get(reverse("floor:teller_waiting"), **HTMX).content.decode()
    assert 'hx-trigger="floor-changed from:body"' in html
    assert html.index('data-ticket="A002"') < html.index('data-ticket="A001"')
    assert "VIP" in html
    assert "English" in html
    assert "7 min" in html
    assert "D001" not in html  # loans: not this counter's service


def test_serve_specific_asks_for_a_reason(wang, floor):
    make_ticket(floor.branch, floor.s["cash"], number="A001", minutes_ago=5)
    wanted = make_ticket(floor.branch, floor.s["cash"], number="A002")
    url = reverse("floor:teller_serve", args=[wanted.pk])
    form = wang.get(url, **HTMX).content.decode()
    assert "Serve A002 out of order" in form
    response = wang.post(url, {"reason": " "}, **HTMX)
    assert response["HX-Retarget"] == "#serve-specific"
    assert "Say why this ticket is served out of order." in response.content.decode()
    wanted.refresh_from_db()
    assert wanted.status == Ticket.Status.WAITING
    response = wang.post(url, {"reason": "collecting a card ordered yesterday"}, **HTMX)
    assert 'id="ticket-number">A002<' in response.content.decode()
    wanted.refresh_from_db()
    assert wanted.out_of_order_reason == "collecting a card ordered yesterday"
    event = FloorEvent.objects.get(kind="serve_specific")
    assert event.detail["next_in_line"] == "A001"


def test_offer_made_button_records_the_offer(wang, floor, zhang):
    make_ticket(floor.branch, floor.s["cash"], customer=zhang)
    wang.post(reverse("floor:teller_call"))
    ticket = Ticket.objects.get(status="called")
    ProductFactory(code="fund-x", name_zh="稳健基金", name_en="Steady fund")
    response = wang.post(
        reverse("floor:teller_offer", args=[ticket.pk]), {"product": "fund-x"}, **HTMX
    )
    assert 'id="offer-recorded"' in response.content.decode()
    event = OfferEvent.objects.get()
    assert (event.stage, event.channel, event.staff, event.unit) == (
        "offered",
        "branch",
        floor.wang,
        floor.branch,
    )


def test_another_teller_cannot_act_on_my_ticket(client, wang, floor):
    make_ticket(floor.branch, floor.s["cash"])
    wang.post(reverse("floor:teller_call"))
    ticket = Ticket.objects.get(status="called")
    li = make_teller(floor.branch)
    client.logout()
    client.login(username=li.user.username, password=PASSWORD)
    response = client.post(
        reverse("floor:teller_finish", args=[ticket.pk]), {"outcome": "completed"}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED


def test_care_prompts_and_the_recognise_button_while_serving(wang, floor, zhang):
    floor.branch.floor_settings.raining = True
    floor.branch.floor_settings.save(update_fields=["raining"])
    make_ticket(floor.branch, floor.s["cash"], customer=zhang)
    wang.post(reverse("floor:teller_call"))
    html = wang.get(reverse("floor:teller")).content.decode()
    assert 'id="care-prompts"' in html
    assert "offer 张三丰 an umbrella" in html
    assert reverse("care:resolve") in html
    assert "I know this customer" in html
    assert reverse("lobby:recognise") in html


def test_a_counter_closed_by_the_manager_can_be_opened_again(wang, floor):
    floor.c1.is_open = False
    floor.c1.save(update_fields=["is_open"])
    html = wang.get(reverse("floor:teller")).content.decode()
    assert 'id="btn-open"' in html
    assert 'id="btn-call"' not in html
    wang.post(reverse("floor:teller_sign_in"), {"counter_id": floor.c1.pk})
    floor.c1.refresh_from_db()
    assert floor.c1.is_open
    assert 'id="btn-call"' in wang.get(reverse("floor:teller")).content.decode()


def test_the_cross_sell_suggestion_with_its_reason(wang, floor, zhang):
    from servicefirst.scoring import services as scoring
    from servicefirst.scoring.tests.conftest import build_history

    deposit = ProductFactory(code="term-deposit", name_en="Term deposit", name_zh="定期存款")
    build_history(deposit, n=300)
    scoring.model_train(actor=None, product_code="term-deposit")
    make_ticket(floor.branch, floor.s["cash"], customer=zhang)
    wang.post(reverse("floor:teller_call"))
    html = wang.get(reverse("floor:teller")).content.decode()
    assert 'data-product="term-deposit"' in html
    assert 'id="offer-reason"' in html
    assert reverse("floor:teller_offer", args=[Ticket.objects.get(status="called").pk]) in html


def test_the_page_in_chinese(client, floor, zhang):
    zhao = make_staff(Role.TELLER, unit=floor.branch, ui_language="zh-hans")
    client.login(username=zhao.user.username, password=PASSWORD)
    client.post(reverse("floor:teller_sign_in"), {"counter_id": floor.c2.pk})
    make_ticket(floor.branch, floor.s["cash"], customer=zhang, number="A001")
    client.post(reverse("floor:teller_call"))
    response = client.get(reverse("floor:teller"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "张先生" in html
    assert "现金业务" in html  # the service, named in Chinese
