"""Browser: what a branch manager does to a customer shows up on the compliance auditor's
audit log page: the Customer 360 opening, the reveal and the update."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_auditor_sees_open_reveal_and_update_in_the_audit_log(
    page, live_server, e2e_customers, login
):
    zhang = e2e_customers["张三丰"]
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/customers/{zhang.pk}/")
    page.locator("#id_number-value button.reveal").click()
    expect(page.locator("#id_number-value.revealed")).to_be_visible()
    work = page.locator("#section-work")
    work.locator("button[hx-get*='edit=1']").click()
    page.locator("#section-work input[name=occupation]").fill("高级工程师")
    page.locator("#section-work button[type=submit]").click()
    expect(page.locator("#section-work .saved")).to_be_visible()
    # a branch manager has no audit log
    assert page.goto(f"{live_server.url}/audit/").status == 404
    page.goto(f"{live_server.url}/")
    page.locator("#who ~ form button[type=submit]").click()  # log out
    expect(page.locator("#id_username")).to_be_visible()

    login(page, "compliance_auditor")
    page.locator("nav a[href$='/audit/']").click()
    page.fill("#f-customer", zhang.number)
    page.fill("#f-user", "branch_manager")
    page.click("#audit-filters button[type=submit]")
    table = page.locator("#audit-table")
    for action, label in (
        ("customer.view", "Opened customer 360"),
        ("customer.reveal", "Revealed masked field"),
        ("customer.update", "Changed customer"),
    ):
        row = table.locator(f"tr[data-action='{action}']").first
        expect(row).to_contain_text(label)
        expect(row).to_contain_text("branch_manager")
        expect(row).to_contain_text(zhang.number)
    expect(table.locator("tr[data-action='customer.reveal']").first).to_contain_text(
        "identity number"
    )
    expect(table.locator("tr[data-action='customer.update']").first).to_contain_text("occupation")

    page.select_option("#f-action", "customer.reveal")
    page.click("#audit-filters button[type=submit]")
    expect(table.locator("tbody tr")).to_have_count(1)
