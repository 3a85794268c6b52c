"""Browser: a marketing analyst reads the product acceptance dashboard — funnel table, plotly
chart, flagship highlighted — and drills into a number to the (masked) customers behind it,
which the audit log records."""

import pytest
from playwright.sync_api import expect

from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Product
from servicefirst.insights.models import OfferEvent

pytestmark = pytest.mark.browser


def test_read_the_dashboard_and_drill_down(page, live_server, e2e_customers, login):
    zhang, li = e2e_customers["张三丰"], e2e_customers["李秀英"]
    deposit = Product.objects.get(code="e2e-dep")
    deposit.is_flagship = True
    deposit.save()
    for customer, stage in ((zhang, "offered"), (zhang, "interested"), (li, "offered")):
        OfferEvent.objects.create(customer=customer, product=deposit, stage=stage, channel="branch")

    login(page, "marketing_analyst")
    page.click("#nav-insights")
    row = page.locator("#funnel-table tr[data-product=e2e-dep]")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Flagship")
    expect(row.locator("td[data-stage=offered]")).to_have_text("2")
    expect(row.locator("td[data-stage=bought]")).to_have_text("1")
    expect(row.locator("td[data-rate=overall]")).to_have_text("50%")
    # plotly has drawn the chart from the bundle served by the page
    expect(page.locator("#funnel-chart.js-plotly-plot")).to_be_visible()
    expect(page.locator("#matrix-chart.js-plotly-plot")).to_be_visible()

    row.locator("td[data-stage=bought] a").click()
    drill = page.locator("#drill-list")
    expect(drill).to_contain_text(zhang.number)
    expect(drill).to_contain_text("张**")
    expect(drill).not_to_contain_text("张三丰")
    expect(page.locator("#drill-total")).to_contain_text("1 customer")
    assert AuditEvent.objects.filter(
        action="customer.export", customer_id=zhang.pk, detail__drilldown="funnel"
    ).exists()

    page.locator("#matrix-table a").first.click()
    expect(drill).to_contain_text("Current customer")
