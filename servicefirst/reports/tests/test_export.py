"""Exports hold the page's tables, as CSV and XLSX, and are recorded in the audit log."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.reports import services
from servicefirst.reports.tests.fixtures import DAY1, DAY2, report_branch

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return report_branch()


@pytest.fixture
def manager(branch):
    return make_staff(Role.BRANCH_MANAGER, unit=branch).user


def export(actor, branch, fmt):
    return services.report_export(
        actor=actor, branch_id=branch.pk, day_from=DAY1, day_to=DAY2, fmt=fmt
    )


def test_csv_holds_both_tables(manager, branch):
    result = export(manager, branch, "csv")
    assert result.filename == f"branch-report-{branch.code}-20260302-20260303.csv"
    assert result.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Branch report", str(branch)]
    assert ["Per day"] in rows
    day1 = next(r for r in rows if r and r[0] == "2026-03-02")
    assert day1[:11] == ["2026-03-02", "7", "5", "1", "12.7", "24.0", "71.4", "1", "20.0", "3", "2"]
    total = next(r for r in rows if r and r[0] == "Total")
    assert total[:7] == ["Total", "9", "6", "1", "11.4", "23.0", "75.0"]
    cash = next(r for r in rows if r and r[0] == "Cash")
    assert cash == ["Cash", "7", "4", "9.0", "4.5", "5.7"]


def test_xlsx_has_a_sheet_per_table_with_numbers(manager, branch):
    result = export(manager, branch, "xlsx")
    book = load_workbook(io.BytesIO(result.content))
    assert book.sheetnames == ["Per day", "Per service"]
    days = book["Per day"]
    assert days["A3"].value == "Day"
    assert [c.value for c in days[4]][:7] == ["2026-03-02", 7, 5, 1, 12.7, 24.0, 71.4]
    assert days["A6"].value == "Total"
    services_sheet = book["Per service"]
    assert [c.value for c in services_sheet[4]] == ["Cash", 7, 4, 9.0, 4.5, 5.7]


def test_every_export_is_audited_without_personal_data(manager, branch):
    export(manager, branch, "csv")
    export(manager, branch, "xlsx")
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="branch_report")
    assert [e.detail["format"] for e in events.order_by("id")] == ["csv", "xlsx"]
    assert all(e.customer_id is None and e.detail["personal_data"] is False for e in events)


def test_an_unknown_format_is_rejected(manager, branch):
    with pytest.raises(ValidationFailed):
        export(manager, branch, "pdf")
    assert not AuditEvent.objects.filter(object_type="branch_report").exists()


def test_export_download(client, manager, branch):
    client.force_login(manager)
    response = client.get(
        reverse("reports:export"),
        {"branch": branch.pk, "from": "2026-03-02", "to": "2026-03-03", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "2026-03-02,7,5,1" in response.content.decode("utf-8-sig")
    bad = client.get(reverse("reports:export"), {"from": "nope", "format": "csv"})
    assert bad.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in bad.content.decode()
