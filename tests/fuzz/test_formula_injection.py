"""Formula injection ("CSV injection") in exports: a customer, a branch or a member of staff
named like a spreadsheet formula comes out of every CSV and XLSX export as text that no
spreadsheet program runs (a leading single quote, `servicefirst.core.exports`), and importing our
own export gives back exactly what was exported.

The exports: customers (CSV and XLSX), the branch report (CSV and XLSX), the culture completion
report, the service-request report and the commitments' attainment (CSV).
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from servicefirst.accounts.models import Staff, Unit
from servicefirst.core.exports import (
    FORMULA_STARTS,
    needs_quote,
    safe_cell,
    safe_xlsx_row,
    unescape_cell,
)
from servicefirst.customers.importing import import_customers
from servicefirst.customers.models import Customer
from servicefirst.customers.tests.factories import make_customer

EVIL = "=cmd|' /C calc'!A0"
OTHERS = ["+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "'=already quoted"]


# --- the helper ----------------------------------------------------------------------------------


def test_formula_cells_are_quoted_and_numbers_are_not():
    assert safe_cell(EVIL) == "'" + EVIL
    for text in OTHERS:
        assert safe_cell(text) == "'" + text
    for value in ("-12.50", "+8613800138000", "1e5", 42, -3.5, None, "", "张三", "a=b"):
        assert safe_cell(value) == value
    assert safe_xlsx_row(["\x01=1+1", "ok\x0b"]) == ["'=1+1", "ok"]


@given(st.text(max_size=30) | st.sampled_from([EVIL, *OTHERS]).map(lambda s: "'" * 2 + s))
def test_unescape_undoes_exactly_what_safe_cell_did(text):
    quoted = safe_cell(text)
    assert unescape_cell(quoted) == text
    # what a spreadsheet sees never starts a formula
    assert not quoted.startswith(FORMULA_STARTS) or not needs_quote(quoted)


# --- the exports ---------------------------------------------------------------------------------


@pytest.fixture
def evil_bank(bank, db):
    """The demo bank with a customer, every unit and a member of staff named like a formula."""
    Unit.objects.update(name_zh=EVIL, name_en=EVIL)
    Staff.objects.filter(user__username="teller.bj").update(name=EVIL)
    branch = Unit.objects.get(code="bj-cy")
    customer = make_customer(
        name_zh=EVIL,
        name_latin="@SUM(1+1)*cmd|' /C calc'!A0",
        employer="+1+1",
        phones=["13800138000", "13900139000"],
        home_branch=branch,
    )
    return {"branch": branch, "customer": customer}


def as_user(client, username):
    client.force_login(Staff.objects.get(user__username=username).user)
    return client


def content_of(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_cells(data: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [cell for row in rows for cell in row]


def xlsx_cells(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))  # not data_only: formulas stay visible
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                cells.append(cell.value)
    return cells


def assert_neutralised(cells, *expected):
    for text in expected:
        assert "'" + text in cells, f"{text!r} is not in the export, quoted"
    for cell in cells:
        if isinstance(cell, str):
            assert not needs_quote(cell) or cell.startswith("'"), repr(cell)
            assert not cell.startswith(FORMULA_STARTS) or not needs_quote(cell), repr(cell)


def exports(client, evil_bank):
    """(name, format, bytes) of every export, each fetched as a user who may make it."""
    branch = evil_bank["branch"]
    today = timezone.localdate()
    out = []
    auditor = as_user(client, "auditor")
    for fmt in ("csv", "xlsx"):
        response = auditor.post(reverse("customers:export"), {"format": fmt})
        out.append(("customers", fmt, content_of(response)))
    manager = as_user(client, "bm.bj")
    for fmt in ("csv", "xlsx"):
        response = manager.get(
            reverse("reports:export"),
            {
                "branch": branch.pk,
                "from": (today - datetime.timedelta(days=7)).isoformat(),
                "to": today.isoformat(),
                "format": fmt,
            },
        )
        out.append(("branch report", fmt, content_of(response)))
    out.append(("culture", "csv", content_of(manager.get(reverse("culture:report_csv")))))
    supervisor = as_user(client, "supervisor")
    out.append(("requests", "csv", content_of(supervisor.get(reverse("servicedesk:report_csv")))))
    auditor = as_user(client, "auditor")
    out.append(
        ("attainment", "csv", content_of(auditor.get(reverse("commitments:attainment_csv"))))
    )
    return out


def test_every_export_neutralises_formula_cells(client, evil_bank):
    expected = {
        "customers": [EVIL, "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1"],
        "branch report": [EVIL],
        "culture": [EVIL],
        "requests": [EVIL],
        # the bank has no measured cases (the engine does not run): its rows are only checked
        "attainment": [],
    }
    seen = set()
    for name, fmt, data in exports(client, evil_bank):
        cells = csv_cells(data) if fmt == "csv" else xlsx_cells(data)
        assert_neutralised(cells, *expected[name])
        seen.add((name, fmt))
    assert len(seen) == 7


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_our_export_imports_back_unchanged(client, evil_bank, tmp_path, fmt):
    # given an unmasked export (the auditor may reveal every field)
    response = as_user(client, "auditor").post(reverse("customers:export"), {"format": fmt})
    path = tmp_path / f"customers.{fmt}"
    path.write_bytes(content_of(response))
    exported = Customer.objects.filter(merged_into__isnull=True).count()
    # when back office imports it again
    backoffice = Staff.objects.get(user__username="backoffice").user
    result = import_customers(actor=backoffice, path=path)
    # then nothing changes: the quotes the export added are gone again, nothing else is touched
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, exported)
    customer = Customer.objects.get(pk=evil_bank["customer"].pk)
    assert (customer.name_zh, customer.name_latin, customer.employer) == (
        EVIL,
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+1",
    )


def test_a_formula_in_a_file_from_elsewhere_is_stored_as_text(bank, db, tmp_path):
    path = tmp_path / "elsewhere.csv"
    path.write_text(f'external_id,name_zh,employer\nEXT-9,"{EVIL}",=1+1\n', encoding="utf-8")
    result = import_customers(actor=None, path=path)
    assert (result.created, result.errors) == (1, [])
    customer = Customer.objects.get(source_key="EXT-9")
    assert (customer.name_zh, customer.employer) == (EVIL, "=1+1")
