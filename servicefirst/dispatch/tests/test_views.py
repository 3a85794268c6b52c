"""The board page, its live fragments and the manager's actions posted from it."""

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.floor.models import Counter, Ticket
from servicefirst.floor.tests.queue_factories import make_ticket

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def act_url(branch, action):
    return reverse("dispatch:act", args=[branch.code, action])


def test_manager_opens_the_board_of_their_branch(client, manager, branch, counters):
    make_ticket(branch, "cash", number="A001")
    client.force_login(manager)
    response = client.get(reverse("dispatch:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-counter="1"' in html
    assert "A001" in html
    assert f'document.body.dataset.floorBranch = "{branch.pk}"' in html
    assert 'hx-trigger="floor-changed' in html


def test_tellers_and_other_managers_may_not_open_the_board(
    client, teller_user, other_manager, branch, counters
):
    client.force_login(teller_user)
    assert client.get(reverse("dispatch:board")).status_code == 403
    assert client.get(reverse("dispatch:board", args=[branch.code])).status_code == 403
    client.force_login(other_manager)
    assert client.get(reverse("dispatch:board", args=[branch.code])).status_code == 403
    assert client.get(reverse("dispatch:live", args=[branch.code])).status_code == 403


def test_a_bank_wide_role_chooses_a_branch(client, branch, other_branch, counters):
    admin = make_staff(Role.ADMINISTRATOR, unit=UnitFactory(kind="it", line="second")).user
    client.force_login(admin)
    response = client.get(reverse("dispatch:board"))
    assert response.status_code == 200
    assert reverse("dispatch:board", args=[branch.code]) in response.content.decode()
    assert reverse("dispatch:board", args=[other_branch.code]) in response.content.decode()
    assert client.get(reverse("dispatch:board", args=[branch.code])).status_code == 200


def test_live_fragment_and_actions_panel_render_alone(client, manager, branch, counters):
    client.force_login(manager)
    live = client.get(reverse("dispatch:live", args=[branch.code]), **HTMX)
    assert live.status_code == 200
    assert live.content.decode().lstrip().startswith('<div id="board-live"')
    panel = client.get(reverse("dispatch:actions", args=[branch.code]), **HTMX)
    assert panel.content.decode().lstrip().startswith('<div id="board-actions"')


def test_closing_a_counter_from_the_board(client, manager, branch, counters):
    client.force_login(manager)
    response = client.post(act_url(branch, "close"), {"counter_id": counters[0].pk}, **HTMX)
    assert response.status_code == 200
    assert "Counter closed." in response.content.decode()
    assert response["HX-Trigger"] == "board-acted"
    counters[0].refresh_from_db()
    assert not counters[0].is_open


def test_a_refused_button_action_answers_with_the_reason(client, manager, branch, counters):
    client.force_login(manager)
    response = client.post(act_url(branch, "close"), {"counter_id": counters[2].pk}, **HTMX)
    assert response.status_code == 400
    assert "already closed" in response.content.decode()


def test_reprioritise_form_shows_the_error_next_to_the_field(client, manager, branch, counters):
    ticket = make_ticket(branch, "cash", number="A001")
    client.force_login(manager)
    response = client.post(
        act_url(branch, "reprioritise"),
        {"ticket_id": ticket.pk, "priority": "40", "reason": ""},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Say why the priority changes." in html
    assert "HX-Trigger" not in response
    ticket.refresh_from_db()
    assert ticket.priority == 0


def test_reprioritise_form_succeeds(client, manager, branch, counters):
    ticket = make_ticket(branch, "cash", number="A001")
    client.force_login(manager)
    response = client.post(
        act_url(branch, "reprioritise"),
        {"ticket_id": ticket.pk, "priority": "40", "reason": "Elderly, unwell"},
        **HTMX,
    )
    assert "Ticket A001 now has priority 40." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_reason) == (40, Ticket.Reason.MANAGER)


def test_move_and_services_forms(client, manager, branch, counters, tellers):
    client.force_login(manager)
    client.post(
        act_url(branch, "move"), {"staff_id": tellers[0].pk, "counter_id": counters[2].pk}, **HTMX
    )
    client.post(
        act_url(branch, "services"),
        {"counter_id": counters[2].pk, "service_codes": ["cards", "fx"]},
        **HTMX,
    )
    counter = Counter.objects.get(pk=counters[2].pk)
    assert counter.staff == tellers[0]
    assert set(counter.services.values_list("code", flat=True)) == {"cards", "fx"}


def test_weather_and_apply_buttons(client, manager, branch, counters):
    client.force_login(manager)
    client.post(act_url(branch, "weather"), {"raining": "1"}, **HTMX)
    page = client.get(reverse("dispatch:live", args=[branch.code])).content.decode()
    assert 'id="weather-state">Raining' in page
    client.post(
        act_url(branch, "apply"), {"counter_id": counters[1].pk, "service_code": "cash"}, **HTMX
    )
    assert set(counters[1].services.values_list("code", flat=True)) == {"cash", "loans"}


def test_without_htmx_the_action_returns_to_the_board(client, manager, branch, counters):
    client.force_login(manager)
    response = client.post(act_url(branch, "open"), {"counter_id": counters[2].pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("dispatch:board", args=[branch.code])


def test_another_branchs_manager_cannot_act(client, other_manager, branch, counters):
    client.force_login(other_manager)
    response = client.post(act_url(branch, "close"), {"counter_id": counters[0].pk}, **HTMX)
    assert response.status_code == 403
    counters[0].refresh_from_db()
    assert counters[0].is_open


def test_unknown_action_is_not_found(client, manager, branch):
    client.force_login(manager)
    assert client.post(act_url(branch, "explode"), {}).status_code == 404


def test_the_board_speaks_chinese(client, manager, branch, counters):
    make_ticket(branch, "cash", number="A001")
    manager.staff.preferred_ui_language = "zh-hans"
    manager.staff.save(update_fields=["preferred_ui_language"])
    client.force_login(manager)
    html = client.get(reverse("dispatch:board")).content.decode()
    assert "现场调度看板" in html
    assert "1号窗口" in html
    for english in ("Dispatching board", "Recommended moves", "Move a teller", "Next in line"):
        assert english not in html
