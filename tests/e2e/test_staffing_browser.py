"""Browser: a contact-centre supervisor opens the staffing planner, sees the sample bank day
planned, pastes a forecast of their own and gets the table and the chart for it; a bad row
is named."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_supervisor_plans_a_forecast(page, live_server, e2e_staff, login):
    login(page, "cc_supervisor")
    page.goto(f"{live_server.url}/staffing/")
    expect(page.locator("#planner-table tbody tr")).to_have_count(24)
    expect(page.locator("#staffing-chart .main-svg").first).to_be_visible()

    page.fill("#planner-service-level", "80")
    page.fill("#planner-answer-s", "20")
    page.fill("#planner-patience-s", "90")
    page.fill("#planner-forecast", "start,calls,aht\n09:00,360,240\n09:30,300,240\n10:00,240,240")
    page.click("#planner-submit")

    rows = page.locator("#planner-table tbody tr")
    expect(rows).to_have_count(3)
    first = page.locator("#planner-table tr[data-start='09:00']")
    expect(first.locator("[data-col=agents_c]")).to_have_text("54")
    expect(first).to_contain_text("48.0")  # Erlangs offered
    expect(page.locator("#planner-totals [data-total=calls]")).to_have_text("900")
    expect(page.locator("#staffing-chart .main-svg").first).to_be_visible()
    expect(page.locator("#staffing-chart")).to_contain_text("Agents (Erlang A)")

    page.fill("#planner-forecast", "09:00,360,240\n09:30,300,four minutes")
    page.click("#planner-submit")
    expect(page.locator("[data-error-for=forecast]")).to_contain_text("Row 2, column “aht”")
    expect(page.locator("#planner-table")).to_have_count(0)
