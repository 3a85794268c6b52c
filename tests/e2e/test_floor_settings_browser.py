"""Browser: the branch manager opens the floor settings from the dispatching board, changes the
wait commitment and a VIP priority and sees them saved; an invalid value is shown next to its
field and nothing is saved; a counter is added and removed."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.models import Counter, FloorSettings
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(e2e_org, e2e_staff):
    """The branch with its default floor settings; counter 1 (cash, 王小明) open."""
    ensure_services()
    branch = e2e_org["branch"]
    floor_settings(branch.pk)
    make_counter(branch, 1, ("cash",), staff=e2e_staff[Role.TELLER])
    return branch


def open_settings(page, asgi_server, asgi_login):
    asgi_login(page, "branch_manager")
    page.goto(f"{asgi_server.url}/dispatch/")
    page.get_by_role("link", name="Floor settings").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Floor settings")


def test_manager_changes_the_commitment_and_a_vip_priority(page, asgi_server, asgi_login, floor):
    open_settings(page, asgi_server, asgi_login)
    commitment = page.get_by_label("Wait commitment")
    wealth = page.get_by_label("Wealth", exact=True)
    expect(commitment).to_have_value("15")
    expect(wealth).to_have_value("20")
    commitment.fill("10")
    wealth.fill("35")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved the floor settings.")
    expect(page.get_by_label("Wait commitment")).to_have_value("10")
    expect(page.get_by_label("Wealth", exact=True)).to_have_value("35")
    settings = FloorSettings.objects.get(branch=floor)
    assert (settings.commitment_minutes, settings.vip_priority["wealth"]) == (10, 35)
    page.reload()
    expect(page.get_by_label("Wait commitment")).to_have_value("10")


def test_an_invalid_value_shows_the_fields_error_and_saves_nothing(
    page, asgi_server, asgi_login, floor
):
    open_settings(page, asgi_server, asgi_login)
    page.get_by_label("Wait commitment").fill("12")
    page.get_by_label("Elderly from age").fill("30")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-errors")).to_contain_text("Nothing was saved.")
    age = page.get_by_label("Elderly from age")
    expect(age).to_have_class("form-control is-invalid")
    expect(age).to_have_value("30")
    expect(page.locator('[data-error-for="elderly_age"]')).to_have_text(
        "Give a whole number from 50 to 100."
    )
    expect(page.locator('[data-error-for="elderly_age"]')).to_be_visible()
    expect(page.get_by_label("Wait commitment")).to_have_value("12")  # what was typed stays
    settings = FloorSettings.objects.get(branch=floor)
    assert (settings.elderly_age, settings.commitment_minutes) == (65, 15)


def test_manager_adds_and_removes_a_counter(page, asgi_server, asgi_login, floor):
    open_settings(page, asgi_server, asgi_login)
    counters = page.locator("#counters-table")
    expect(counters.locator('tr[data-counter="1"]')).to_contain_text("王小明")
    expect(counters.locator('tr[data-counter="1"]')).to_contain_text("in use")
    page.locator("#counter-add-form").get_by_label("Foreign exchange").check()
    page.get_by_role("button", name="Add counter").click()
    expect(page.get_by_role("alert")).to_contain_text("Added counter 2.")
    row = counters.locator('tr[data-counter="2"]')
    expect(row).to_contain_text("Foreign exchange")
    expect(row.locator(".counter-state")).to_have_text("Closed")
    row.get_by_role("button", name="Remove counter 2").click()
    expect(page.get_by_role("alert")).to_contain_text("Removed counter 2.")
    expect(counters.locator('tr[data-counter="2"]')).to_have_count(0)
    assert list(Counter.objects.filter(branch=floor).values_list("number", flat=True)) == [1]
