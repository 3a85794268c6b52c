"""Browser: the branch manager opens the branch report, sees the day's figures and the waits
chart, and downloads the same table as CSV (recorded in the audit log)."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from servicefirst.core.models import AuditEvent
from servicefirst.reports.tests.fixtures import DAY1, DAY2, report_branch

pytestmark = pytest.mark.browser


@pytest.fixture
def reported(e2e_org, e2e_staff):
    return report_branch(e2e_org["branch"])


def test_manager_reads_the_report_and_downloads_the_csv(page, live_server, reported, login):
    login(page, "branch_manager")
    page.goto(f"{live_server.url}/reports/")
    page.fill("#report-from", DAY1.isoformat())
    page.fill("#report-to", DAY2.isoformat())
    page.click("#report-show")

    expect(page.locator("#report-kpis [data-kpi=tickets]")).to_have_text("9")
    expect(page.locator("#report-kpis [data-kpi=p90_wait]")).to_have_text("23.0")
    expect(page.locator("#report-kpis [data-kpi=within]")).to_have_text("75.0%")
    day1 = page.locator("#table-days tbody tr").first
    expect(day1).to_contain_text("2026-03-02")
    expect(day1).to_contain_text("12.7")
    # the plotly chart is drawn by the bundled script
    expect(page.locator("#waits-chart .main-svg").first).to_be_visible()
    expect(page.locator("#service-chart .main-svg").first).to_be_visible()

    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.endswith("20260302-20260303.csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert next(r for r in rows if r and r[0] == "2026-03-02")[:7] == [
        "2026-03-02",
        "7",
        "5",
        "1",
        "12.7",
        "24.0",
        "71.4",
    ]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, object_type="branch_report", object_id=str(reported.pk)
    ).exists()
