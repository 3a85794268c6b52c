"""Browser: a missed commitment to a customer is put right.

张三丰 waited past the branch's promise "You wait no more than 15 minutes"; the engine's breach
opened a remedy. The lobby manager finds it in the remedy queue (customer masked), records the
reason, hands over the apology at the counter (previewed in the customer's language) — it
appears on the customer's timeline — and gives an umbrella: the stock on the page goes down
by one. The branch manager then approves a second customer's gift that is over the budget."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.remedies import services
from servicefirst.remedies.tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def breached(e2e_org, e2e_staff, e2e_customers):
    f.setup_catalogue()
    branch = e2e_org["branch"]
    version = f.version(branch)
    case = f.breach(version, unit=branch, customer=e2e_customers["张三丰"])
    other = f.breach(version, unit=branch, customer=e2e_customers["李秀英"])
    remedy, second = services.open_for_breach([case.pk, other.pk])
    f.stock(branch, "umbrella", 5)
    f.stock(branch, "powerbank", 2)
    f.budget(branch, 50)
    return remedy, second


def test_the_lobby_manager_remedies_a_breach_and_the_manager_approves_a_gift(
    page, live_server, e2e_staff, breached, login
):
    remedy, second = breached
    login(page, "lobby_manager")
    page.goto(f"{live_server.url}/remedies/")
    row = page.locator(f"#remedy-queue tr[data-remedy='{remedy.pk}']")
    expect(row).to_contain_text("You wait no more than 15 minutes")
    expect(row).not_to_contain_text("张三丰")  # masked
    row.get_by_role("link").click()

    expect(page.locator("#remedy-status")).to_contain_text("Open")
    page.check("#reason-subjective")
    page.fill("#reason-text", "午间只开了一个现金窗口")
    page.click("#reason-save")
    expect(page.locator(".alert-success")).to_contain_text("Recorded the reason")

    preview = page.locator("[data-preview=counter]")
    expect(preview).to_contain_text("张先生")  # the customer's language: Chinese
    expect(preview).to_contain_text("排队等候不超过15分钟")
    page.click("#apologise-counter")
    expect(page.locator("#apologies")).to_contain_text("handed over")
    expect(page.locator("#remedy-status")).to_contain_text("Apologised")

    umbrella = page.locator("#gift-choices tr[data-gift=umbrella]")
    expect(umbrella.locator("[data-stock]")).to_have_text("5")
    page.check("#gift-umbrella")
    page.click("#gift-give")
    expect(page.locator("#gift-given")).to_contain_text("Within budget")
    page.click("#remedy-close")
    expect(page.locator("#remedy-status")).to_contain_text("Closed")

    page.click("#remedy-customer")
    expect(page.locator("#timeline")).to_contain_text("排队等候不超过15分钟")

    # The second customer: a power bank would take the branch past its ¥50 budget.
    page.goto(f"{live_server.url}/remedies/{second.pk}/")
    expect(page.locator("#gift-choices tr[data-gift=umbrella] [data-stock]")).to_have_text("4")
    page.check("#gift-powerbank")
    page.click("#gift-give")
    expect(page.locator("#gift-given")).to_contain_text("Waiting for approval")

    page.context.clear_cookies()
    login(page, str(Role.BRANCH_MANAGER))
    page.goto(f"{live_server.url}/remedies/approvals/")
    page.locator(
        f"#pending-grants tr[data-grant='{second.grant.pk}'] button[value=approve]"
    ).click()
    expect(page.locator(".alert-success")).to_contain_text("Gift approved")
    page.goto(f"{live_server.url}/remedies/gifts/")
    expect(page.locator("#gift-stock tr[data-gift=powerbank] [data-quantity]")).to_have_text("1")
