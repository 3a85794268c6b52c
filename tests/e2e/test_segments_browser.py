"""Browser: a marketing analyst builds a segment — the count follows the filters live — saves
it, and turns it into a call list that leaves out customers without consent."""

import pytest
from playwright.sync_api import expect

from servicefirst.customers.models import Consent
from servicefirst.insights.models import OutreachList, Segment

pytestmark = pytest.mark.browser


def test_build_preview_save_and_use_a_segment(page, live_server, e2e_customers, login):
    zhang = e2e_customers["张三丰"]
    Consent.objects.create(customer=zhang, kind=Consent.Kind.PHONE, source="开户表格")
    login(page, "marketing_analyst")
    page.click("#nav-insights")
    page.locator("#insight-tabs a", has_text="Segments").click()
    page.click("#new-segment")

    count = page.locator("#segment-count")
    page.get_by_label("Current customer", exact=True).check()
    expect(count).to_have_attribute("data-count", "4")
    page.check("#seg-consents_0")  # marketing
    expect(count).to_have_attribute("data-count", "1")
    expect(page.locator("#segment-sample")).to_contain_text(zhang.number)
    expect(page.locator("#segment-sample")).to_contain_text("张**")
    expect(page.locator("#segment-sample")).not_to_contain_text("张三丰")
    page.select_option("#seg-home_branch", label="Shanghai Pudong Branch")
    expect(count).to_have_attribute("data-count", "0")
    page.select_option("#seg-home_branch", index=0)
    expect(count).to_have_attribute("data-count", "1")

    page.fill("#seg-name", "Marketing-ready current customers")
    page.click("#segment-save")
    expect(page.locator(".alert-success")).to_contain_text("1 customers")
    segment = Segment.objects.get()
    assert segment.definition == [
        {"field": "lifecycle", "op": "in", "value": ["current"]},
        {"field": "consent", "op": "has", "value": "marketing"},
    ]
    expect(page.locator("#segment-count")).to_have_attribute("data-count", "1")

    page.select_option("#outreach-form select[name=purpose]", "campaign")
    page.select_option("#outreach-form select[name=channel]", "sms")
    page.click("#outreach-create")
    expect(page.locator("#outreach-counts [data-count=members]")).to_have_text("0")
    expect(page.locator("#outreach-excluded [data-reason=no_sms_consent]")).to_contain_text("1")
    assert OutreachList.objects.get().member_count == 0
