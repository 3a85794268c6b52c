import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Customer

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_output_of_a_good_file():
    out, _err = run("customers", str(DATA / "customers_good.csv"), "--json")
    assert json.loads(out) == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    out, _err = run("customers", str(DATA / "customers_good.csv"), "--json")
    assert json.loads(out) == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    event = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).first()
    assert event.channel == "cli"
    assert event.actor_username == "system"


def test_rejected_file_prints_every_bad_row_and_exits_non_zero():
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "customers", str(DATA / "customers_bad.csv"), "--json", stdout=out)
    assert caught.value.returncode == 1
    report = json.loads(out.getvalue())
    assert set(report) == {"created", "updated", "unchanged", "errors"}
    assert report["created"] == 0
    assert {(e["line"], e["field"]) for e in report["errors"]} == {
        (3, "phones"),
        (4, "id_number"),
        (5, "name_zh"),
        (6, "email"),
        (6, "value_tier"),
        (7, "customer_number"),
    }
    assert all(set(e) == {"line", "field", "message"} for e in report["errors"])
    assert Customer.objects.count() == 0


def test_valid_only_exits_zero_and_imports_the_valid_rows():
    out, _err = run("customers", str(DATA / "customers_bad.csv"), "--valid-only", "--json")
    report = json.loads(out)
    assert report["created"] == 1
    assert len(report["errors"]) == 6


def test_human_report_and_acting_staff():
    analyst = make_staff(Role.MARKETING_ANALYST, username="analyst1")
    out, _err = run("customers", str(DATA / "customers_good.csv"), "--as", "analyst1")
    assert "created 3" in out
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.actor_id == analyst.user.pk


def test_staff_without_permission_and_unknown_login_are_refused():
    make_staff(Role.TELLER, username="teller1")
    with pytest.raises(CommandError):
        run("customers", str(DATA / "customers_good.csv"), "--as", "teller1")
    with pytest.raises(CommandError):
        run("customers", str(DATA / "customers_good.csv"), "--as", "nobody")
    assert Customer.objects.count() == 0


def test_help_lists_the_mappings():
    from django.core.management import load_command_class

    help_text = (
        load_command_class("servicefirst.customers", "import")
        .create_parser("servicefirst", "import")
        .format_help()
    )
    for name in ("customers", "uci-bank-marketing", "churn-modelling", "bank-churners"):
        assert name in help_text
