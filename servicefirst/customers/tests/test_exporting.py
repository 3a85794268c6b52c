import csv
import datetime
import io

import pytest
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied
from servicefirst.core.models import AuditEvent
from servicefirst.customers.exporting import COLUMNS, export_customers
from servicefirst.customers.importing import import_customers
from servicefirst.customers.tests.factories import make_customer, resident_id

pytestmark = pytest.mark.django_db

ID = resident_id(datetime.date(1980, 5, 17))


@pytest.fixture
def branches():
    return UnitFactory(code="bj01"), UnitFactory(code="sh01")


@pytest.fixture
def customers(branches):
    bj, sh = branches
    return [
        make_customer(
            name_zh="张三丰",
            phones=["13800138000"],
            id_number=ID,
            home_branch=bj,
            value_tier="wealth",
        ),
        make_customer(name_zh="李四", phones=["13900139000"], home_branch=sh),
    ]


def rows_of(export) -> list[dict]:
    text = b"".join(export.chunks).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_masked_export_for_a_role_without_full_reveal(customers):
    analyst = make_staff(Role.MARKETING_ANALYST).user
    export = export_customers(actor=analyst, fmt="csv")
    assert export.masked
    assert export.count == 2
    rows = rows_of(export)
    zhang = next(r for r in rows if r["name_zh"] == "张三丰")
    assert zhang["phones"] == "138****8000"
    assert zhang["id_number"] == "**************" + ID[-4:]
    assert ID not in str(rows)
    assert "13800138000" not in str(rows)
    assert zhang["birth_date"] == "1980-**-**"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail["masked"] is True
    assert event.detail["count"] == 2
    assert event.detail["format"] == "csv"
    assert event.actor_id == analyst.pk


def test_unmasked_export_for_the_compliance_auditor_is_logged_per_customer(customers):
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    export = export_customers(actor=auditor, fmt="csv")
    assert not export.masked
    rows = rows_of(export)
    assert list(rows[0]) == list(COLUMNS)
    zhang = next(r for r in rows if r["name_zh"] == "张三丰")
    assert zhang["phones"] == "+8613800138000"
    assert zhang["id_number"] == ID
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert events.filter(object_type="export", detail__masked=False).count() == 1
    assert set(events.filter(customer_id__isnull=False).values_list("customer_id", flat=True)) == {
        c.pk for c in customers
    }


def test_branch_manager_exports_only_their_branch_masked(customers, branches):
    bj, _sh = branches
    manager = make_staff(Role.BRANCH_MANAGER, unit=bj).user
    export = export_customers(actor=manager, fmt="csv")
    rows = rows_of(export)
    assert [r["name_zh"] for r in rows] == ["张三丰"]
    assert rows[0]["phones"] == "138****8000"  # reveal scope is UNIT, not ALL: masked


def test_filters_and_refusal(customers, branches):
    bj, sh = branches
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    assert export_customers(actor=auditor, branch=sh.pk).count == 1
    assert export_customers(actor=auditor, tier="wealth").count == 1
    assert export_customers(actor=auditor, lifecycle="former").count == 0
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).first()
    assert event.detail["filter"] == {"branch": None, "lifecycle": "former", "tier": ""}
    with pytest.raises(PermissionDenied):
        export_customers(actor=make_staff(Role.TELLER).user)


def test_unmasked_export_can_be_imported_again(customers, tmp_path):
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(export_customers(actor=auditor).chunks))
    result = import_customers(actor=None, path=path)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_xlsx_export(customers):
    import openpyxl

    auditor = make_staff(Role.MARKETING_ANALYST).user
    export = export_customers(actor=auditor, fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.chunks)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert len(rows) == 3
    assert "138****8000" in rows[1] or "138****8000" in rows[2]


def test_export_page(client, customers):
    analyst = make_staff(Role.MARKETING_ANALYST)
    client.force_login(analyst.user)
    page = client.get(reverse("customers:export"))
    assert page.status_code == 200
    assert 'id="export-masking"' in page.content.decode()
    response = client.post(reverse("customers:export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "138****8000" in body
    assert "13800138000" not in body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
    client.force_login(make_staff(Role.TELLER).user)
    assert client.get(reverse("customers:export")).status_code == 403
