"""Browser: a contact-centre supervisor creates an outbound campaign with an agent, finds a
customer by name and adds them to the call list (shown masked), and starts the campaign."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.customers.models import Consent
from servicefirst.dialer.models import CallListEntry, Campaign

# The shared browser fixtures (the bank, one member of staff per role, the customers, login).
from tests.e2e.conftest import e2e_customers, e2e_org, e2e_staff, login  # noqa: F401

pytestmark = [pytest.mark.browser]


def test_a_supervisor_creates_fills_and_starts_a_campaign(
    page,
    live_server,
    e2e_staff,  # noqa: F811
    e2e_customers,  # noqa: F811
    login,  # noqa: F811
):
    zhang = e2e_customers["张三丰"]
    Consent.objects.create(customer=zhang, kind=Consent.Kind.PHONE, source="开户表格")
    agent = e2e_staff[Role.CC_AGENT]

    login(page, "cc_supervisor")
    page.goto(f"{live_server.url}/contact/campaigns/")
    expect(page.locator("#no-campaigns")).to_be_visible()
    page.click("#new-campaign")
    expect(page.locator("#default-dispositions")).to_contain_text("Do not call again")

    page.fill("#campaign-name", "定期存款续存提醒")
    page.select_option("#campaign-mode", "preview")
    page.fill("#campaign-ring_timeout_s", "10")  # too short: the form says why
    page.check(f"#campaign-agents input[value='{agent.pk}']")
    page.click("#campaign-save")
    expect(page.locator("[data-error-for=ring_timeout_s]")).to_contain_text("15 seconds")
    expect(page.locator("#campaign-name")).to_have_value("定期存款续存提醒")
    assert not Campaign.objects.exists()

    page.fill("#campaign-ring_timeout_s", "20")
    page.click("#campaign-save")
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#campaign-agents")).to_contain_text(agent.name)

    # hand-pick the customer: found by name, shown masked
    page.fill("#pick-query", "张三丰")
    choice = page.locator(f"#pick-{zhang.pk}")
    expect(choice).to_be_visible()
    expect(page.locator("#pick-list")).to_contain_text("138****8000")
    expect(page.locator("#pick-list")).not_to_contain_text("张三丰")
    choice.check()
    page.click("#pick-add")
    expect(page.locator(".alert-success")).to_contain_text("Added 1 customers")
    table = page.locator("#call-list-table")
    expect(table).to_contain_text(zhang.number)
    expect(table).to_contain_text("138****8000")
    expect(table).not_to_contain_text("13800138000")
    expect(page.locator("#campaign-progress [data-count=total]")).to_have_text("1")

    page.click("#campaign-start")
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active")
    expect(page.locator("#campaign-status")).to_have_text("Running")
    expect(page.locator("#campaign-pause")).to_be_visible()

    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.ACTIVE
    assert list(CallListEntry.objects.values_list("customer_id", "phone")) == [
        (zhang.pk, "+8613800138000")
    ]
