"""Browser: a Care Center agent opens a complaint for 张三丰 taken by phone, replies to him and
transfers it to Operations; the back-office officer of Operations finds it in the transfers
sent to the unit, accepts it and answers, which returns it to the Care Center. The clocks of
the commitments measuring the request and the transfer are on the page, counting down."""

import pytest
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.commitments.models import ServiceEvent
from servicefirst.customers.models import Interaction
from servicefirst.servicedesk.models import RequestCategory, RequestTransfer, ServiceRequest
from servicefirst.servicedesk.tests.helpers import measure

pytestmark = pytest.mark.browser


@pytest.fixture
def categories(e2e_org):
    return RequestCategory.objects.create(
        code="fee-dispute",
        name_zh="费用争议",
        name_en="Fee dispute",
        kind="complaint",
        default_unit=e2e_org["care_center"],
        complexity="complex",
    )


def test_agent_opens_replies_and_transfers_and_operations_answers(
    page, live_server, e2e_org, e2e_staff, e2e_customers, categories, login
):
    zhang = e2e_customers["张三丰"]
    # the agent takes the complaint on the phone
    login(page, "cc_agent")
    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#customer-q", "张三丰")
    page.locator(f"#customer-choices input[value='{zhang.pk}']").check()
    page.select_option("#kind", "complaint")
    page.select_option("#channel", "phone")
    page.select_option("#category", "fee-dispute")
    page.fill("#subject", "Annual fee charged twice")
    page.fill("#description", "The customer says the card's annual fee was taken twice this month.")
    page.click("#open-request")
    expect(page.locator("#sd-status")).to_have_text("In progress")
    req = ServiceRequest.objects.get()
    assert req.customer == zhang
    expect(page.locator("#sd-number")).to_have_text(req.number)
    expect(page.locator("#sd-requester")).to_contain_text("138****8000")

    # the commitment measuring it shows its clock
    measure(req, statement_en="A complaint gets a first answer within 2 hours", hours=2)
    page.reload()
    clock = page.locator("#sd-clocks .sd-clock").first
    expect(clock).to_contain_text("A complaint gets a first answer within 2 hours")
    expect(clock).to_contain_text("Running")
    expect(clock.locator(".sd-left")).to_contain_text("left")

    # a reply to the customer
    page.fill("#reply-body", "We are checking the charges and will refund any duplicate.")
    page.click("#send-reply")
    expect(page.locator("#sd-conversation .sd-message[data-direction=out]")).to_contain_text(
        "refund any duplicate"
    )

    # the transfer to Operations
    page.select_option("#to_unit", str(e2e_org["operations"].pk))
    page.fill("#transfer-reason", "Please check the fee postings for this card.")
    page.click("#transfer")
    expect(page.locator("#sd-unit")).to_have_text("Operations")
    expect(page.locator("#sd-transfers")).to_contain_text("Waiting for the unit's answer")
    moved = RequestTransfer.objects.get()
    measure(
        req,
        subject=f"transfer:{moved.pk}",
        statement_en="Operations answers a transfer within 1 day",
        hours=24,
        unit=e2e_org["operations"],
    )

    # the back-office officer of Operations accepts and answers
    page.context.clear_cookies()
    login(page, "back_office")
    page.goto(f"{live_server.url}/requests/?queue=transfers")
    page.get_by_role("link", name=req.number).click()
    expect(page.locator("#sd-transfer-inbox")).to_contain_text("Please check the fee postings")
    expect(page.locator("#sd-clocks")).to_contain_text("Operations answers a transfer within 1 day")
    page.click("#accept-transfer")
    expect(page.locator("#sd-assignee")).to_have_text(e2e_staff[Role.BACK_OFFICE].name)
    page.fill("#answer", "The fee was posted twice by a batch error; reversed today.")
    page.click("#answer-transfer")
    expect(page.locator("#sd-transfers .sd-answer")).to_contain_text("Answered and returned")
    expect(page.locator("#sd-unit")).to_have_text("Customer Care Center")

    # what the commitments and the customer's timeline now hold
    req.refresh_from_db()
    assert req.unit == e2e_org["care_center"]
    assert req.assignee == e2e_staff[Role.CC_AGENT]
    kinds = list(ServiceEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "request.opened",
        "request.first_response",
        "request.transfer.sent",
        "request.transfer.accepted",
        "request.transfer.answered",
    ]
    assert ServiceEvent.objects.get(kind="request.transfer.sent").unit == e2e_org["operations"]
    assert Interaction.objects.filter(customer=zhang, detail__request=req.pk).count() == 2


def test_agent_links_a_web_complaint_to_the_customer_and_the_supervisor_reports(
    page, live_server, e2e_org, e2e_staff, e2e_customers, categories, login
):
    """A complaint from the public web form, signed only with a name, turns out to be from
    张三丰: the agent finds him (masked) on the request page and links it; it lands on his
    timeline. The Care Center's supervisor then reads the request report with its chart."""
    zhang = e2e_customers["张三丰"]
    page.goto(f"{live_server.url}/requests/contact/")
    page.locator("input[name=kind][value=complaint]").check()
    page.select_option("select[name=category]", "fee-dispute")
    page.fill("input[name=name]", "Mr Zhang")
    page.fill("input[name=phone]", "13800138000")
    page.fill("input[name=subject]", "Annual fee taken twice")
    page.fill("textarea[name=description]", "My card's annual fee was taken twice this month.")
    page.click("#send")
    page.wait_for_url("**/requests/s/**")
    req = ServiceRequest.objects.get()
    assert req.customer is None

    login(page, "cc_agent")
    page.goto(f"{live_server.url}/requests/{req.pk}/")
    page.locator("#link-form summary").click()
    page.fill("#link-q", "张三丰")
    choice = page.locator(f"#link-results input[value='{zhang.pk}']")
    expect(choice).to_be_visible()
    expect(page.locator("#link-results")).to_contain_text("138****8000")
    choice.check()
    page.click("#link-customer")
    expect(page.locator("#sd-requester")).to_contain_text(zhang.number)
    expect(page.locator("#link-form")).to_have_count(0)
    expect(page.locator("#sd-notes")).to_contain_text(zhang.number)
    entry = Interaction.objects.get(customer=zhang, detail__request=req.pk)
    assert (entry.kind, entry.channel) == ("complaint", "web")

    page.context.clear_cookies()
    login(page, "cc_supervisor")
    page.goto(live_server.url + page.locator("#nav-request-report").get_attribute("href"))
    expect(page.locator("[data-kpi=opened]")).to_have_text("1")
    expect(page.locator("#sd-opened-resolved-chart .main-svg").first).to_be_attached()
    expect(page.locator("#sd-report-channel tr[data-key=web] [data-m=opened]")).to_have_text("1")
