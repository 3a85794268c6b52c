"""Browser: log in, and find a customer by pinyin initials with the live (htmx) search."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role

pytestmark = pytest.mark.browser


def test_log_in_with_a_wrong_then_the_right_password(page, live_server, e2e_staff, login):
    page.goto(f"{live_server.url}/customers/")
    # an anonymous visitor is sent to the login page
    expect(page.locator("#id_username")).to_be_visible()
    page.fill("#id_username", "teller")
    page.fill("#id_password", "not-the-password")
    page.click("form button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()

    login(page, "teller")
    expect(page.locator("#who")).to_contain_text(e2e_staff[Role.TELLER].name)


def test_search_by_pinyin_initials_finds_zhang_sanfeng(page, live_server, e2e_customers, login):
    login(page, "teller")
    page.goto(f"{live_server.url}/customers/")
    # typing is enough: the results arrive without pressing Enter
    page.locator("#customer-search").press_sequentially("zsf", delay=30)
    results = page.locator("#results-table")
    expect(results).to_contain_text("张三丰")
    # 张思凡 and 赵三峰 share the initials; the full pinyin orders 张三丰 first
    expect(results.locator("tbody tr").first).to_contain_text("张三丰")
    expect(results).to_contain_text("赵三峰")
    # the phone is masked in the list
    expect(results).to_contain_text("138****8000")
    expect(results).not_to_contain_text("13800138000")
    # the search is in the address bar, so the page can be reloaded or shared
    assert "q=zsf" in page.url
    page.locator("#results-table a", has_text="张三丰").click()
    expect(page.locator("#customer-name")).to_have_text("张三丰")
