"""Importing customer files (CSV or XLSX) through a column mapping.

`import_customers` works in two passes:

1. **Validate** every row (the mapping, `validation.clean_customer`, references to branches and
   staff, the upsert key, duplicates inside the file, identity numbers already held by another
   customer). Existing keys are looked up once per batch. The costly derived values (pinyin,
   keyed hash, encrypted identity number) are computed here, once; on large files and
   machines with four CPUs or more, `clean_customer` and the derived values run in worker
   processes. Valid rows are spooled, already cleaned (in memory up to `SPOOL_MEMORY_ROWS`,
   then in a temporary file), so memory stays bounded.
2. **Write** the spooled rows in batches of `settings.IMPORT_BATCH_SIZE`, each batch in its own
   transaction: one query per batch loads the matched customers (and their phones, holdings
   and campaign contacts), new customers get their numbers from one `customer_numbers(n)`
   call (and on PostgreSQL their ids from one `new_ids` query), and new rows are written with
   `fast_insert` (a streamed COPY on PostgreSQL, one `executemany` on SQLite), built as plain
   dicts (`_new_customer_row`); changed ones go through `apply_cleaned` and `bulk_update`.
   Rows whose cleaned values equal the stored ones are left alone (their `updated_at` does
   not move).

Python's automatic garbage collection is paused during an import (`_young_garbage_only`).
bench/README.md (customers) has the figures and what each of these choices saved.

By default a file with any bad row is rejected and nothing is written; with `valid_only` the
valid rows are imported and the bad ones reported. The report names every bad row by its line
in the file (the header is line 1), the column and the reason.

When an `ImportJob` is given, its progress and counts are saved as each batch commits, so a job
that crashed and is run again skips the batches already written (and the upserts make any
overlap harmless anyway).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gc
import json
import multiprocessing
import os
import pickle
import tempfile
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, scope_for, staff_of
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.core.tabular import (
    MAX_CELL_CHARS,
    Unreadable,
    check_xlsx,
    longest,
    record_at,
    text_encoding,
    too_long,
)
from servicefirst.customers import fields as f
from servicefirst.customers.mappings import MAPPINGS, Extras, Mapping, get_mapping
from servicefirst.customers.models import (
    Campaign,
    Customer,
    CustomerPhone,
    Holding,
    ImportJob,
    Interaction,
    Product,
)
from servicefirst.customers.services import apply_cleaned, customer_numbers
from servicefirst.customers.validation import clean_customer

SUPPORTED_SUFFIXES = (".csv", ".txt", ".xlsx")
_CONTACT_FIELDS = ("customer_id", "kind", "occurred_at", "channel", "outcome", "summary", "detail")
# Validated rows kept in memory between the two passes; beyond this they go to a temporary file.
SPOOL_MEMORY_ROWS = 50_000
# Files at least this long are validated with worker processes (settings.IMPORT_WORKERS; by
# default one fewer than the CPUs, at most 8, on machines with 4 CPUs or more; 0 turns them off).
PARALLEL_MIN_ROWS = 20_000


def _import_workers() -> int:
    configured = getattr(settings, "IMPORT_WORKERS", None)
    if configured is not None:
        return int(configured)
    cpus = os.cpu_count() or 1
    if cpus < 4 or "fork" not in multiprocessing.get_all_start_methods():
        return 0  # on two cores the main process and one worker only get in each other's way
    return min(cpus - 1, 8)


def _clean_and_derive(rows: list[dict]) -> list[tuple[dict, dict, dict | None]]:
    """Validate rows and compute, for each valid one, what creating the customer costs most:
    the pinyin keys, the keyed hash and the encrypted identity number (`_new_customer_row`
    and `_check_row` use them; an existing customer is updated through `apply_cleaned`).
    Pure: on a large file it runs in worker processes."""
    out = []
    pinyin_keys, keyed_hash, encrypt = f.pinyin_keys, f.keyed_hash, f.encrypt
    for data in rows:
        cleaned, problems = clean_customer(data, partial=True)
        derived = None
        if not problems:
            derived = {}
            if "name_zh" in cleaned or "name_latin" in cleaned:
                name_zh, name_latin = cleaned.get("name_zh", ""), cleaned.get("name_latin", "")
                derived["name_zh"], derived["name_latin"] = name_zh, name_latin
                derived["pinyin_full"], derived["pinyin_initials"] = pinyin_keys(
                    name_zh, name_latin
                )
            number = cleaned.get("id_number")
            if number:
                derived["id_number_hash"] = keyed_hash(number)
                derived["id_number_encrypted"] = encrypt(number)
                derived["id_number_last4"] = number[-4:]
        out.append((cleaned, problems, derived))
    return out


def _new_customer_row(row: _ValidRow, number: str, now, pk: int | None = None) -> dict[str, Any]:
    """The column values of a new customer, {attname: value} for `fast_insert`: exactly what
    `apply_cleaned` would set on a blank customer, built without a model instance (a
    million of them cost more than the COPY)."""
    cleaned, derived = row.cleaned, row.derived or {}
    values = {
        "id": pk,
        "number": number,
        "source": row.extras.source,
        "source_key": row.extras.source_key,
        "created_at": now,
        "updated_at": now,
        **cleaned,
        **derived,
    }
    values.pop("phones", None)  # their own table
    values.pop("id_number", None)  # stored only encrypted, hashed and as its last four
    if "pinyin_full" not in derived:
        values["pinyin_full"], values["pinyin_initials"] = f.pinyin_keys(
            values.get("name_zh", ""), values.get("name_latin", "")
        )
    number = cleaned.get("id_number")
    if number and "id_number_hash" not in derived:
        values["id_number_hash"] = f.keyed_hash(number)
        values["id_number_encrypted"] = f.encrypt(number)
        values["id_number_last4"] = number[-4:]
    return values


# apply_cleaned() reports these names; bulk_update needs the model fields behind them.
_UPDATE_FIELDS = {
    "id_number": ("id_number_encrypted", "id_number_hash", "id_number_last4"),
    "home_branch_id": ("home_branch",),
    "relationship_manager_id": ("relationship_manager",),
    "name_zh": ("name_zh", "pinyin_full", "pinyin_initials"),
    "name_latin": ("name_latin", "pinyin_full", "pinyin_initials"),
}


@dataclass
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: bool = False
    total_rows: int = 0
    # Wall-clock seconds of each pass ("validate", "write"), for the benchmark; not reported.
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [asdict(e) for e in self.errors],
        }

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


@dataclass
class _ValidRow:
    line: int
    cleaned: dict
    extras: Extras
    customer_id: int | None
    derived: dict | None = None  # values computed ahead by a worker process (new customers)


# --- reading files --------------------------------------------------------------------------


def _detect_encoding(path: Path) -> tuple[str, int]:
    """'utf-8-sig' if the whole file decodes as UTF-8, else 'gb18030' (a superset of GBK) if
    it decodes as that, 'utf-16' after a UTF-16 byte-order mark (`core.tabular`, which refuses
    anything else and NUL bytes with `Unreadable`); also the number of lines, for progress."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    last = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if not lines and not last and chunk.startswith((codecs.BOM_UTF16_LE, b"\xfe\xff")):
                utf8 = False
            if utf8 and b"\x00" in chunk:
                utf8 = False  # a binary file: core.tabular says where
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if last and last != b"\n":
        lines += 1
    return ("utf-8-sig" if utf8 else text_encoding(path)), lines


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


class _Source:
    """Rows of a CSV or XLSX file as (line, [values]); `headers` is the first row."""

    def __init__(self, path: Path):
        self.path = path
        self.suffix = path.suffix.lower()
        self.headers: list[str] = []
        self.estimated_rows = 0
        self._close: Callable[[], None] = lambda: None

    def open(self) -> Iterator[tuple[int, list[Any]]]:
        if self.suffix == ".xlsx":
            return self._xlsx()
        return self._csv()

    def close(self) -> None:
        self._close()

    def _csv(self) -> Iterator[tuple[int, list[Any]]]:
        encoding, lines = _detect_encoding(self.path)
        self.estimated_rows = max(lines - 1, 0)
        fh = open(self.path, encoding=encoding, newline="")  # noqa: SIM115 - closed by close()
        self._close = fh.close
        first = fh.readline()
        fh.seek(0)
        delimiter = _sniff_delimiter(first)
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            self.headers = [h.strip() for h in next(reader)]
        except StopIteration:
            self.headers = []
            return iter(())
        except csv.Error as exc:
            raise self._csv_error(1, exc, encoding, delimiter) from None

        def rows():
            previous_end = reader.line_num
            try:
                for values in reader:
                    start = previous_end + 1
                    previous_end = reader.line_num
                    yield start, values
            except csv.Error as exc:
                raise self._csv_error(previous_end + 1, exc, encoding, delimiter) from None

        return rows()

    def _csv_error(self, line: int, exc: csv.Error, encoding: str, delimiter: str) -> Unreadable:
        """What to say about a record the csv module refused (most often: a cell over its
        128 KiB limit, which is then named by its column)."""
        with open(self.path, encoding=encoding, newline="") as fh:
            record = record_at(fh, line, delimiter=delimiter)
        for column, message in too_long(record, self.headers if line > 1 else []):
            return Unreadable(message, line=line, column=column)
        return Unreadable(
            _("Line %(line)d cannot be read as CSV (%(error)s).") % {"line": line, "error": exc},
            line=line,
        )

    def _xlsx(self) -> Iterator[tuple[int, list[Any]]]:
        import openpyxl

        check_xlsx(self.path)  # not a zip archive, or a zip bomb: Unreadable
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # a corrupt or non-XLSX file: openpyxl raises many kinds
            raise ValueError(_("This is not a readable XLSX file.")) from exc
        self._close = workbook.close
        sheet = workbook.worksheets[0]
        self.estimated_rows = max((sheet.max_row or 1) - 1, 0)
        it = sheet.iter_rows(values_only=True)
        try:
            self.headers = [_cell(h).strip() if h is not None else "" for h in next(it)]
        except StopIteration:
            return iter(())
        while self.headers and not self.headers[-1]:
            self.headers.pop()

        def rows():
            line = 1
            try:
                for line, values in enumerate(it, start=2):  # noqa: B007 - used after the loop
                    yield line, [_cell(v) for v in values]
            except Exception as exc:  # a damaged sheet: openpyxl and the XML parser raise many
                raise Unreadable(
                    _("The XLSX file is damaged after row %(line)d.") % {"line": line},
                    line=line + 1,
                ) from exc

        return rows()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time(0) else value
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- writing many rows fast ---------------------------------------------------------------------


def _json_value(value: Any) -> str | None:
    if value is None:
        return None
    if not value and isinstance(value, list):
        return "[]"  # most customers' interests and channels: what json.dumps gives, sooner
    return json.dumps(value)


def _converter(field, vendor: str) -> Callable[[Any], Any] | None:
    """How one field's Python value goes to the database driver, without Django's per-value
    query compilation (which costs more than the insert itself)."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _json_value
    if vendor == "postgresql":
        return None  # psycopg adapts dates, datetimes, decimals and str enums itself
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return lambda v: None if v is None else v.isoformat()
    if kind == "DecimalField":
        return lambda v: None if v is None else str(v)
    return None


def fast_insert(model, rows: Iterable[dict[str, Any]], *, with_pk: bool = False) -> None:
    """INSERT rows given as {attname: value} (primary keys left to the database unless
    `with_pk`, see `new_ids`): PostgreSQL `COPY`, or one `executemany` on SQLite. Missing
    fields get their model default, and auto_now(_add) fields the current time, as Django
    would. On PostgreSQL `rows` may be a generator: each row is made and sent while the
    server is still indexing the ones before it."""
    if isinstance(rows, list | tuple) and not rows:
        return
    vendor = connection.vendor
    fields = [fld for fld in model._meta.concrete_fields if with_pk or not fld.primary_key]
    now = timezone.now()
    # One generated function turns a row dict into the tuple of column values: a Python-level
    # loop over 45 fields per row would cost more than the database's work.
    env: dict[str, Any] = {}
    parts = []
    for i, fld in enumerate(fields):
        if getattr(fld, "auto_now", False) or getattr(fld, "auto_now_add", False):
            env[f"d{i}"] = now
            expr = f"(r.get({fld.attname!r}) or d{i})"
        else:
            env[f"d{i}"] = fld.get_default()
            expr = f"r.get({fld.attname!r}, d{i})"
        conv = _converter(fld, vendor)
        if conv is not None:
            env[f"c{i}"] = conv
            expr = f"c{i}({expr})"
        parts.append(expr)
    to_tuple = eval(f"lambda r: ({', '.join(parts)},)", env)  # noqa: S307 - model field names only
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(fld.column) for fld in fields)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(to_tuple(row))
        else:
            values = [to_tuple(row) for row in rows]
            if values:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608 - names from the model


def new_ids(model, count: int) -> list[int] | None:
    """PostgreSQL: `count` primary keys drawn from the table's own sequence in one query, so
    that rows written with `fast_insert(..., with_pk=True)` need no query to learn their ids.
    None elsewhere (SQLite assigns them on insert)."""
    if connection.vendor != "postgresql" or count < 1:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    return ids if None not in ids else None


def _in(column: str, values) -> tuple[str, list]:
    """`column IN (...)` for a raw query: one array parameter on PostgreSQL (a query with
    thousands of placeholders costs more to build and parse than to run), placeholders on
    SQLite."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


# --- the import ------------------------------------------------------------------------------


@contextmanager
def _young_garbage_only():
    """Run an import with Python's automatic garbage collection paused; the importer collects
    the young generations itself after every batch (`gc.collect(1)`: cycles among the objects
    made since the last batch, a few milliseconds).

    The automatic collector runs a collection every 700 new objects, and the full ones walk
    every live object, here the tens of thousands of validated rows held for the second pass:
    measured on the benchmark file, validation cost 70–110 µs a row with it and 33–38 µs
    without, and reading spooled rows back 30–45 µs against 7. Long-lived objects are left
    alone until the import ends, when the collector is switched back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_customers(
    *,
    actor,
    path,
    mapping: str = "customers",
    valid_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Import a customer file. `actor` is a staff user (needs `customer.import`) or None for the
    system itself. Returns the counts and every bad row; see the module docstring."""
    if actor is not None and scope_for(actor, Action.CUSTOMER_IMPORT) == 0:
        raise PermissionDenied(_("You may not import customers."))
    if mapping not in MAPPINGS:
        raise ValidationFailed({"mapping": [_("Unknown mapping “%(name)s”.") % {"name": mapping}]})
    path = Path(path)
    importer = _Importer(
        actor=actor, path=path, mapping=get_mapping(mapping), valid_only=valid_only, job=job
    )
    importer.progress = progress
    try:
        with _young_garbage_only():
            result = importer.run()
    except Exception as exc:
        if job is not None:
            job.status = ImportJob.Status.FAILED
            job.result = {**(job.result or {}), "error": str(exc)[:500]}
            job.save(update_fields=["status", "result"])
        raise
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        object_type="import",
        object_id=job.pk if job else "",
        detail={
            "file": path.name if job is None else job.file_name,
            "mapping": mapping,
            "valid_only": valid_only,
            "rows": result.total_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "bad_rows": result.bad_lines,
            "rejected": result.rejected,
        },
    )
    return result


class _Spool:
    """Validated batches in file order: the first `SPOOL_MEMORY_ROWS` rows in memory, the rest
    pickled to a temporary file, so memory stays bounded on files of millions of rows."""

    def __init__(self):
        self.memory: list[list[_ValidRow]] = []
        self.rows_in_memory = 0
        self.file = None
        self.batches_on_file = 0

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            self.file.close()

    def append(self, batch: list[_ValidRow]) -> None:
        if self.file is None and self.rows_in_memory + len(batch) <= SPOOL_MEMORY_ROWS:
            self.memory.append(batch)
            self.rows_in_memory += len(batch)
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="sf-import-")  # noqa: SIM115 - closed on exit
        pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches_on_file += 1

    def __iter__(self) -> Iterator[list[_ValidRow]]:
        yield from self.memory
        if self.file is not None:
            self.file.seek(0)
            for _n in range(self.batches_on_file):
                yield pickle.load(self.file)  # noqa: S301 - our own temporary file


class _Importer:
    def __init__(self, *, actor, path: Path, mapping: Mapping, valid_only: bool, job):
        self.actor = actor
        self.path = path
        self.mapping = mapping
        self.valid_only = valid_only
        self.job = job
        self.batch_size = max(int(settings.IMPORT_BATCH_SIZE), 1)
        self.result = ImportResult()
        self.progress: Callable[[int, int], None] | None = None
        self.total = 0
        self.validated = 0
        self.written = 0
        self.count = 0
        # Set when the file (or the rest of it) cannot be read: nothing is written, even with
        # valid_only, since the rows after the damage were never checked.
        self.fatal = False

    # progress is reported in "row equivalents": half for checking a row, half for writing it
    def _report(self) -> None:
        if self.progress:
            total = max(self.total, self.validated)
            self.progress(min((self.validated + self.written) // 2, total), total)

    def run(self) -> ImportResult:
        result = self.result
        if not self.path.is_file():
            result.errors.append(RowError(0, "file", _("The file does not exist.")))
            result.rejected = True
            return self._finish()
        if self.path.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.errors.append(RowError(0, "file", _("Only CSV and XLSX files can be imported.")))
            result.rejected = True
            return self._finish()
        if self.job is not None:
            self._job_start()
        with _Spool() as spool:
            started = time.perf_counter()
            self._validate(spool)
            result.seconds["validate"] = time.perf_counter() - started
            if result.errors and (self.fatal or not self.valid_only):
                result.rejected = True
            else:
                started = time.perf_counter()
                self._write(spool)
                result.seconds["write"] = time.perf_counter() - started
        return self._finish()

    # --- pass 1 ---------------------------------------------------------------------------

    def _validate(self, spool: _Spool) -> None:
        source = _Source(self.path)
        try:
            rows = source.open()
        except (ValueError, OSError) as exc:
            self.fatal = True
            self.result.errors.append(
                RowError(getattr(exc, "line", 0), getattr(exc, "column", "") or "file", str(exc))
            )
            return
        try:
            self._validate_rows(source, rows, spool)
        except Unreadable as exc:  # the rest of the file cannot be read: nothing is written
            self.fatal = True
            self.result.errors.append(RowError(exc.line, exc.column or "file", str(exc)))
            self.result.total_rows = self.count
        finally:
            source.close()

    def _validate_rows(self, source: _Source, rows, spool: _Spool) -> None:
        result = self.result
        headers = source.headers
        self.total = source.estimated_rows
        if self.job is not None:
            ImportJob.objects.filter(pk=self.job.pk).update(total_rows=self.total)
        if not any(headers):
            result.errors.append(RowError(1, "file", _("The file is empty.")))
            return
        for column, message in self.mapping.bind(headers):
            result.errors.append(RowError(1, column, message))
        if result.errors:
            return
        if len(set(headers)) != len(headers):
            dupes = sorted({h for h in headers if headers.count(h) > 1})
            result.errors.append(
                RowError(
                    1,
                    dupes[0],
                    _("The column “%(column)s” appears more than once.") % {"column": dupes[0]},
                )
            )
            return

        self.units = dict(
            Unit.objects.filter(kind=Unit.Kind.BRANCH).values_list("code", "pk").iterator()
        )
        self.staff = dict(Staff.objects.values_list("employee_number", "pk").iterator())
        self.seen_keys: dict[tuple, int] = {}
        self.seen_hashes: dict[str, tuple[tuple, int]] = {}
        self.matched: dict[int, int] = {}  # existing customer id → the line that updates it
        self.count = 0
        chunks = self._converted(rows, headers)
        for chunk, cleaned in self._cleaned(chunks, source.estimated_rows):
            pending = []
            for (line, extras), (data, problems, derived) in zip(chunk, cleaned, strict=True):
                checked = self._check_row(line, extras, data, problems, derived)
                if checked is not None:
                    pending.append(checked)
            if pending:
                self._resolve_and_spool(pending, spool)
            gc.collect(1)  # see _young_garbage_only
            self.validated = self.count
            self._report()
            self._job_progress()
        count = self.count
        if count == 0 and not result.errors:
            result.errors.append(RowError(2, "file", _("The file has no rows below its header.")))
        result.total_rows = count
        self.total = count
        self.validated = count
        self._report()
        if self.job is not None:
            ImportJob.objects.filter(pk=self.job.pk).update(total_rows=count)
            self.job.total_rows = count

    def _converted(self, rows, headers: list[str]) -> Iterator[list[tuple[int, dict, Extras]]]:
        """The rows through the mapping, in chunks of one batch (in file order: mappings may
        keep state from row to row)."""
        errors = self.result.errors
        width = len(headers)
        chunk: list[tuple[int, dict, Extras]] = []
        for line, values in rows:
            if not any(values):  # values are str (empty or not) or dates, never 0 or False
                continue
            self.count += 1
            if longest(values) > MAX_CELL_CHARS:  # named by column, never echoed back
                errors.extend(RowError(line, c, m) for c, m in too_long(values, headers))
                continue
            if len(values) != width and any(v not in ("", None) for v in values[width:]):
                errors.append(
                    RowError(
                        line,
                        "",
                        _("This row has %(n)d fields; the header has %(m)d.")
                        % {"n": len(values), "m": width},
                    )
                )
                continue
            try:
                data, extras = self.mapping.convert(dict(zip(headers, values, strict=False)), line)
            except Exception as exc:  # a mapping bug must name the row, not abort the import
                errors.append(RowError(line, "", str(exc)))
                continue
            chunk.append((line, data, extras))
            if len(chunk) >= self.batch_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _cleaned(self, chunks, estimated_rows: int):
        """(chunk of (line, extras), [(cleaned, problems, derived)]) for every chunk.

        `clean_customer` and the costly derived values (pinyin, the encrypted identity number)
        are pure functions of the row: on a large file they run in worker processes while this
        one reads, maps and checks keys."""
        workers = _import_workers()
        if workers < 1 or estimated_rows < PARALLEL_MIN_ROWS:
            for chunk in chunks:
                yield (
                    [(line, extras) for line, _d, extras in chunk],
                    _clean_and_derive([data for _l, data, _e in chunk]),
                )
            return
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            in_flight: deque = deque()
            for chunk in chunks:
                in_flight.append(
                    (
                        [(line, extras) for line, _d, extras in chunk],
                        pool.apply_async(_clean_and_derive, ([data for _l, data, _e in chunk],)),
                    )
                )
                if len(in_flight) > 2 * workers:
                    head, result = in_flight.popleft()
                    yield head, result.get()
            while in_flight:
                head, result = in_flight.popleft()
                yield head, result.get()

    def _check_row(self, line: int, extras: Extras, cleaned: dict, problems: dict, derived):
        errors = self.result.errors
        mapping = self.mapping
        bad = [RowError(line, col, msg) for col, msg in extras.errors]
        for name, messages in problems.items():
            bad.extend(RowError(line, mapping.column_for(name), m) for m in messages)
        if extras.home_branch is not None:
            unit_id = self.units.get(extras.home_branch) if extras.home_branch else None
            if extras.home_branch and unit_id is None:
                bad.append(
                    RowError(
                        line,
                        mapping.column_for("home_branch"),
                        _("No branch has the code “%(code)s”.") % {"code": extras.home_branch},
                    )
                )
            cleaned["home_branch_id"] = unit_id
        if extras.relationship_manager is not None:
            staff_id = (
                self.staff.get(extras.relationship_manager) if extras.relationship_manager else None
            )
            if extras.relationship_manager and staff_id is None:
                bad.append(
                    RowError(
                        line,
                        mapping.column_for("relationship_manager"),
                        _("No member of staff has the employee number “%(code)s”.")
                        % {"code": extras.relationship_manager},
                    )
                )
            cleaned["relationship_manager_id"] = staff_id
        if derived is not None and "id_number_hash" in derived:
            id_hash = derived["id_number_hash"]
        else:
            id_hash = f.keyed_hash(cleaned["id_number"]) if cleaned.get("id_number") else ""
        if extras.number:
            key: tuple = ("number", extras.number)
            key_column = mapping.column_for("customer_number")
        elif extras.source_key:
            key = ("source", extras.source, extras.source_key)
            key_column = mapping.column_for("external_id")
        elif id_hash:
            key = ("hash", id_hash)
            key_column = mapping.column_for("id_number")
        else:
            bad.append(
                RowError(
                    line,
                    mapping.column_for("customer_number"),
                    _(
                        "The row does not say which customer it is: give a customer number, "
                        "an external id or an identity number."
                    ),
                )
            )
            errors.extend(bad)
            return None
        first = self.seen_keys.get(key)
        if first is not None:
            bad.append(
                RowError(
                    line,
                    key_column,
                    _("The same customer as on line %(line)d.") % {"line": first},
                )
            )
        else:
            self.seen_keys[key] = line
        if id_hash:
            other = self.seen_hashes.get(id_hash)
            if other is not None and other[0] != key:
                bad.append(
                    RowError(
                        line,
                        mapping.column_for("id_number"),
                        _("The same identity number as on line %(line)d.") % {"line": other[1]},
                    )
                )
            elif other is None:
                self.seen_hashes[id_hash] = (key, line)
        if bad:
            errors.extend(bad)
            return None
        return line, cleaned, extras, key, id_hash, derived

    def _resolve_and_spool(self, pending, spool: _Spool) -> None:
        """Match one batch of rows with existing customers (one query per kind of key), check
        what needs the database, and spool the rows that pass."""
        numbers = {key[1] for _l, _c, _e, key, _h, _d in pending if key[0] == "number"}
        sources = defaultdict(set)
        for _l, _c, _e, key, _h, _d in pending:
            if key[0] == "source":
                sources[key[1]].add(key[2])
        hashes = {row[4] for row in pending if row[4]}
        by_number, by_source, by_hash = {}, {}, {}
        table = connection.ops.quote_name(Customer._meta.db_table)
        with connection.cursor() as cursor:
            # A key held by a merged record stands for the customer it was merged into.
            if numbers:
                where, params = _in("number", numbers)
                cursor.execute(
                    f"SELECT number, id, merged_into_id FROM {table} WHERE {where}",  # noqa: S608 - names from the model
                    params,
                )
                by_number = {number: survivor or pk for number, pk, survivor in cursor}
            for source, keys in sources.items():
                where, params = _in("source_key", keys)
                cursor.execute(
                    f"SELECT source_key, id, merged_into_id FROM {table} "  # noqa: S608 - names from the model
                    f"WHERE source = %s AND {where}",
                    [source, *params],
                )
                by_source.update(((source, key), survivor or pk) for key, pk, survivor in cursor)
            if hashes:
                where, params = _in("id_number_hash", hashes)
                cursor.execute(
                    f"SELECT id_number_hash, id FROM {table} "  # noqa: S608 - names from the model
                    f"WHERE merged_into_id IS NULL AND {where}",
                    params,
                )
                by_hash = dict(cursor)
        valid = []
        errors = self.result.errors
        for line, cleaned, extras, key, id_hash, derived in pending:
            if key[0] == "number":
                customer_id = by_number.get(key[1])
                if customer_id is None:
                    errors.append(
                        RowError(
                            line,
                            self.mapping.column_for("customer_number"),
                            _("No customer has the number “%(number)s”.") % {"number": key[1]},
                        )
                    )
                    continue
            elif key[0] == "source":
                customer_id = by_source.get((key[1], key[2]))
            else:
                customer_id = by_hash.get(key[1])
            if customer_id is None and not (cleaned.get("name_zh") or cleaned.get("name_latin")):
                errors.append(
                    RowError(
                        line,
                        self.mapping.column_for("name_zh"),
                        _("Enter the customer's name in Chinese characters or Latin letters."),
                    )
                )
                continue
            holder = by_hash.get(id_hash) if id_hash else None
            if holder is not None and holder != customer_id:
                errors.append(
                    RowError(
                        line,
                        self.mapping.column_for("id_number"),
                        _("Another customer already has this identity number."),
                    )
                )
                continue
            if customer_id is not None:
                first = self.matched.setdefault(customer_id, line)
                if first != line:
                    errors.append(
                        RowError(
                            line,
                            self.mapping.column_for("customer_number"),
                            _("The same customer as on line %(line)d.") % {"line": first},
                        )
                    )
                    continue
            valid.append(_ValidRow(line, cleaned, extras, customer_id, derived))
        if valid and (self.valid_only or not errors):
            spool.append(valid)

    # --- pass 2 ---------------------------------------------------------------------------

    def _write(self, spool: _Spool) -> None:
        self._prepare_references()
        skip = 0
        if self.job is not None and (self.job.result or {}).get("phase") == "writing":
            # A job run again after a crash: the first batches are already committed.
            previous = self.job.result
            skip = int(previous.get("written", 0))
            self.result.created = int(previous.get("created", 0))
            self.result.updated = int(previous.get("updated", 0))
            self.result.unchanged = int(previous.get("unchanged", 0))
        for rows in spool:
            if skip >= len(rows):
                skip -= len(rows)
                self.written += len(rows)
                continue
            rows, skip = rows[skip:], 0
            with transaction.atomic():
                self._write_batch(rows)
                self.written += len(rows)
                self._job_progress(committed=True)
            del rows  # freed now (if read back from the file), not walked by the collector
            gc.collect(1)  # see _young_garbage_only
            self._report()

    def _prepare_references(self) -> None:
        mapping = self.mapping
        self.products: dict[str, int] = {}
        for code, (name_zh, name_en, category) in mapping.products.items():
            product, _created = Product.objects.get_or_create(
                code=code, defaults={"name_zh": name_zh, "name_en": name_en, "category": category}
            )
            self.products[code] = product.pk
        self.campaigns: dict[str, int] = {}
        for code, spec in mapping.campaigns.items():
            campaign, _created = Campaign.objects.get_or_create(
                code=code,
                defaults={
                    "name": spec["name"],
                    "product_id": self.products.get(spec.get("product")),
                    "started_on": spec.get("started_on"),
                },
            )
            self.campaigns[code] = campaign.pk

    def _write_batch(self, rows: list[_ValidRow]) -> None:
        mapping = self.mapping
        now = timezone.now()
        ids = [r.customer_id for r in rows if r.customer_id]
        existing = Customer.objects.in_bulk(ids) if ids else {}
        phones: dict[int, list[str]] = defaultdict(list)
        if ids and any("phones" in r.cleaned for r in rows):
            for cid, e164 in (
                CustomerPhone.objects.filter(customer_id__in=ids)
                .order_by("customer_id", "-is_primary", "id")
                .values_list("customer_id", "e164")
            ):
                phones[cid].append(e164)
        holdings: dict[int, dict[int, Holding]] = defaultdict(dict)
        if ids and mapping.products:
            for h in Holding.objects.filter(customer_id__in=ids, source=mapping.source):
                holdings[h.customer_id][h.product_id] = h
        contacts: dict[tuple[int, str], dict] = {}
        if self.campaigns:
            keys = {(i.campaign, i.source_key) for r in rows for i in r.extras.interactions}
            by_campaign = defaultdict(set)
            for code, key in keys:
                by_campaign[self.campaigns[code]].add(key)
            for campaign_id, source_keys in by_campaign.items():
                for i in Interaction.objects.filter(
                    campaign_id=campaign_id, source_key__in=source_keys
                ).values("id", "source_key", *_CONTACT_FIELDS):
                    contacts[(campaign_id, i["source_key"])] = i

        # New customers: their column values straight from the cleaned row (no model
        # instances), ids drawn from the table's sequence (PostgreSQL) and one COPY.
        new_rows = [r for r in rows if r.customer_id is None]
        numbers = customer_numbers(len(new_rows)) if new_rows else []
        ids = new_ids(Customer, len(new_rows))
        if ids is not None:  # PostgreSQL: rows made while the COPY streams
            fast_insert(
                Customer,
                (
                    _new_customer_row(row, number, now, pk)
                    for row, number, pk in zip(new_rows, numbers, ids, strict=True)
                ),
                with_pk=True,
            )
            new_pks = iter(ids)
        elif new_rows:
            created = [
                _new_customer_row(row, number, now)
                for row, number in zip(new_rows, numbers, strict=True)
            ]
            fast_insert(Customer, created)
            where, params = _in("number", [values["number"] for values in created])
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT number, id FROM {connection.ops.quote_name(Customer._meta.db_table)} "  # noqa: S608 - names from the model
                    f"WHERE {where}",
                    params,
                )
                by_number = dict(cursor)
            new_pks = iter([by_number[number] for number in numbers])
        else:
            new_pks = iter(())

        to_update: list[Customer] = []
        update_fields: set[str] = set()
        replace_phones: list[int] = []
        row_customer: list[tuple[_ValidRow, int, bool]] = []
        for row in rows:
            if row.customer_id is None:
                row_customer.append((row, next(new_pks), True))
                continue
            customer = existing[row.customer_id]
            changed = apply_cleaned(customer, row.cleaned)
            if row.extras.source_key and not customer.source:
                customer.source, customer.source_key = row.extras.source, row.extras.source_key
                changed += ["source", "source_key"]
            phones_changed = "phones" in row.cleaned and row.cleaned["phones"] != phones.get(
                customer.pk, []
            )
            if phones_changed:
                replace_phones.append(customer.pk)
            if changed:
                for name in changed:
                    update_fields.update(_UPDATE_FIELDS.get(name, (name,)))
                customer.updated_at = now
                to_update.append(customer)
            elif phones_changed:
                customer.updated_at = now
                to_update.append(customer)
            row_customer.append((row, customer.pk, bool(changed or phones_changed)))

        if to_update:
            Customer.objects.bulk_update(
                to_update, sorted(update_fields | {"updated_at"}), batch_size=500
            )
            # Optimistic locking: an edit form opened before the import is now stale.
            Customer.objects.filter(pk__in=[c.pk for c in to_update]).update(
                version=F("version") + 1
            )
        replaced = set(replace_phones)
        if replace_phones:
            CustomerPhone.objects.filter(customer_id__in=replaced).delete()
        new_phones = [
            (pk, e164, i == 0)
            for row, pk, _changed in row_customer
            if row.customer_id is None or pk in replaced
            for i, e164 in enumerate(row.cleaned.get("phones", ()))
        ]
        if new_phones:
            fast_insert(
                CustomerPhone,
                (
                    {"customer_id": pk, "e164": e164, "is_primary": primary}
                    for pk, e164, primary in new_phones
                ),
            )

        touched = self._write_extras(row_customer, holdings, contacts, now)
        only_extras = []
        for row, pk, changed in row_customer:
            if row.customer_id is None:
                self.result.created += 1
            elif changed or pk in touched:
                self.result.updated += 1
                if not changed:
                    only_extras.append(pk)
            else:
                self.result.unchanged += 1
        if only_extras:
            Customer.objects.filter(pk__in=only_extras).update(updated_at=now)

    def _write_extras(self, row_customer, holdings, contacts, now) -> set[int]:
        """Holdings and campaign contacts; returns ids of existing customers whose extras
        changed."""
        touched: set[int] = set()
        new_holdings, changed_holdings = [], []
        new_contacts, changed_contacts = [], []
        today = timezone.localdate()
        for row, pk, _changed in row_customer:
            if self.mapping.products:
                held = holdings.get(pk, {}) if row.customer_id else {}
                wanted = set()
                for spec in row.extras.holdings:
                    product_id = self.products[spec.product]
                    wanted.add(product_id)
                    current = held.get(product_id)
                    values = {
                        "balance": spec.balance,
                        "opened_on": spec.opened_on or today,
                        "status": spec.status,
                        "closed_on": spec.closed_on,
                    }
                    if current is None:
                        new_holdings.append(
                            {
                                "customer_id": pk,
                                "product_id": product_id,
                                "source": self.mapping.source,
                                **values,
                            }
                        )
                        touched.add(pk)
                    elif any(getattr(current, k) != v for k, v in values.items()):
                        for k, v in values.items():
                            setattr(current, k, v)
                        changed_holdings.append(current)
                        touched.add(pk)
                for product_id, current in held.items():
                    if product_id not in wanted and current.status == Holding.Status.ACTIVE:
                        current.status, current.closed_on = Holding.Status.CLOSED, today
                        changed_holdings.append(current)
                        touched.add(pk)
            for spec in row.extras.interactions:
                campaign_id = self.campaigns[spec.campaign]
                values = {
                    "customer_id": pk,
                    "kind": spec.kind,
                    "occurred_at": spec.occurred_at,
                    "channel": spec.channel,
                    "outcome": spec.outcome,
                    "summary": spec.summary[:300],
                    "detail": spec.detail,
                }
                current = contacts.get((campaign_id, spec.source_key))
                if current is None:
                    # Bulk form of services.interaction_record (no staff: the system imports).
                    new_contacts.append(
                        {"campaign_id": campaign_id, "source_key": spec.source_key, **values}
                    )
                    touched.add(pk)
                elif any(current[k] != v for k, v in values.items()):
                    changed_contacts.append(Interaction(id=current["id"], **values))
                    touched.add(pk)
        if new_holdings:
            fast_insert(Holding, new_holdings)
        if changed_holdings:
            Holding.objects.bulk_update(
                changed_holdings, ["balance", "opened_on", "status", "closed_on"], batch_size=500
            )
        if new_contacts:
            fast_insert(Interaction, new_contacts)
        if changed_contacts:
            Interaction.objects.bulk_update(changed_contacts, _CONTACT_FIELDS, batch_size=500)
        return touched

    # --- the job --------------------------------------------------------------------------

    def _job_start(self) -> None:
        job = self.job
        job.status = ImportJob.Status.RUNNING
        if (job.result or {}).get("phase") != "writing":
            job.processed_rows = 0
            job.result = {"phase": "checking", "checked": 0}
        job.save(update_fields=["status", "processed_rows", "result"])

    def _job_progress(self, committed: bool = False) -> None:
        job = self.job
        if job is None:
            return
        if committed:
            job.processed_rows = self.written
            job.result = {
                "phase": "writing",
                "written": self.written,
                "created": self.result.created,
                "updated": self.result.updated,
                "unchanged": self.result.unchanged,
            }
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=job.processed_rows, result=job.result
            )
        elif (job.result or {}).get("phase") != "writing":
            job.result = {"phase": "checking", "checked": self.validated}
            ImportJob.objects.filter(pk=job.pk).update(result=job.result)

    def _finish(self) -> ImportResult:
        result = self.result
        result.errors.sort(key=lambda e: e.line)
        if self.progress:
            self.progress(result.total_rows, result.total_rows)
        job = self.job
        if job is not None:
            job.status = ImportJob.Status.REJECTED if result.rejected else ImportJob.Status.DONE
            job.total_rows = result.total_rows
            job.processed_rows = result.total_rows
            job.result = {
                **result.as_dict(),
                "phase": "done",
                "rejected": result.rejected,
                "total_rows": result.total_rows,
                "bad_rows": result.bad_lines,
            }
            job.save(update_fields=["status", "total_rows", "processed_rows", "result"])
        return result


# --- jobs from the page -----------------------------------------------------------------------


def import_job_create(*, actor, uploaded, mapping: str, valid_only: bool) -> ImportJob:
    """Save an uploaded file under MEDIA_ROOT/imports/ and register an import job for it.
    The caller enqueues `tasks.run_import` once the transaction commits."""
    if scope_for(actor, Action.CUSTOMER_IMPORT) == 0:
        raise PermissionDenied(_("You may not import customers."))
    errors: dict[str, list[str]] = {}
    if mapping not in MAPPINGS:
        errors["mapping"] = [_("Choose a column mapping.")]
    name = os.path.basename(getattr(uploaded, "name", "") or "")
    if not name or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        errors["file"] = [_("Choose a CSV or XLSX file.")]
    if errors:
        raise ValidationFailed(errors)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}-{get_valid_filename(name) or 'upload'}"
    with open(target, "wb") as out:
        for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else [uploaded.read()]:
            out.write(chunk)
    return ImportJob.objects.create(
        created_by=staff_of(actor),
        file_name=name[:200],
        file_path=str(target),
        mapping=mapping,
        valid_only=valid_only,
    )


def import_job_progress(job: ImportJob) -> int:
    """Percent done for the page: checking the rows is the first half, writing the second."""
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED):
        return 100
    total = job.total_rows or 0
    if not total:
        return 0
    result = job.result or {}
    if result.get("phase") == "writing":
        return min(50 + int(50 * job.processed_rows / total), 99)
    return min(int(50 * int(result.get("checked", 0)) / total), 50)
