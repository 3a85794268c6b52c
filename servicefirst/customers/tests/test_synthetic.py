import collections
import csv
import json
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from servicefirst.customers import fields
from servicefirst.customers.synthetic import CUSTOMER_COLUMNS, generate, write_csv
from servicefirst.customers.validation import clean_customer

NOT_FIELDS = {"customer_number", "external_id", "home_branch", "relationship_manager"}


def _fields(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in NOT_FIELDS and not k.startswith("_")}


@pytest.fixture(scope="module")
def rows():
    return list(generate(3000, seed=11))


def test_every_row_passes_the_customer_validator(rows):
    for row in rows:
        cleaned, errors = clean_customer(_fields(row))
        assert not errors, (row["external_id"], errors)
        assert cleaned["gender"] == row["gender"]


def test_resident_ids_are_checksum_valid_and_carry_birth_date_and_gender(rows):
    residents = [r for r in rows if r["id_type"] == "resident"]
    assert len(residents) > 2800
    for row in residents:
        number = row["id_number"]
        assert fields.validate_resident_id(number) == number
        assert fields.resident_id_check_digit(number[:17]) == number[17]
        assert fields.resident_id_birth_date(number).isoformat() == row["birth_date"]
        assert ("M" if int(number[16]) % 2 else "F") == row["gender"]
    assert len({r["id_number"] for r in rows}) == len(rows)


def test_foreign_customers_have_latin_names_and_passports(rows):
    foreign = [r for r in rows if r["id_type"] == "passport"]
    assert foreign
    for row in foreign:
        assert row["name_latin"]
        assert not row["name_zh"]
        assert row["preferred_language"] != "zh"


def test_phones_are_valid_mobiles_and_unique(rows):
    seen = set()
    for row in rows:
        for raw in row["phones"].split(";"):
            number = phonenumbers.parse(raw, "CN")
            assert phonenumbers.is_valid_number(number), raw
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            assert e164.startswith("+861")
            assert e164 not in seen
            seen.add(e164)
    assert len(seen) > len(rows)  # some customers have a second phone


def test_realistic_mix(rows):
    surnames = collections.Counter(r["name_zh"][:1] for r in rows if r["name_zh"])
    assert {s for s, _n in surnames.most_common(5)} <= {"王", "李", "张", "刘", "陈", "杨"}
    languages = collections.Counter(r["preferred_language"] for r in rows)
    assert languages.most_common(1)[0][0] == "zh"
    assert languages["yue"] > 0
    assert languages["en"] > 0
    lifecycles = {r["lifecycle"] for r in rows}
    assert {"current", "potential", "competitor", "never"} <= lifecycles
    assert all(r["lifecycle_reason"] for r in rows if r["lifecycle"] != "current")
    assert any(r["do_not_call"] == "1" for r in rows)
    assert all("phone" not in r["_consents"] for r in rows if r["do_not_call"] == "1")
    # Wealth goes with the tier.
    for row in rows:
        if row["value_tier"] == "private":
            assert row["aum_band"] == "gt6m"
        if row["lifecycle"] != "current":
            assert row["value_tier"] == "mass"


def test_households_share_an_address(rows):
    groups = collections.defaultdict(list)
    for row in rows:
        if row["_household"]:
            groups[row["_household"]].append(row)
    assert groups
    for members in groups.values():
        assert len({m["home_address"] for m in members}) == 1
        relations = [m["_relation"] for m in members]
        assert relations[0] == "head"
        if "spouse" in relations:
            head, spouse = members[0], members[1]
            assert head["gender"] != spouse["gender"]
            assert head["marital_status"] == spouse["marital_status"] == "married"


def test_deterministic_for_a_seed():
    assert list(generate(200, seed=5)) == list(generate(200, seed=5))
    assert list(generate(200, seed=5)) != list(generate(200, seed=6))


def test_branches_and_relationship_managers():
    rows = list(
        generate(
            500,
            seed=3,
            branches={"bj": "bj-cy", "sh": "sh-pd", "gz": "gz-th"},
            relationship_managers={"bj-cy": ["E1"], "sh-pd": ["E2"], "gz-th": ["E3"]},
        )
    )
    for row in rows:
        if row["home_address"].startswith("北京市"):
            assert row["home_branch"] == "bj-cy"
        if row["relationship_manager"]:
            assert row["value_tier"] != "mass"
            assert (
                row["relationship_manager"]
                == {"bj-cy": "E1", "sh-pd": "E2", "gz-th": "E3"}[row["home_branch"]]
            )


def test_write_csv_streams_the_customers_mapping(tmp_path):
    seen = []
    path = tmp_path / "c.csv"
    assert write_csv(path, 250, seed=1, on_row=lambda r: seen.append(r["external_id"])) == 250
    with path.open(encoding="utf-8", newline="") as fh:
        data = list(csv.reader(fh))
    assert tuple(data[0]) == CUSTOMER_COLUMNS
    assert len(data) == 251
    assert [r[1] for r in data[1:]] == seen


@pytest.mark.django_db
def test_the_file_goes_through_the_real_importer(tmp_path):
    from servicefirst.customers.importing import import_customers
    from servicefirst.customers.models import Customer, CustomerPhone

    path = tmp_path / "c.csv"
    write_csv(path, 120, seed=9)
    result = import_customers(actor=None, path=path, mapping="customers")
    assert not result.errors
    assert result.created == 120
    assert Customer.objects.count() == 120
    assert CustomerPhone.objects.count() >= 120
    again = import_customers(actor=None, path=path, mapping="customers")
    assert again.created == 0
    assert again.unchanged == 120


@pytest.mark.django_db
def test_bench_command_smoke(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("bench", "customers", n=300, queries=20, json=True, stdout=out, stderr=StringIO())
    figures = json.loads(out.getvalue())
    assert set(figures) == {
        "customers",
        "import_rows_per_s",
        "copy_rows_per_s",
        "copy_bare_rows_per_s",
        "search_p95_ms",
        "ilike_p95_ms",
    }
    assert figures["customers"] == 300
    assert figures["import_rows_per_s"] > 0
    assert figures["copy_rows_per_s"] > 0
    assert figures["copy_bare_rows_per_s"] > 0
    for key in ("search_p95_ms", "ilike_p95_ms"):
        assert set(figures[key]) == {"name", "initials", "phone", "id"}


@pytest.mark.django_db
def test_bench_refuses_a_database_with_a_bank(tmp_path, settings):
    from servicefirst.accounts.tests.factories import BankFactory

    settings.VAR_DIR = tmp_path
    BankFactory()
    with pytest.raises(CommandError, match="database of its own"):
        call_command("bench", "customers", n=50, queries=5, json=True, stdout=StringIO())
