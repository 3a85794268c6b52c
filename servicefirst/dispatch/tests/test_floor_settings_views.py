"""The floor settings page: the manager sees the branch's rules and counters, saves changes,
sees each bad field's message next to it, and adds and removes counters."""

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.dispatch.selectors import settings_values
from servicefirst.floor.models import Counter, FloorSettings

pytestmark = pytest.mark.django_db


def url(branch=None):
    return reverse("dispatch:settings", args=[branch.code] if branch else [])


def form(branch, **changes) -> dict:
    """The page's form as the browser posts it: every current value, with `changes`."""
    values = settings_values(FloorSettings.objects.get(branch=branch))
    data = {k: str(v) for k, v in values.items() if k not in ("services", "opens_at", "closes_at")}
    data["opens_at"] = values["opens_at"].strftime("%H:%M")
    data["closes_at"] = values["closes_at"].strftime("%H:%M")
    data["services"] = values["services"]
    data.update(changes)
    return data


def test_manager_opens_the_settings_of_their_branch(client, manager, branch, counters):
    client.force_login(manager)
    response = client.get(url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="commitment_minutes"' in html
    assert 'value="15"' in html
    assert 'name="vip_priority.private"' in html
    assert 'id="how-next-is-chosen"' in html
    assert "Anyone who has waited 20 minutes or more is called before everyone else" in html
    for number in (1, 2, 3):
        assert f'data-counter="{number}"' in html
    assert reverse("dispatch:counter_remove", args=[branch.code, counters[2].pk]) in html
    # Only the closed counter without a teller can be removed.
    assert reverse("dispatch:counter_remove", args=[branch.code, counters[0].pk]) not in html
    assert client.get(url(branch)).status_code == 200


def test_the_board_links_to_the_settings(client, manager, branch, counters):
    client.force_login(manager)
    html = client.get(reverse("dispatch:board")).content.decode()
    assert f'href="{url(branch)}"' in html


def test_saving_redirects_back_with_a_message(client, manager, branch):
    client.force_login(manager)
    response = client.post(
        url(branch), form(branch, commitment_minutes="10", **{"vip_priority.wealth": "33"})
    )
    assert response.status_code == 302
    assert response["Location"] == url(branch)
    settings = FloorSettings.objects.get(branch=branch)
    assert (settings.commitment_minutes, settings.vip_priority["wealth"]) == (10, 33)
    page = client.get(url(branch)).content.decode()
    assert "Saved the floor settings." in page
    assert 'id="id_commitment_minutes" value="10"' in page


def test_saving_nothing_new_says_so(client, manager, branch):
    client.force_login(manager)
    client.post(url(branch), form(branch))
    assert "Nothing to change" in client.get(url(branch)).content.decode()


def test_an_invalid_value_is_shown_next_to_its_field_and_nothing_is_saved(client, manager, branch):
    client.force_login(manager)
    response = client.post(
        url(branch),
        form(branch, commitment_minutes="12", **{"vip_priority.wealth": "500"}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved." in html
    assert 'data-error-for="vip_priority.wealth">Give a whole number from 0 to 100.' in html
    assert 'id="id_vip_priority_wealth" value="500"' in html  # what was typed stays
    assert 'id="id_commitment_minutes" value="12"' in html
    assert FloorSettings.objects.get(branch=branch).commitment_minutes == 15


def test_unticking_every_service_is_refused(client, manager, branch):
    client.force_login(manager)
    data = form(branch)
    del data["services"]
    html = client.post(url(branch), data).content.decode()
    assert 'data-error-for="services">Choose at least one service.' in html


def test_tellers_and_other_managers_may_not_see_or_change_the_settings(
    client, teller_user, other_manager, branch
):
    client.force_login(teller_user)
    assert client.get(url()).status_code == 403
    assert client.get(url(branch)).status_code == 403
    client.force_login(other_manager)
    assert client.get(url(branch)).status_code == 403
    assert client.post(url(branch), form(branch, commitment_minutes="5")).status_code == 403
    assert FloorSettings.objects.get(branch=branch).commitment_minutes == 15


def test_a_bank_wide_role_chooses_a_branch(client, branch, other_branch):
    admin = make_staff(Role.ADMINISTRATOR, unit=UnitFactory(kind="it", line="second")).user
    client.force_login(admin)
    html = client.get(url()).content.decode()
    assert f'href="{url(branch)}"' in html
    assert f'href="{url(other_branch)}"' in html
    assert client.get(url(branch)).status_code == 200


def test_add_and_remove_counters_from_the_page(client, manager, branch, counters):
    client.force_login(manager)
    response = client.post(
        reverse("dispatch:counter_add", args=[branch.code]), {"service_codes": ["fx"]}
    )
    assert response.status_code == 302
    added = Counter.objects.get(branch=branch, number=4)
    assert list(added.services.values_list("code", flat=True)) == ["fx"]
    page = client.get(url(branch)).content.decode()
    assert "Added counter 4." in page
    response = client.post(reverse("dispatch:counter_remove", args=[branch.code, added.pk]))
    assert response.status_code == 302
    assert not Counter.objects.filter(pk=added.pk).exists()
    assert "Removed counter 4." in client.get(url(branch)).content.decode()


def test_counter_errors_are_shown_on_the_page(client, manager, branch, counters):
    client.force_login(manager)
    html = client.post(reverse("dispatch:counter_add", args=[branch.code]), {}).content.decode()
    assert 'data-error-for="service_codes">Choose at least one service.' in html
    html = client.post(
        reverse("dispatch:counter_remove", args=[branch.code, counters[0].pk])
    ).content.decode()
    assert 'data-error-for="counter-1"' in html
    assert "Close the counter first." in html
    assert Counter.objects.filter(pk=counters[0].pk).exists()


def test_a_counter_of_another_branch_is_not_found_here(
    client, manager, other_manager, branch, other_branch, counters
):
    client.force_login(other_manager)
    response = client.post(
        reverse("dispatch:counter_remove", args=[other_branch.code, counters[2].pk])
    )
    assert response.status_code == 404
    response = client.post(reverse("dispatch:counter_remove", args=[branch.code, counters[2].pk]))
    assert response.status_code == 403
    assert Counter.objects.filter(pk=counters[2].pk).exists()


def test_the_settings_page_speaks_chinese(client, manager, branch, counters):
    manager.staff.preferred_ui_language = "zh-hans"
    manager.staff.save(update_fields=["preferred_ui_language"])
    client.force_login(manager)
    html = client.get(url(branch)).content.decode()
    for english in ("Floor settings", "Fairness guard", "How the next customer is chosen"):
        assert english not in html
    assert "公平" in html
