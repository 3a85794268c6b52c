"""Backups of the configured database, and restoring one (`servicefirst backup`, `servicefirst
restore`).

PostgreSQL: `pg_dump --format=custom` of the configured database, taken in a snapshot that a
REPEATABLE READ transaction of our own exported (`pg_export_snapshot()`), so the row counts and
migration state written to the manifest are exactly those of the dump while the product keeps
running. Restored with `pg_restore --no-owner --no-acl --single-transaction` (and `--clean
--if-exists` when replacing a database that is not empty). Connection details go to the tools
through the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD), never on their command line.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step in
a read transaction — consistent, and with WAL writers are not blocked meanwhile. Restored by
copying the backup beside the database file and renaming it over the file (atomic), after
closing the connections and removing the old write-ahead log.

Every backup has a manifest next to it (`<file>.manifest.json`): vendor, the last applied
migration per app, row counts of the product's tables, the file's size and SHA-256, when it was
made. A restore verifies the checksum first and the row counts after.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
PROGRESS_EVERY_S = 2.0
HASH_CHUNK = 1 << 20

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot proceed; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict


@dataclass
class RestoreResult:
    path: Path
    manifest: dict
    row_counts: dict[str, int]
    mismatches: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def counts_match(self) -> bool:
        return not self.mismatches


def _silent(_message: str) -> None:
    return None


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def product_tables() -> list[str]:
    """The tables whose row counts a manifest records: every table of the product's own apps,
    and the login accounts."""
    tables = {"auth_user"}
    for config in apps.get_app_configs():
        if not config.name.startswith("servicefirst."):
            continue
        for model in config.get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return sorted(tables)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_state(cursor, present: set[str]) -> tuple[dict[str, str], dict[str, int]]:
    """(last applied migration per app, row count per product table) through a DB-API cursor."""
    migrations: dict[str, str] = {}
    if "django_migrations" in present:
        cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
        migrations = dict(cursor.fetchall())
    counts: dict[str, int] = {}
    for table in product_tables():
        if table in present:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - model tables
            counts[table] = int(cursor.fetchone()[0])
    return migrations, counts


def _present_tables_pg(cursor) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(current_schemas(false))"
    )
    return {row[0] for row in cursor.fetchall()}


def _present_tables_sqlite(cursor) -> set[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {row[0] for row in cursor.fetchall()}


def database_state(alias: str = "default") -> tuple[dict[str, str], dict[str, int]]:
    """The configured database's migration state and row counts, as a manifest records them."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            present = _present_tables_pg(cursor)
        else:
            present = _present_tables_sqlite(cursor)
        return _read_state(cursor, present)


# --- PostgreSQL tools ----------------------------------------------------------------------


def pg_env(settings_dict: dict) -> dict[str, str]:
    """The environment for pg_dump / pg_restore: the connection from the settings, the password
    in PGPASSWORD (never on a command line, where `ps` would show it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            env["PG" + key.upper()] = str(options[key])
    env["PGAPPNAME"] = "servicefirst-backup"
    return env


def pg_tool(name: str, *, server_major: int | None = None) -> tuple[str, int]:
    """(path, major version) of a PostgreSQL client tool; a clear error when it is missing."""
    path = shutil.which(name)
    hint = f"postgresql-client-{server_major}" if server_major else "postgresql-client"
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the server's "
            f"version or newer (Debian: apt-get install {hint})."
        )
    out = subprocess.run(  # noqa: S603 - a resolved tool path and a fixed argument
        [path, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"\b(\d+)(?:\.\d+)?", out)
    if match is None:
        raise BackupError(f"Could not read the version of {path}: {out.strip()!r}")
    return path, int(match.group(1))


def _run_with_progress(args: list[str], env: dict, progress: Progress, *, watch: Path | None):
    """Run a tool, reporting the growing size of `watch` (or the time elapsed) every few seconds.
    Returns the tool's stderr; raises BackupError when it fails."""
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - a resolved tool path and our own arguments
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    while True:
        try:
            _out, err = proc.communicate(timeout=PROGRESS_EVERY_S)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if watch is not None and watch.exists():
                progress(f"  … {human_size(watch.stat().st_size)} written ({elapsed:.0f} s)")
            else:
                progress(f"  … still running ({elapsed:.0f} s)")
    if proc.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed (exit {proc.returncode}): {err.strip()[-2000:]}")
    return err


def _backup_postgresql(connection, tmp: Path, progress: Progress) -> dict:
    import psycopg

    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    pg_dump, dump_major = pg_tool("pg_dump", server_major=server_major)
    if dump_major < server_major:
        raise BackupError(
            f"pg_dump {dump_major} ({pg_dump}) is older than the server (PostgreSQL "
            f"{server_major}) and cannot dump it. Install postgresql-client-{server_major} "
            f"(or newer) and put its pg_dump first on PATH."
        )
    # A connection of our own (not Django's, not from a pool) holds the snapshot open.
    raw = psycopg.connect(**connection.get_connection_params())
    try:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            migrations, counts = _read_state(cursor, _present_tables_pg(cursor))
        progress(f"pg_dump {dump_major} → {tmp.name} (snapshot {snapshot})")
        args = [
            pg_dump,
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--file={tmp}",
            f"--dbname={connection.settings_dict['NAME']}",
        ]
        _run_with_progress(args, pg_env(connection.settings_dict), progress, watch=tmp)
    finally:
        raw.rollback()
        raw.close()
    return {
        "migrations": migrations,
        "row_counts": counts,
        "tool": f"pg_dump {dump_major}",
        "tool_major": dump_major,
        "server_major": server_major,
    }


def _backup_sqlite(connection, tmp: Path, progress: Progress) -> dict:
    connection.ensure_connection()
    source = connection.connection
    progress(f"sqlite3 online backup → {tmp.name}")
    target = sqlite3.connect(tmp)
    try:
        # One step (pages=-1): one read transaction, so the copy is one consistent state; a
        # stepwise copy restarts whenever another connection writes and may never finish.
        source.backup(target, pages=-1)
    finally:
        target.close()
    copy = sqlite3.connect(f"file:{tmp}?mode=ro", uri=True)
    try:
        cursor = copy.cursor()
        migrations, counts = _read_state(cursor, _present_tables_sqlite(cursor))
        cursor.close()
    finally:
        copy.close()
    return {
        "migrations": migrations,
        "row_counts": counts,
        "tool": f"sqlite3 {sqlite3.sqlite_version}",
    }


def _database_label(settings_dict: dict, vendor: str) -> str:
    name = str(settings_dict.get("NAME") or "db")
    if vendor == "sqlite":
        name = Path(name).stem
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "db"


def default_backup_path(alias: str = "default", *, now: datetime.datetime | None = None) -> Path:
    connection = connections[alias]
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    ext = "dump" if connection.vendor == "postgresql" else "sqlite3"
    label = _database_label(connection.settings_dict, connection.vendor)
    return Path(settings.BACKUP_DIR) / f"servicefirst-{label}-{stamp}.{ext}"


def backup_create(
    *, output: str | Path | None = None, alias: str = "default", progress: Progress = _silent
) -> BackupResult:
    """Back the configured database up to `output` (a file, or a directory to put the default
    name in; default: settings.BACKUP_DIR) and write its manifest. Audit-logged."""
    from servicefirst.core.models import AuditEvent
    from servicefirst.core.services import audit_record

    connection = connections[alias]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    path = Path(output) if output else default_backup_path(alias)
    if path.is_dir():
        path = path / default_backup_path(alias).name
    if path.exists():
        raise BackupError(f"{path} already exists; choose another --output.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    created_at = datetime.datetime.now(datetime.UTC)
    started = time.monotonic()
    progress(f"Backing up the {vendor} database to {path}")
    try:
        if vendor == "postgresql":
            state = _backup_postgresql(connection, tmp, progress)
        else:
            state = _backup_sqlite(connection, tmp, progress)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    size = path.stat().st_size
    manifest = {
        "format": MANIFEST_FORMAT,
        "product": "servicefirst",
        "vendor": vendor,
        "database": _database_label(connection.settings_dict, vendor),
        "file": path.name,
        "size": size,
        "sha256": file_sha256(path),
        "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        **state,
    }
    manifest_path = manifest_path_for(path)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    progress(
        f"Done: {human_size(size)}, {sum(manifest['row_counts'].values())} rows in "
        f"{len(manifest['row_counts'])} tables, {time.monotonic() - started:.1f} s"
    )
    audit_record(
        actor=None,
        action=AuditEvent.Action.BACKUP,
        object_type="backup",
        object_id=path.name[:64],
        detail={
            "file": str(path),
            "sha256": manifest["sha256"],
            "size": size,
            "vendor": vendor,
            "os_user": _os_user(),
        },
    )
    return BackupResult(path=path, manifest_path=manifest_path, manifest=manifest)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without passwd entry)
        return ""


# --- restore -------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    manifest_path = manifest_path_for(path)
    if not manifest_path.exists():
        raise BackupError(
            f"No manifest next to the backup ({manifest_path.name}): a backup is restored only "
            f"with its manifest, which carries its checksum and row counts."
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise BackupError(f"The manifest {manifest_path} is not valid JSON: {exc}") from exc
    if manifest.get("product") != "servicefirst" or "sha256" not in manifest:
        raise BackupError(f"{manifest_path} is not a ServiceFirst backup manifest.")
    return manifest


def verify_checksum(path: Path, manifest: dict) -> None:
    actual = file_sha256(path)
    if actual != manifest["sha256"]:
        raise BackupError(
            f"{path.name} does not match its manifest (SHA-256 {actual[:16]}… instead of "
            f"{manifest['sha256'][:16]}…): the file is damaged or not the one the manifest "
            f"describes. Nothing was restored."
        )


def database_is_empty(alias: str = "default") -> bool:
    """No tables at all (a database just created)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _restore_postgresql(connection, path: Path, manifest: dict, *, force: bool, progress):
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    pg_restore, restore_major = pg_tool("pg_restore", server_major=server_major)
    needed = int(manifest.get("tool_major") or 0)
    if restore_major < needed:
        raise BackupError(
            f"pg_restore {restore_major} ({pg_restore}) cannot read a dump made by pg_dump "
            f"{needed}. Install postgresql-client-{needed} (or newer)."
        )
    settings_dict = dict(connection.settings_dict)
    connections.close_all()
    args = [
        pg_restore,
        "--no-owner",
        "--no-acl",
        "--no-password",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={settings_dict['NAME']}",
    ]
    if force:
        args += ["--clean", "--if-exists"]
    args.append(str(path))
    progress(f"pg_restore {restore_major} ← {path.name}")
    _run_with_progress(args, pg_env(settings_dict), progress, watch=None)


def _restore_sqlite(connection, path: Path, progress):
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex[:8]}")
    progress(f"Copying {path.name} beside {target.name}")
    try:
        shutil.copyfile(path, tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        check = sqlite3.connect(f"file:{tmp}?mode=ro", uri=True)
        try:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
        if result != "ok":
            raise BackupError(f"{path.name} is not a sound SQLite database: {result}")
        connections.close_all()
        # The old database's write-ahead log must not be replayed onto the restored file.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def backup_restore(
    *,
    path: str | Path,
    force: bool = False,
    alias: str = "default",
    progress: Progress = _silent,
) -> RestoreResult:
    """Restore the backup at `path` into the configured database: checksum first; an empty
    database only, unless `force` (which replaces what is there); row counts compared with the
    manifest afterwards. Audit-logged in the restored database."""
    from servicefirst.core.models import AuditEvent
    from servicefirst.core.services import audit_record

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    manifest = read_manifest(path)
    progress(f"Verifying {path.name} against its manifest (SHA-256)")
    verify_checksum(path, manifest)
    connection = connections[alias]
    if manifest.get("vendor") != connection.vendor:
        raise BackupError(
            f"{path.name} is a {manifest.get('vendor')} backup; the configured database is "
            f"{connection.vendor}."
        )
    if not force and not database_is_empty(alias):
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty. Restore into an "
            f"empty database, or add --force to replace everything in it with the backup."
        )
    started = time.monotonic()
    if connection.vendor == "postgresql":
        _restore_postgresql(connection, path, manifest, force=force, progress=progress)
    else:
        _restore_sqlite(connection, path, progress)
    _migrations, counts = database_state(alias)
    expected = manifest.get("row_counts", {})
    mismatches = {
        table: (expected.get(table), counts.get(table))
        for table in sorted(set(expected) | set(counts))
        if expected.get(table) != counts.get(table) and table in expected
    }
    progress(f"Restored in {time.monotonic() - started:.1f} s")
    audit_record(
        actor=None,
        action=AuditEvent.Action.RESTORE,
        object_type="backup",
        object_id=path.name[:64],
        detail={
            "file": str(path),
            "sha256": manifest["sha256"],
            "created_at": manifest.get("created_at", ""),
            "forced": force,
            "counts_match": not mismatches,
            "os_user": _os_user(),
        },
    )
    return RestoreResult(path=path, manifest=manifest, row_counts=counts, mismatches=mismatches)
