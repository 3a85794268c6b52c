"""Browser: the lobby manager registers a walk-in from the keyboard (first with a missing answer,
then fixed), hands the prospect to a relationship manager with a due date; the relationship
manager logs in and finds the hand-off in their task list, and closes it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.floor.defaults import ensure_services
from servicefirst.lobby.models import Handoff, WalkIn

pytestmark = pytest.mark.browser


def test_walk_in_handed_to_an_rm_who_sees_it(browser, page, live_server, e2e_staff, login):
    ensure_services()
    rm = e2e_staff[Role.RELATIONSHIP_MANAGER]

    # the lobby manager registers a visitor: name and phone typed, the channel chosen
    login(page, "lobby_manager")
    page.goto(f"{live_server.url}/lobby/")
    expect(page.locator("#id_name")).to_be_focused()
    page.keyboard.type("王小红")
    page.keyboard.press("Tab")
    page.keyboard.type("139 1234 0000")
    page.locator("label[for=id_channel_2]").click()  # Flyer
    page.locator("#id_need_text").fill("想了解大额存单")
    page.locator("#id_need_text").press("Enter")  # submits; consent was not asked yet

    errors = page.locator("#walkin-errors")
    expect(errors).to_contain_text("Agrees to be contacted")
    expect(errors).to_contain_text("yes or no")
    expect(page.locator("#id_name")).to_have_value("王小红")  # what was typed is kept
    assert not WalkIn.objects.exists()

    page.locator("label[for=id_consent_0]").click()  # yes
    page.locator("#walkin-submit").click()
    done = page.locator("#walkin-done")
    expect(done).to_contain_text("王小红")
    expect(done).to_contain_text("new prospect")
    expect(page.locator("#today-table")).to_contain_text("139****0000")
    expect(page.locator("#id_name")).to_have_value("")  # a fresh form for the next visitor

    # and hands the prospect over to the relationship manager, due the day after tomorrow
    page.locator("#handoff-this").click()
    form = page.locator("#handoff-form")
    form.locator("select[name=assigned_to]").select_option(label=rm.name)
    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    form.locator("input[name=due_on]").fill(due)
    form.locator("input[name=note]").fill("客户有50万定期下月到期")
    form.locator("#handoff-submit").click()
    expect(page.locator("#action-done")).to_contain_text(f"Handed to {rm.name}")
    expect(page.locator("#today-table")).to_contain_text(f"→ {rm.name}")
    handoff = Handoff.objects.get()
    assert (handoff.assigned_to, handoff.due_on.isoformat()) == (rm, due)

    # the relationship manager logs in and sees it in the task list
    rm_page = browser.new_page()
    login(rm_page, "relationship_manager")
    rm_page.goto(f"{live_server.url}/lobby/tasks/")
    item = rm_page.locator(f"#my-handoffs [data-handoff='{handoff.pk}']")
    expect(item).to_contain_text("王小红")
    expect(item).to_contain_text("客户有50万定期下月到期")
    expect(item).to_contain_text(due)

    # and closes it with an outcome
    item.locator("select[name=outcome]").select_option("met")
    item.locator("input[name=note]").fill("已约周六面谈")
    item.locator("button[value=done]").click()
    expect(rm_page.locator("#tasks-message")).to_contain_text("Hand-off closed.")
    expect(rm_page.locator("#no-handoffs")).to_be_visible()
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DONE
    rm_page.close()
