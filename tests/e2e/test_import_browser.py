"""Browser: a back-office officer uploads a customer file with bad rows and sees the report,
every bad row by line and column; nothing was imported."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from servicefirst.customers.models import Customer, ImportJob

pytestmark = pytest.mark.browser

BAD = Path(__file__).resolve().parents[2] / "servicefirst/customers/tests/data/customers_bad.csv"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_upload_a_file_with_bad_rows_and_see_the_report(page, live_server, e2e_staff, login):
    login(page, "back_office")
    page.locator("nav a[href='/customers/import/']").click()
    expect(page.locator("#import-form")).to_be_visible()
    page.set_input_files("#id_file", str(BAD))
    page.select_option("#id_mapping", "customers")
    page.click("#import-submit")

    # the status page waits for the worker, polling
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "pending")
    expect(page.locator("#import-progress .progress")).to_be_visible()
    job = ImportJob.objects.get()
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)

    expect(page.locator("#import-progress")).to_have_attribute(
        "data-status", "rejected", timeout=10_000
    )
    expect(page.locator("#import-outcome")).to_contain_text("nothing was imported")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(6)
    for line, column in (
        (3, "phones"),
        (4, "id_number"),
        (5, "name_zh"),
        (6, "email"),
        (6, "value_tier"),
        (7, "customer_number"),
    ):
        row = page.locator(f"#import-errors tr[data-line='{line}'][data-field='{column}']")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text(str(line))
        expect(row.locator("td").nth(1)).to_have_text(column)
    expect(page.locator("[data-count='bad']")).to_have_text("5")
    assert Customer.objects.count() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED
