"""Browser: a commitment is discussed before it binds, then published for customers.

The Customer Care Center's supervisor drafts "calls answered within 20 seconds", opens it for
discussion; an agent of the same unit comments and agrees; the supervisor approves and
publishes it; the public page (no login) shows it in the visitor's language."""

import pytest
from playwright.sync_api import expect

from servicefirst.commitments.demo import ensure_calendars
from servicefirst.commitments.models import CommitmentVersion

pytestmark = pytest.mark.browser


def test_a_supervisor_publishes_a_commitment_after_discussion(
    browser, live_server, e2e_org, e2e_staff, login
):
    ensure_calendars()
    supervisor = browser.new_page()
    login(supervisor, "cc_supervisor")
    supervisor.goto(f"{live_server.url}/commitments/new/")
    supervisor.fill("#id_code", "cc-answer-20s")
    supervisor.select_option("#id_area", "contact_centre")
    supervisor.select_option("#id_owner", str(e2e_org["care_center"].pk))
    supervisor.fill("#id_statement_zh", "来电20秒内由人工坐席接听")
    supervisor.fill("#id_statement_en", "Calls reach an agent within 20 seconds")
    supervisor.select_option("#id_start_event", "contact.call.offered")
    expect(supervisor.locator("#start-attrs")).to_contain_text("queue, language")
    supervisor.select_option("#id_stop_event", "contact.call.answered")
    supervisor.fill("#id_target_value", "20")
    supervisor.select_option("#id_target_unit", "seconds")
    supervisor.fill("#id_goal_percent", "80")
    supervisor.select_option("#id_calendar", label="Around the clock (24/7)")
    supervisor.click("#save-commitment")

    expect(supervisor.locator("#working-version .version-status")).to_have_text("Draft")
    supervisor.click("#open-discussion")
    expect(supervisor.locator("#working-version .version-status")).to_have_text("In discussion")
    detail_url = supervisor.url

    agent = browser.new_page()
    login(agent, "cc_agent")
    agent.goto(detail_url)
    agent.fill("#comment-text", "高峰时段需要增加两名坐席，其余同意。")
    agent.click("#agree")
    expect(agent.locator("#comments")).to_contain_text("高峰时段需要增加两名坐席")
    expect(agent.locator("#tally [data-tally=agree]")).to_have_text("1 agree")
    expect(agent.locator("#approve")).to_have_count(0)

    supervisor.reload()
    expect(supervisor.locator("#comments .comment [data-agrees=yes]")).to_have_count(1)
    supervisor.click("#approve")
    expect(supervisor.locator("#working-version .version-status")).to_have_text("Approved")
    supervisor.click("#publish")
    expect(supervisor.locator("#published-version .version-status")).to_have_text("Published")
    version = CommitmentVersion.objects.get(commitment__code="cc-answer-20s")
    assert version.status == "published"
    assert version.approved_by == e2e_staff["cc_supervisor"]

    public = browser.new_page()  # a visitor, not logged in
    public.goto(f"{live_server.url}/commitments/public/")
    promise = public.locator(".promise[data-code=cc-answer-20s]")
    expect(promise).to_contain_text("Calls reach an agent within 20 seconds")
    expect(promise).to_contain_text("within 20 seconds")
    public.get_by_role("button", name="中文").click()
    expect(public.locator(".promise[data-code=cc-answer-20s]")).to_contain_text(
        "来电20秒内由人工坐席接听"
    )
