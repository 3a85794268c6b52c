"""Browser: after a served ticket the customer answers the satisfaction survey on the public
page (no login), then the branch manager sees the answer in the branch's scorecard."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from servicefirst.accounts.models import Role
from servicefirst.commitments.events import record
from servicefirst.satisfaction.models import SurveyInvitation
from servicefirst.satisfaction.services import invite_from_events

pytestmark = pytest.mark.browser


def test_customer_answers_and_the_branch_manager_sees_it(
    page, live_server, e2e_org, e2e_staff, e2e_customers, login
):
    # given a ticket served by the teller, and the invitation job run
    branch = e2e_org["branch"]
    record(
        "floor.ticket.finished",
        subject="ticket:4242",
        occurred_at=timezone.now() - datetime.timedelta(minutes=10),
        source_key="e2e.ticket.4242.finished",
        unit_id=branch.pk,
        customer_id=e2e_customers["张三丰"].pk,
        staff_id=e2e_staff[Role.TELLER].pk,
    )
    assert invite_from_events()["invited"] == 1
    invitation = SurveyInvitation.objects.get()

    # when the customer opens the link (no login), switches to English and answers
    page.goto(f"{live_server.url}/satisfaction/s/{invitation.token}/")
    expect(page.locator("#touchpoint")).to_contain_text("北京朝阳支行")
    page.click("#language-switcher a[lang=en]")
    expect(page.locator("#touchpoint")).to_contain_text("your visit to Beijing Chaoyang Branch")
    expect(page.locator("body")).not_to_contain_text("张三丰")
    page.click("label[for=csat-5]")
    page.click("label[for=nps-9]")
    page.fill("#comment", "The teller explained everything patiently.")
    page.click("#survey-submit")
    expect(page.locator("#survey-state")).to_have_attribute("data-state", "answered")

    # and opening the link again says it was answered
    page.goto(f"{live_server.url}/satisfaction/s/{invitation.token}/?lang=en")
    expect(page.locator("#survey-state")).to_contain_text("Your answer has been received")

    # then the branch manager sees it on the branch's scorecard, and on the teller's
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/satisfaction/")
    row = page.locator(f"#table-units tr[data-unit='{branch.code}']")
    expect(row.locator("[data-col=csat]")).to_have_text("5.0")
    expect(row.locator("[data-col=nps]")).to_have_text("100.0")
    expect(page.locator("#table-units tbody tr")).to_have_count(1)  # their branch only
    row.locator("a").click()
    expect(page.locator("#unit-name")).to_have_text(branch.name_en)
    expect(page.locator("#comments")).to_contain_text("The teller explained everything patiently.")
    expect(page.locator("#satisfaction-chart .main-svg").first).to_be_visible()
    teller = page.locator(f"#table-staff tr[data-staff='{e2e_staff[Role.TELLER].pk}']")
    expect(teller.locator("[data-col=responses]")).to_have_text("1")
