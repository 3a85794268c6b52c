"""Browser, across the whole promise: a commitment is published after discussion, a request
breaches it, and the remedy is completed with an apology and a gift.

The Customer Care Center's supervisor drafts "a complaint gets a first answer within
2 hours", opens it for discussion; an agent comments and agrees; the supervisor approves and
publishes it. The agent then takes 张三丰's complaint on the phone — and nobody answers him.
The commitments engine (the same code as `servicefirst commitments_engine`) is run with the
clock three hours later: the case is missed, the request's clock says so, the supervisor has
an alert, and a remedy case is open. The supervisor records the reason, apologises on the
phone in the customer's language (it lands on his timeline) and gives him an umbrella from
the Care Center's stock, which goes down by one."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.commitments import engine
from servicefirst.commitments.demo import ensure_calendars
from servicefirst.commitments.models import Alert, Case
from servicefirst.remedies.models import GiftStock, RemedyCase
from servicefirst.remedies.tests import factories as gifts
from servicefirst.servicedesk.models import RequestCategory, ServiceRequest

pytestmark = pytest.mark.browser


def test_a_published_commitment_is_breached_by_a_request_and_remedied(
    browser, live_server, e2e_org, e2e_staff, e2e_customers, login
):
    ensure_calendars()
    care_center = e2e_org["care_center"]
    RequestCategory.objects.create(
        code="fee-dispute",
        name_zh="费用争议",
        name_en="Fee dispute",
        kind="complaint",
        default_unit=care_center,
        complexity="simple",
    )
    gifts.stock(care_center, "umbrella", 3)
    gifts.budget(care_center, 500)
    zhang = e2e_customers["张三丰"]

    # 1. The supervisor drafts the commitment and opens it for discussion.
    supervisor = browser.new_page()
    login(supervisor, str(Role.CC_SUPERVISOR))
    supervisor.goto(f"{live_server.url}/commitments/new/")
    supervisor.fill("#id_code", "complaint-first-answer-2h")
    supervisor.select_option("#id_area", "complaints")
    supervisor.select_option("#id_owner", str(care_center.pk))
    supervisor.fill("#id_statement_zh", "投诉受理后2小时内首次答复客户")
    supervisor.fill("#id_statement_en", "A complaint gets a first answer within 2 hours")
    supervisor.select_option("#id_start_event", "request.opened")
    supervisor.select_option("#id_stop_event", "request.first_response")
    supervisor.fill("#id_target_value", "2")
    supervisor.select_option("#id_target_unit", "hours")
    supervisor.fill("#id_goal_percent", "95")
    supervisor.select_option("#id_calendar", label="Around the clock (24/7)")
    supervisor.click("#save-commitment")
    supervisor.click("#open-discussion")
    expect(supervisor.locator("#working-version .version-status")).to_have_text("In discussion")
    detail_url = supervisor.url

    # 2. An agent of the Care Center discusses it and agrees.
    agent = browser.new_page()
    login(agent, str(Role.CC_AGENT))
    agent.goto(detail_url)
    agent.fill("#comment-text", "夜班也能做到，同意。")
    agent.click("#agree")
    expect(agent.locator("#tally [data-tally=agree]")).to_have_text("1 agree")

    # 3. The supervisor approves and publishes it: from now on it is measured.
    supervisor.reload()
    supervisor.click("#approve")
    supervisor.click("#publish")
    expect(supervisor.locator("#published-version .version-status")).to_have_text("Published")

    # 4. The agent takes 张三丰's complaint on the phone, and nobody answers it.
    agent.goto(f"{live_server.url}/requests/new/")
    agent.fill("#customer-q", "张三丰")
    agent.locator(f"#customer-choices input[value='{zhang.pk}']").check()
    agent.select_option("#kind", "complaint")
    agent.select_option("#channel", "phone")
    agent.select_option("#category", "fee-dispute")
    agent.fill("#subject", "Annual fee charged twice")
    agent.fill("#description", "The card's annual fee was taken twice this month.")
    agent.click("#open-request")
    expect(agent.locator("#sd-status")).to_have_text("In progress")
    request = ServiceRequest.objects.get()

    # 5. The engine measures it; three hours later the promise is broken.
    engine.run_until_caught_up()
    case = Case.objects.get(subject=f"request:{request.pk}")
    assert case.state == Case.State.OPEN
    engine.run_until_caught_up(now=timezone.now() + datetime.timedelta(hours=3))
    case.refresh_from_db()
    assert case.state == Case.State.BREACHED
    assert Alert.objects.filter(case=case, recipient=e2e_staff[Role.CC_SUPERVISOR]).exists()

    agent.reload()
    clock = agent.locator("#sd-clocks .sd-clock").first
    expect(clock).to_contain_text("A complaint gets a first answer within 2 hours")
    expect(clock).to_contain_text("Missed")

    # 6. The supervisor completes the remedy: reason, apology, gift.
    remedy = RemedyCase.objects.get(case=case)
    supervisor.goto(f"{live_server.url}/remedies/")
    row = supervisor.locator(f"#remedy-queue tr[data-remedy='{remedy.pk}']")
    expect(row).to_contain_text("A complaint gets a first answer within 2 hours")
    row.get_by_role("link").click()
    supervisor.check("#reason-subjective")
    supervisor.fill("#reason-text", "夜间投诉未分派到坐席")
    supervisor.click("#reason-save")
    expect(supervisor.locator(".alert-success")).to_contain_text("Recorded the reason")
    supervisor.click("#apology-tab-phone")
    expect(supervisor.locator("[data-preview=phone]")).to_contain_text("张先生")
    supervisor.click("#apologise-phone")
    expect(supervisor.locator("#remedy-status")).to_contain_text("Apologised")
    expect(supervisor.locator("#gift-choices tr[data-gift=umbrella] [data-stock]")).to_have_text(
        "3"
    )
    supervisor.check("#gift-umbrella")
    supervisor.click("#gift-give")
    expect(supervisor.locator("#gift-given")).to_contain_text("Within budget")
    supervisor.click("#remedy-close")
    expect(supervisor.locator("#remedy-status")).to_contain_text("Closed")
    assert GiftStock.objects.get(unit=care_center, gift__code="umbrella").quantity == 2

    supervisor.click("#remedy-customer")
    expect(supervisor.locator("#timeline")).to_contain_text("投诉受理后2小时内首次答复客户")
