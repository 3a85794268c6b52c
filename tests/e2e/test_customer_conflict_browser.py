"""Browser: two pages open on the same customer (a branch manager and the relationship manager).
Page A saves first; page B, saving the form it opened before, is told who changed the customer
and when, nothing of B's is saved, and after a reload B sees A's change."""

import pytest
from playwright.sync_api import expect

from servicefirst.customers.models import Customer

pytestmark = pytest.mark.browser


def open_work_form(page, live_server, customer):
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#customer-name")).to_have_text(customer.name_zh)
    page.locator("#section-work button[hx-get*='edit=1']").click()
    expect(page.locator("#section-work input[name=occupation]")).to_be_visible()


def test_second_save_from_an_older_page_shows_the_conflict(
    browser, live_server, e2e_customers, login
):
    zhang = e2e_customers["张三丰"]
    a = browser.new_context(locale="en-US").new_page()
    b = browser.new_context(locale="en-US").new_page()
    try:
        login(a, "branch_manager")
        login(b, "relationship_manager")
        open_work_form(a, live_server, zhang)
        open_work_form(b, live_server, zhang)

        a.locator("#section-work input[name=occupation]").fill("教师")
        a.locator("#section-work button[type=submit]").click()
        expect(a.locator("#section-work .saved")).to_have_text("Saved")
        expect(a.locator("#section-work")).to_contain_text("教师")

        b.locator("#section-work input[name=employer]").fill("协和医院")
        b.locator("#section-work button[type=submit]").click()
        conflict = b.locator("#section-work .conflict")
        expect(conflict).to_contain_text("This customer was changed by someone else (by 李建国 at")
        expect(conflict).to_contain_text("reload to see their changes")

        saved = Customer.objects.get(pk=zhang.pk)
        assert (saved.occupation, saved.employer) == ("教师", "")  # A's change, nothing of B's

        b.reload()
        expect(b.locator("#section-work")).to_contain_text("教师")
        expect(b.locator("#section-work")).not_to_contain_text("协和医院")
    finally:
        a.context.close()
        b.context.close()
