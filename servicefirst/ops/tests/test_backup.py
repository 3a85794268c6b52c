"""Backup and restore for real, on the vendor the suite runs on (SQLite by default, PostgreSQL
with DATABASE_URL): a bank with customers (phones, encrypted identity numbers), holdings and
service requests is backed up through `servicefirst backup`, restored by `servicefirst restore`
in another process into an empty second database (PostgreSQL: a fresh database created for the
test; SQLite: a new file), and found there whole: row counts, rows, an identity number that
decrypts. PostgreSQL needs pg_dump and pg_restore; CI fails without them, elsewhere the tests
say what is missing."""

import datetime
import json
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from servicefirst.ops import backup

CLI_TIMEOUT_S = 600  # only against a hang; no test waits for a time
SNAPSHOT_CODE = (
    "import django, json; django.setup(); "
    "from servicefirst.ops.tests.test_backup import snapshot; "
    "print(json.dumps(snapshot()))"
)


def _pg_tools_or_skip() -> None:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"needs {' and '.join(missing)} (apt: postgresql-client)")


def load_bank() -> dict:
    """Customers with personal data, holdings and service requests, through the services."""
    from servicefirst.accounts.models import Role, Unit
    from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
    from servicefirst.customers.models import Consent, Holding
    from servicefirst.customers.services import interaction_record
    from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id
    from servicefirst.servicedesk import services as desk
    from servicefirst.servicedesk.models import RequestCategory

    bank = BankFactory()
    hq = UnitFactory(bank=bank, code="hq", kind=Unit.Kind.HEAD_OFFICE, line=Unit.Line.SECOND)
    branch = UnitFactory(bank=bank, code="bj", parent=hq)
    ccc = UnitFactory(bank=bank, code="ccc", kind=Unit.Kind.CARE_CENTER, parent=hq)
    agent = make_staff(Role.CC_AGENT, unit=ccc, username="agent")
    deposit = ProductFactory(code="dep1y")
    RequestCategory.objects.create(
        code="fee", name_zh="费用争议", name_en="Fee dispute", default_unit=ccc
    )
    people = [
        ("张三丰", "13800138000", datetime.date(1980, 5, 17)),
        ("李秀英", "13900139000", datetime.date(1975, 1, 2)),
        ("王小明", "13700137000", datetime.date(1990, 12, 30)),
    ]
    for i, (name, phone, birth) in enumerate(people):
        customer = make_customer(
            name_zh=name,
            phones=[phone],
            home_branch=branch,
            id_type="resident",
            id_number=resident_id(birth, seq=100 + i),
            email=f"c{i}@example.com",
        )
        Holding.objects.create(
            customer=customer, product=deposit, balance=Decimal("1000.25") * (i + 1)
        )
        Consent.objects.create(customer=customer, kind="marketing", source="branch form")
        interaction_record(customer=customer, kind="visit", summary=f"{name}来行")
        desk.open_request(
            actor=agent.user,
            kind="complaint",
            category_code="fee",
            channel="phone",
            subject=f"{name}投诉年费",
            description="年费争议",
            customer_id=customer.pk,
        )
    return {"customers": len(people)}


def snapshot() -> dict:
    """What a restore must bring back, read from the configured database (JSON-able)."""
    from servicefirst.core.models import AuditEvent
    from servicefirst.customers.fields import decrypt
    from servicefirst.customers.models import Customer
    from servicefirst.servicedesk.models import ServiceRequest

    migrations, counts = backup.database_state()
    customers = [
        {
            "number": c.number,
            "name": c.name_zh,
            "email": c.email,
            "id_number": decrypt(c.id_number_encrypted),
            "phones": [p.e164 for p in c.phones.all()],
            "holdings": [[h.product.code, str(h.balance)] for h in c.holdings.all()],
        }
        for c in Customer.objects.order_by("number").prefetch_related("phones", "holdings__product")
    ]
    requests = list(
        ServiceRequest.objects.order_by("number").values_list(
            "number", "subject", "description", "status", "customer__number"
        )
    )
    return {
        "vendor": connection.vendor,
        "migrations": migrations,
        "counts": counts,
        "customers": customers,
        "requests": [list(r) for r in requests],
        "audit": list(AuditEvent.objects.order_by("id").values_list("action", flat=True)),
    }


def _database_url(name: str) -> str:
    """A DATABASE_URL for a database of the same server (PostgreSQL) or a file (SQLite)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    sd = connection.settings_dict
    auth = quote(sd["USER"] or "", safe="")
    if sd.get("PASSWORD"):
        auth += ":" + quote(sd["PASSWORD"], safe="")
    host = sd.get("HOST") or "127.0.0.1"
    port = sd.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "SERVICEFIRST_DEV": "1",
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def second_database(tmp_path):
    """An empty database beside the test database: its DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield _database_url(str(tmp_path / "restored.sqlite3"))
        return
    import psycopg

    name = f"sf_bak_restore_{uuid.uuid4().hex[:10]}"
    params = {**connection.get_connection_params(), "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _database_url(name)
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_an_empty_database_whole(tmp_path, second_database, capsys):
    if connection.vendor == "postgresql":
        _pg_tools_or_skip()
    # given
    load_bank()
    before = snapshot()

    # when
    call_command("backup", "--output", str(tmp_path))
    out, err = capsys.readouterr()
    path = Path(out.strip())
    restored = _cli(second_database, "-m", "servicefirst", "restore", str(path))

    # then: the backup
    assert path.parent == tmp_path
    assert path.exists()
    assert path.suffix == (".dump" if connection.vendor == "postgresql" else ".sqlite3")
    assert "Backing up" in err
    assert "Done:" in err
    manifest = json.loads(backup.manifest_path_for(path).read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["sha256"] == backup.file_sha256(path)
    assert manifest["size"] == path.stat().st_size
    assert manifest["row_counts"] == before["counts"]
    assert manifest["migrations"]["core"] == "0006_audit_backup_restore"
    assert manifest["row_counts"]["customers_customer"] == 3
    assert manifest["created_at"].endswith("Z")
    assert snapshot()["audit"][-1] == "ops.backup"
    # the restore
    assert restored.returncode == 0, restored.stderr
    assert "row counts match the manifest" in restored.stdout
    after = json.loads(_cli(second_database, "-c", SNAPSHOT_CODE).stdout)
    assert after["vendor"] == before["vendor"]
    assert after["migrations"] == before["migrations"]
    assert after["customers"] == before["customers"]
    assert after["customers"][0]["name"] == "张三丰"
    assert after["customers"][0]["id_number"].endswith(before["customers"][0]["id_number"][-4:])
    assert all(c["id_number"] for c in after["customers"])  # decrypts with the same key
    assert after["requests"] == before["requests"]
    assert len(after["requests"]) == 3
    counts = {**after["counts"], "core_auditevent": after["counts"]["core_auditevent"] - 1}
    assert counts == before["counts"]
    assert after["audit"] == [*before["audit"], "ops.restore"]

    # and a database that is not empty is refused, unless --force replaces it
    again = _cli(second_database, "-m", "servicefirst", "restore", str(path))
    assert again.returncode != 0
    assert "is not empty" in again.stderr
    forced = _cli(second_database, "-m", "servicefirst", "restore", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "row counts match the manifest" in forced.stdout
    assert (
        json.loads(_cli(second_database, "-c", SNAPSHOT_CODE).stdout)["customers"]
        == (before["customers"])
    )


@pytest.mark.django_db(transaction=True)
def test_restore_verifies_the_checksum_before_touching_the_database(tmp_path):
    if connection.vendor == "postgresql":
        _pg_tools_or_skip()
    result = backup.backup_create(output=tmp_path)
    damaged = tmp_path / "damaged" / result.path.name
    damaged.parent.mkdir()
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    shutil.copy(result.manifest_path, backup.manifest_path_for(damaged))

    with pytest.raises(backup.BackupError, match="does not match its manifest"):
        backup.backup_restore(path=damaged, force=True)

    backup.manifest_path_for(damaged).unlink()
    with pytest.raises(backup.BackupError, match="No manifest"):
        backup.backup_restore(path=damaged, force=True)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    if connection.vendor == "postgresql":
        _pg_tools_or_skip()
    result = backup.backup_create(output=tmp_path / "b.bin")
    with pytest.raises(backup.BackupError, match="is not empty.*--force"):
        backup.backup_restore(path=result.path)


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_to_overwrite(tmp_path):
    if connection.vendor == "postgresql":
        _pg_tools_or_skip()
    target = tmp_path / "one.bin"
    target.write_text("x")
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup_create(output=target)


@pytest.mark.django_db
def test_backup_names_a_missing_pg_dump(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite backs up without an external tool")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH"):
        backup.backup_create(output=tmp_path / "x.dump")


@pytest.mark.django_db
def test_backup_refuses_a_pg_dump_older_than_the_server(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite backs up without an external tool")
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="pg_dump 9 .* is older than the server"):
        backup.backup_create(output=tmp_path / "x.dump")
    assert not (tmp_path / "x.dump").exists()
