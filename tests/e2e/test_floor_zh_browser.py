"""Browser: the kiosk and the teller's page in Chinese (the pages' default language) show their
labels in Chinese — 取号, 排队, 预计等候; 叫号, 重呼, 过号, 转移, 暂停, 办结 — and none of the
English button labels is left."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role, Staff
from servicefirst.floor import issuing
from servicefirst.floor.defaults import ensure_services
from servicefirst.floor.selectors import floor_settings
from servicefirst.floor.tests.queue_factories import make_counter

pytestmark = pytest.mark.browser

KIOSK_ENGLISH = [
    "Take a ticket",
    "Choose a service",
    "I am elderly",
    "I have a disability",
    "I have an appointment",
    "Check in",
    "Booking reference",
    "Book an appointment for another day",
    "Cash",
    "Loans",
    "waiting",
    "no wait",
]
TICKET_ENGLISH = [
    "Your number",
    "People ahead of you",
    "Estimated wait",
    "You are next",
    "Print ticket",
    "Done",
]
TELLER_ENGLISH = [
    "Choose your counter",
    "Sign in here",
    "Call next",
    "Recall",
    "No-show",
    "Transfer",
    "Pause",
    "Completed",
    "Referred to a relationship manager",
    "Customer declined",
    "Finish with the outcome",
    "Leave counter",
    "Serve now",
    "Nobody waiting",
]


def off_loop(fn, /, **kwargs):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, **kwargs).result()


@pytest.fixture
def floor(e2e_org, e2e_staff):
    branch = e2e_org["branch"]
    ensure_services()
    floor_settings(branch.pk)
    make_counter(branch, 1, ("cash", "cards"), is_open=False)
    make_counter(branch, 2, ("loans",), is_open=False)
    teller = e2e_staff[Role.TELLER]
    Staff.objects.filter(pk=teller.pk).update(preferred_ui_language="zh-hans")
    return {"branch": branch}


def assert_no_english(page, labels):
    text = page.locator("main").inner_text()
    left = [label for label in labels if label in text]
    assert left == [], f"English left on the page: {left}"


def test_kiosk_in_chinese(page, asgi_server, floor):
    branch = floor["branch"]
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": asgi_server.url}]
    )
    page.goto(f"{asgi_server.url}/floor/{branch.code}/kiosk/")

    expect(page.locator("#take-heading")).to_have_text("取号")
    expect(page.locator("label[for=elderly]")).to_have_text("我是老年人")
    expect(page.locator("#check-in")).to_have_text("签到")
    cash = page.locator("button[data-service=cash]")
    expect(cash).to_contain_text("现金业务")
    expect(cash).to_contain_text("0 人等候")
    assert_no_english(page, KIOSK_ENGLISH)

    cash.click()
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator("main")).to_contain_text("前面等候人数")
    expect(page.locator("main")).to_contain_text("预计等候")
    expect(page.locator("main")).to_contain_text("打印号票")
    assert_no_english(page, TICKET_ENGLISH)


def test_teller_page_in_chinese(page, asgi_server, asgi_login, floor):
    branch = floor["branch"]
    asgi_login(page, "teller")
    page.goto(f"{asgi_server.url}/floor/teller/")
    expect(page.locator("h1")).to_have_text("选择您的窗口")
    expect(page.locator(".counter-choice[data-counter='1'] button")).to_have_text("登录此窗口")
    assert_no_english(page, TELLER_ENGLISH)

    page.locator(".counter-choice[data-counter='1'] button").click()
    expect(page.locator("#btn-call")).to_have_text("叫号")
    expect(page.locator("#btn-pause")).to_have_text("暂停")
    expect(page.locator("#teller-panel .badge.text-bg-success")).to_have_text("开放")  # not 待办
    expect(page.locator("#teller-waiting")).to_contain_text("无人等候")
    assert_no_english(page, TELLER_ENGLISH)

    page.wait_for_selector('body[data-floor-live="1"]', state="attached")
    off_loop(issuing.ticket_issue, branch_id=branch.pk, service_code="cash")
    expect(page.locator("#teller-waiting")).to_contain_text("A001")  # pushed live
    expect(page.locator(".waiting-ticket a")).to_have_text("插队办理")
    page.click("#btn-call")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator("#teller-notice")).to_have_text("已叫A001号。")
    expect(page.locator("#btn-recall")).to_have_text("重呼")
    expect(page.locator("#btn-no-show")).to_have_text("过号")
    expect(page.locator("#btn-transfer")).to_have_text("转移")
    expect(page.locator("button.outcome[value=completed]")).to_have_text("办结")
    assert_no_english(page, TELLER_ENGLISH)

    page.click("#btn-recall")
    expect(page.locator("#teller-notice")).to_have_text("已重呼A001号。")
    page.click("button.outcome[value=completed]")
    expect(page.locator("#teller-notice")).to_have_text("A001号已办结：办结。")
    assert_no_english(page, TELLER_ENGLISH)
