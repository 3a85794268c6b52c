"""Real inbound history: importing a bank call centre's call-by-call month as inbound call
records, and the service report read back from those records (offered, answered, abandoned,
service level, talk time, the agents who were working) next to the agents the staffing planner
recommends for the same arrivals.

The data set
    "Anonymous Bank" (Technion SEE Center, Mandelbaum & Guedj): every call that reached the
    call centre of a small Israeli bank in February 1999, one row per call, tab-separated with
    a header line; see ../shared/datasets/README.md, section 4. Its terms forbid
    redistribution, so it is never copied into the repository: the importer reads it from
    `settings.DATASETS_DIR/callcenter/`, else from `../shared/datasets/callcenter/` next to
    the checkout (`default_file`), or from any path it is given. A row goes VRU (the
    voice-response unit) → queue (optional) → service by an agent, or hangs up on the way.

How a row becomes a `dialer.Call`
    * `PHANTOM` rows are dropped (virtual calls, per the data set's documentation).
    * A `HANG` row that never entered the queue hung up in the VRU: it was never offered to an
      agent, so it is not a call of the contact centre's queue and is not imported (many are
      callers who finished their business in self-service). The import counts them
      (`ImportResult.vru_only`).
    * Every other row is one inbound call: direction and mode inbound, state ended, `source`
      "import:<file name>", `source_key` "<date>-<vru+line>-<call_id>" (the data set's
      `call_id` numbers calls per VRU line, so the same id recurs on other lines: line + id
      is unique in the file, and the date keeps keys apart across monthly files), `dial_key` "imp-" + source_key, `queue` = the
      service type (PS, PE, IN, NE, NW, TT), `priority` = the data set's priority (0/1
      regular or unidentified, 2 priority customer), and `telephony_ref` = **the agent's name
      in the source system** (the `server` column; empty for NO_SERVER). Imported agents are
      not members of staff, so `agent` stays empty; the names are personal data and no page
      shows them: the report only counts distinct names.
    * Offered (`dialed_at`, `created_at`) = entering the queue (`q_start`); for a call served
      without queueing, the start of service (`ser_start`), else leaving the VRU.
      `wait_s` = the queue time (`q_time`; 0 when it did not queue).
    * `AGENT` → outcome answered, `answered_at` = `connected_at` = offered + wait,
      `ended_at` = that + the service time. `HANG` after queueing → outcome abandoned,
      `ended_at` = offered + wait.
    * `talk_s` = the service time (`ser_time`), but only for reliable service records: an
      answered row with `server` = NO_SERVER (491 rows, median 6 s: not a real service) or
      with no service start (50 rows) keeps the call as answered, with no talk time, so it
      counts for offered/answered/service level but not for the handle time nor the agents
      working (`ImportResult.no_talk_time`).
    * `rings_before_answer` (answered calls) = max(1, ⌈wait / 5 s⌉). A ring cycle is 5 s
      (1 s tone, 4 s silence: the Chinese ringing tone, which is the bank's own clock for
      "answered by the third ring"; we apply the same cadence to the Israeli data for
      comparability). The first ring starts the moment the call is offered, so a call
      picked up at once was answered on the first ring, and "answered by the third ring"
      ⇔ wait ≤ 15 s.
    * Clock times are local to the centre (Asia/Jerusalem, `CENTRE_TZ`); `0:00:00` in a
      queue or service time means "did not happen" unless the matching exit time or duration
      says otherwise (one call queued at midnight); a time earlier than the VRU entry by more
      than 12 hours is on the next day (calls that run past midnight).

Import guarantees
    * Two passes. The whole file is checked first (17 columns, numbers, dates, clock times,
      outcome; not the unused `customer_id`, which holds a few values in spreadsheet
      notation, nor `vru_time`, negative in 25 rows where the VRU clock slipped); any
      malformed row raises `ValidationFailed` naming its line (the header is line 1) and
      column, and **nothing at all is written** — not even the batches before the bad line. Rows written by earlier runs stay: they were valid, and re-running with the
      corrected file completes the import. That is what "changes nothing" means here.
    * Then the rows are written in batches of `settings.IMPORT_BATCH_SIZE`, each in its own
      transaction, with one `bulk_create`. Rows already present (the unique
      (source, source_key) constraint, and the unique dial_key) are skipped, so a second run
      writes nothing, and a run that crashed halfway is completed by running it again.
    * `progress(done, total)` is called with data rows processed after every batch.

The report (`inbound_report`)
    Calls are grouped by the local day and half-hour in which they were offered.
    * offered = answered + abandoned (calls that hung up in the VRU were not offered).
    * abandonment = abandoned / offered.
    * service level at T (15 s, 20 s) is given two ways: `sl15`/`sl20` = answered within T /
      offered (every abandoned call counts against it: the strict one, and the one the bank's
      "answered by the third ring" promise reads as), and `sl15_excl`/`sl20_excl` = answered
      within T / (offered − calls abandoned within T), the usual call-centre convention that
      does not hold against the centre callers who hung up before T.
    * answered by the third ring = answered calls with `rings_before_answer` ≤ 3, as a share
      of answered calls (and of offered calls).
    * mean talk time (AHT) = mean `talk_s` of answered calls that have one (there is no
      after-call work in the data, so handle time = talk time).
    * agents working in a half-hour = distinct agents (the staff member, else the source's
      agent name) with a service (connected → ended) overlapping it. Agents who were logged in
      but took no call in the half-hour are not in the data, so this is a lower bound on the
      agents on duty.
    * recommended agents: the staffing planner (`planner.plan`, Erlang C and Erlang A) given
      the half-hour's offered calls and its mean talk time (the day's, else the whole range's,
      when the half-hour has none) for a target of 90% answered within 15 s by default.
      Erlang A needs the callers' mean patience; it is estimated from the same calls by the
      standard estimator for exponential patience: total time waited in the queue by all
      offered calls (served calls' waits are censored patience times) / number abandoned.
      The models assume first-come first-served; this centre gave priority customers 1.5
      minutes of credit in the queue, so its waits are not FIFO.
    * the working-week profile averages the Sunday–Thursday days (the centre's week; Friday
      and Saturday are short days) per half-hour: offered calls and agents working per day,
      the rates pooled over those days, the staffing for the average day.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.tabular import (
    MAX_CELL_CHARS,
    Unreadable,
    longest,
    record_at,
    text_encoding,
    too_long,
)
from servicefirst.dialer.models import Call
from servicefirst.staffing import planner

CENTRE_TZ = ZoneInfo("Asia/Jerusalem")
DATASET = Path("callcenter") / "data_anonymous_bank_february.txt"
SOURCE_PREFIX = "import:"
RING_CYCLE_S = 5  # 1 s tone + 4 s silence
THIRD_RING_S = 3 * RING_CYCLE_S
TARGETS_S = (15, 20)
WORKING_WEEK = frozenset({6, 0, 1, 2, 3})  # Sunday–Thursday (datetime.weekday numbers)
SLOT = datetime.timedelta(minutes=30)
OPENING_SLOT = 14  # 07:00: the centre opens; quieter half-hours before it are shown only if active
MAX_ERRORS = 20

COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
_COL = {name: i for i, name in enumerate(COLUMNS)}
NOT_HAPPENED = "0:00:00"
NO_SERVER = "NO_SERVER"
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")
_LINE_ID = re.compile(r"^[A-Za-z0-9_]{1,20}$")
_HALF_DAY = 12 * 3600


def default_file() -> Path:
    """The February file under settings.DATASETS_DIR, else in ../shared/datasets next to the
    checkout (where a fresh clone finds it)."""
    configured = Path(getattr(settings, "DATASETS_DIR", settings.BASE_DIR / "datasets"))
    candidate = configured / DATASET
    if candidate.exists():
        return candidate
    return Path(settings.BASE_DIR).parent / "shared" / "datasets" / DATASET


def source_for(path) -> str:
    return (SOURCE_PREFIX + Path(path).name)[: Call._meta.get_field("source").max_length]


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    source: str
    rows: int = 0  # data rows in the file
    created: int = 0  # calls written by this run
    already_imported: int = 0  # calls skipped because an earlier run wrote them
    phantom: int = 0  # PHANTOM rows dropped
    vru_only: int = 0  # hung up in the VRU, never offered to the queue: not imported
    no_talk_time: int = 0  # answered calls whose service record is unreliable (no talk_s)
    seconds: float = 0.0

    @property
    def calls(self) -> int:
        """Calls of the file that are now in the database (this run's and earlier runs')."""
        return self.created + self.already_imported

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "calls": self.calls}


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message


def _clock(cells: list[str], column: str) -> int:
    text = cells[_COL[column]].strip()
    match = _CLOCK.match(text)
    if not match or int(match.group(1)) > 23:
        raise _RowError(column, _("“%(value)s” is not a time like 7:02:47.") % {"value": text})
    h, m, s = (int(g) for g in match.groups())
    return h * 3600 + m * 60 + s


def _int(cells: list[str], column: str) -> int:
    text = cells[_COL[column]].strip()
    if not text.isdigit():
        raise _RowError(
            column, _("“%(value)s” is not a whole number of 0 or more.") % {"value": text}
        )
    return int(text)


def _text(cells: list[str], column: str, max_length: int) -> str:
    text = cells[_COL[column]].strip()
    if not text or len(text) > max_length:
        raise _RowError(
            column,
            _("“%(value)s” should be 1 to %(n)d characters.") % {"value": text, "n": max_length},
        )
    return text


@dataclass(frozen=True)
class _Row:
    kind: str  # "call", "phantom" or "vru_only"
    call: dict | None = None  # the Call's fields (a model instance only when written)
    no_talk_time: bool = False


def _parse(cells: list[str], source: str, tz) -> _Row:
    """One data row → what to do with it. Raises _RowError for a malformed row."""
    if len(cells) != len(COLUMNS):
        raise _RowError(
            "",
            _("expected %(expected)d tab-separated columns, found %(found)d.")
            % {"expected": len(COLUMNS), "found": len(cells)},
        )
    line_id = cells[_COL["vru+line"]].strip()
    if not _LINE_ID.match(line_id):
        raise _RowError(
            "vru+line", _("“%(value)s” is not a VRU line like AA0101.") % {"value": line_id}
        )
    call_id = _int(cells, "call_id")
    priority = _int(cells, "priority")
    if priority > 9:
        raise _RowError("priority", _("“%(value)s” is not a priority 0–9.") % {"value": priority})
    kind = _text(cells, "type", Call._meta.get_field("queue").max_length)
    date_text = cells[_COL["date"]].strip()
    try:
        if not re.fullmatch(r"\d{6}", date_text):
            raise ValueError
        yy, mm, dd = int(date_text[:2]), int(date_text[2:4]), int(date_text[4:])
        day = datetime.date(1900 + yy if yy >= 69 else 2000 + yy, mm, dd)  # as strptime's %y
    except ValueError:
        raise _RowError(
            "date", _("“%(value)s” is not a date like 990201 (YYMMDD).") % {"value": date_text}
        ) from None
    entry = _clock(cells, "vru_entry")
    clocks = {
        c: _clock(cells, c) for c in ("vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")
    }
    q_time = _int(cells, "q_time")
    ser_time = _int(cells, "ser_time")
    outcome = cells[_COL["outcome"]].strip()
    if outcome not in {"AGENT", "HANG", "PHANTOM"}:
        raise _RowError(
            "outcome", _("“%(value)s” is not AGENT, HANG or PHANTOM.") % {"value": outcome}
        )
    server = _text(cells, "server", Call._meta.get_field("telephony_ref").max_length)

    if outcome == "PHANTOM":
        return _Row("phantom")

    def happened(column: str) -> bool:
        return cells[_COL[column]].strip() != NOT_HAPPENED

    def later(seconds: int) -> int:  # past midnight: on the next day
        return seconds + 86400 if seconds < entry - _HALF_DAY else seconds

    vru_exit = later(clocks["vru_exit"])
    queued = happened("q_start") or happened("q_exit") or q_time > 0
    if queued:
        if happened("q_start"):
            q_start = later(clocks["q_start"])
        elif happened("q_exit"):
            q_start = later(clocks["q_exit"]) - q_time
        else:
            q_start = vru_exit
    served = happened("ser_start") or happened("ser_exit") or ser_time > 0
    if served:
        ser_start = (
            later(clocks["ser_start"])
            if happened("ser_start")
            else later(clocks["ser_exit"]) - ser_time
        )

    if outcome == "HANG" and not queued:
        return _Row("vru_only")

    midnight = datetime.datetime.combine(day, datetime.time())

    def at(seconds: float) -> datetime.datetime:
        return (midnight + datetime.timedelta(seconds=seconds)).replace(tzinfo=tz)

    if queued:
        offered, wait = q_start, q_time
    else:
        offered, wait = (ser_start if served else vru_exit), 0
    agent_name = "" if server == NO_SERVER else server
    source_key = f"{date_text}-{line_id}-{call_id}"
    call = {
        "direction": Call.Direction.INBOUND,
        "mode": Call.Mode.INBOUND,
        "state": Call.State.ENDED,
        "dial_key": f"imp-{source_key}",
        "adapter": "import",
        "telephony_ref": agent_name,
        "queue": kind,
        "priority": priority,
        "created_at": at(offered),
        "dialed_at": at(offered),
        "wait_s": float(wait),
        "source": source,
        "source_key": source_key,
    }
    no_talk_time = False
    if outcome == "HANG":
        call["outcome"] = Call.Outcome.ABANDONED
        call["ended_at"] = at(offered + wait)
    else:
        answered = offered + wait
        call["outcome"] = Call.Outcome.ANSWERED
        call["answered_at"] = call["connected_at"] = at(answered)
        call["ended_at"] = at(answered + (ser_time if served else 0))
        call["rings_before_answer"] = max(1, math.ceil(wait / RING_CYCLE_S))
        if served and agent_name:
            call["talk_s"] = float(ser_time)
        else:
            no_talk_time = True
    return _Row("call", call, no_talk_time)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every non-blank data line; line 1 is the header. A file that
    is not UTF-8 or GB18030 text, or that the csv module cannot read, raises ValidationFailed
    naming the line."""
    try:
        encoding = text_encoding(path)
    except Unreadable as exc:
        raise ValidationFailed({"file": [str(exc)]}) from None
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            yield from _reader_rows(reader)
        except csv.Error as exc:
            line = reader.line_num
            with path.open(encoding=encoding, newline="") as again:
                record = record_at(again, line, delimiter="\t", quoting=csv.QUOTE_NONE)
            problems = too_long(record, list(COLUMNS))
            message = problems[0][1] if problems else str(exc)
            column = problems[0][0] if problems else ""
            raise ValidationFailed({"file": [_error(line, _RowError(column, message))]}) from None


def _reader_rows(reader) -> Iterator[tuple[int, list[str]]]:
    for cells in reader:
        line = reader.line_num
        if line == 1:
            found = tuple(c.strip() for c in cells)
            if found != COLUMNS:
                messages = [
                    _("Line 1: expected the header %(header)s.") % {"header": " ".join(COLUMNS)}
                ]
                missing = [c for c in COLUMNS if c not in found]
                if missing:
                    messages.append(
                        _("Line 1: the columns %(columns)s are missing.")
                        % {"columns": ", ".join(missing)}
                    )
                raise ValidationFailed({"file": messages})
            continue
        if not any(c.strip() for c in cells):
            continue
        yield line, cells


def _error(line: int, exc: _RowError) -> str:
    if exc.column:
        return _("Line %(line)d, column “%(column)s”: %(message)s") % {
            "line": line,
            "column": exc.column,
            "message": exc.message,
        }
    return _("Line %(line)d: %(message)s") % {"line": line, "message": exc.message}


def _validate(path: Path, source: str, tz) -> int:
    """First pass: every row parses, or ValidationFailed names the bad lines. Returns the
    number of data rows."""
    errors: list[str] = []
    bad = rows = 0
    for line, cells in _rows(path):
        rows += 1
        try:
            if longest(cells) > MAX_CELL_CHARS:  # named by its column, never echoed back
                raise _RowError(*too_long(cells, list(COLUMNS))[0])
            _parse(cells, source, tz)
        except _RowError as exc:
            bad += 1
            if len(errors) < MAX_ERRORS:
                errors.append(_error(line, exc))
    if bad > len(errors):
        errors.append(_("… and %(n)d more bad lines.") % {"n": bad - len(errors)})
    if errors:
        raise ValidationFailed({"file": errors})
    if rows == 0:
        raise ValidationFailed({"file": [_("The file has no calls.")]})
    return rows


def _write(batch: list[Call], source: str) -> tuple[int, int]:
    """Write one batch in one transaction: (created, already there)."""
    keys = [c.source_key for c in batch]
    with transaction.atomic():
        present = set(
            Call.objects.filter(source=source, source_key__in=keys).values_list(
                "source_key", flat=True
            )
        )
        new = [c for c in batch if c.source_key not in present]
        if new:
            # ignore_conflicts: a row another run (or the same call under another file
            # name: same dial_key) wrote meanwhile is skipped, not an error.
            Call.objects.bulk_create(new, ignore_conflicts=True)
        after = Call.objects.filter(source=source, source_key__in=keys).count()
    created = after - len(present)
    return created, len(batch) - created


def import_inbound_history(
    path=None,
    *,
    actor=None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int | None = None,
    tz=CENTRE_TZ,
) -> ImportResult:
    """Import the call centre's call-by-call file as inbound calls; see the module docstring.
    `actor` is a user who may supervise the contact centre, or None for the system itself."""
    if actor is not None and scope_for(actor, Action.CONTACT_SUPERVISE) == Scope.NONE:
        raise PermissionDenied(_("You may not import call history."))
    path = Path(path) if path else default_file()
    if not path.is_file():
        raise ValidationFailed({"file": [_("There is no file at %(path)s.") % {"path": path}]})
    batch_size = batch_size or settings.IMPORT_BATCH_SIZE
    source = source_for(path)
    started = time.monotonic()
    total = _validate(path, source, tz)
    result = ImportResult(source=source)
    if progress:
        progress(0, total)
    batch: list[Call] = []
    done = 0

    def flush():
        if batch:
            created, present = _write(batch, source)
            result.created += created
            result.already_imported += present
            batch.clear()
        if progress:
            progress(done, total)

    for _line, cells in _rows(path):
        row = _parse(cells, source, tz)
        done += 1
        result.rows += 1
        if row.kind == "phantom":
            result.phantom += 1
        elif row.kind == "vru_only":
            result.vru_only += 1
        else:
            result.no_talk_time += row.no_talk_time
            batch.append(Call(**row.call))
        if len(batch) >= batch_size:
            flush()
    if batch or not result.calls:
        flush()
    result.seconds = round(time.monotonic() - started, 2)
    return result


# --- report -----------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    """Counts for a set of calls, and the rates read from them (None when undefined)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_15: int = 0
    answered_20: int = 0
    abandoned_15: int = 0  # abandoned after waiting 15 s or less
    abandoned_20: int = 0
    third_ring: int = 0  # answered by the third ring
    wait_s: float = 0.0  # queue time of every offered call
    answered_wait_s: float = 0.0
    talk_s: float = 0.0
    talked: int = 0  # answered calls with a talk time

    def add(self, outcome: str, wait: float | None, talk: float | None, rings: int | None):
        wait = wait or 0.0
        self.offered += 1
        self.wait_s += wait
        if outcome == Call.Outcome.ANSWERED:
            self.answered += 1
            self.answered_wait_s += wait
            self.answered_15 += wait <= 15
            self.answered_20 += wait <= 20
            if rings is None:
                rings = max(1, math.ceil(wait / RING_CYCLE_S))
            self.third_ring += rings <= 3
            if talk is not None:
                self.talk_s += talk
                self.talked += 1
        else:
            self.abandoned += 1
            self.abandoned_15 += wait <= 15
            self.abandoned_20 += wait <= 20

    def merge(self, other: Figures) -> Figures:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def abandonment(self):
        return _ratio(self.abandoned, self.offered)

    @property
    def sl15(self):
        return _ratio(self.answered_15, self.offered)

    @property
    def sl20(self):
        return _ratio(self.answered_20, self.offered)

    @property
    def sl15_excl(self):
        return _ratio(self.answered_15, self.offered - self.abandoned_15)

    @property
    def sl20_excl(self):
        return _ratio(self.answered_20, self.offered - self.abandoned_20)

    @property
    def third_ring_share(self):
        """Answered by the third ring, of the answered calls."""
        return _ratio(self.third_ring, self.answered)

    @property
    def third_ring_of_offered(self):
        return _ratio(self.third_ring, self.offered)

    @property
    def aht_s(self):
        return _ratio(self.talk_s, self.talked)

    @property
    def asa_s(self):
        """Average speed of answer: mean queue time of the answered calls."""
        return _ratio(self.answered_wait_s, self.answered)

    @property
    def patience_s(self):
        """Mean patience, exponential model: total wait of all offered calls / abandoned
        (infinite when nobody hung up)."""
        if self.offered == 0:
            return None
        return self.wait_s / self.abandoned if self.abandoned else math.inf


@dataclass(frozen=True)
class IntervalRow:
    start: datetime.time
    figures: Figures  # pooled over the days of the row
    calls: float  # offered calls (a day) or offered calls per day (an average)
    aht_s: float  # the handle time given to the planner
    agents_working: float  # per day
    plan: planner.IntervalPlan | None

    @property
    def erlang_c(self) -> int | None:
        return self.plan.erlang_c.agents if self.plan else None

    @property
    def erlang_a(self) -> int | None:
        return self.plan.erlang_a.agents if self.plan else None


@dataclass(frozen=True)
class DayReport:
    day: datetime.date | None  # None for an average of several days
    days: int  # days averaged (1 for a single day)
    figures: Figures
    rows: list[IntervalRow] = field(default_factory=list)

    @property
    def offered_per_day(self) -> float:
        return self.figures.offered / self.days if self.days else 0.0

    @property
    def agent_hours_working(self) -> float:
        return sum(r.agents_working for r in self.rows) * SLOT.total_seconds() / 3600

    @property
    def agent_hours_c(self) -> float:
        return sum(r.erlang_c or 0 for r in self.rows) * SLOT.total_seconds() / 3600

    @property
    def agent_hours_a(self) -> float:
        return sum(r.erlang_a or 0 for r in self.rows) * SLOT.total_seconds() / 3600

    @property
    def peak_working(self) -> float:
        return max((r.agents_working for r in self.rows), default=0)

    @property
    def peak_c(self) -> int:
        return max((r.erlang_c or 0 for r in self.rows), default=0)

    @property
    def peak_a(self) -> int:
        return max((r.erlang_a or 0 for r in self.rows), default=0)


@dataclass(frozen=True)
class InboundReport:
    source: str | None
    date_from: datetime.date | None
    date_to: datetime.date | None
    tz: ZoneInfo
    target: planner.Target  # patience_s: the estimate (or the one given)
    totals: Figures
    days: list[DayReport]
    working_week: DayReport | None  # Sunday–Thursday average per half-hour

    @property
    def patience_s(self) -> float:
        return self.target.patience_s


def _slot_of(local: datetime.datetime) -> int:
    return local.hour * 2 + local.minute // 30


def _slot_time(slot: int) -> datetime.time:
    return datetime.time(slot // 2, 30 * (slot % 2))


def _inbound(source: str | None):
    qs = Call.objects.filter(direction=Call.Direction.INBOUND, state=Call.State.ENDED).filter(
        outcome__in=[Call.Outcome.ANSWERED, Call.Outcome.ABANDONED], dialed_at__isnull=False
    )
    return qs.filter(source=source) if source is not None else qs


def import_sources() -> list[dict]:
    """The imported inbound histories: [{source, calls, first, last}], newest import first
    (first/last are aware datetimes of the first and last offered call)."""
    rows = (
        _inbound(None)
        .filter(source__startswith=SOURCE_PREFIX)
        .values("source")
        .annotate(calls=Count("id"), first=Min("dialed_at"), last=Max("dialed_at"))
        .order_by("-last", "source")
    )
    return list(rows)


def _local_range(date_from, date_to, tz):
    start = datetime.datetime.combine(date_from, datetime.time()).replace(tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time()).replace(
        tzinfo=tz
    )
    return start, end


def _plan_rows(slots, target: planner.Target, fallback_aht: float | None, plan: bool):
    """slots: [(slot, Figures, days, agents_working_total)] → [IntervalRow]."""
    if not slots:
        return []
    day_aht = _ratio(
        sum(f.talk_s for _s, f, _d, _w in slots), sum(f.talked for _s, f, _d, _w in slots)
    )
    rows = []
    intervals = []
    for slot, figures, days, working in slots:
        aht = figures.aht_s or day_aht or fallback_aht or 1.0
        calls = figures.offered / days
        rows.append((slot, figures, calls, aht, working / days))
        intervals.append(planner.Interval(start=_slot_time(slot), calls=calls, aht_s=aht))
    plans = planner.plan(intervals, target).rows if plan else [None] * len(rows)
    return [
        IntervalRow(
            start=_slot_time(slot),
            figures=figures,
            calls=calls,
            aht_s=aht,
            agents_working=working,
            plan=p,
        )
        for (slot, figures, calls, aht, working), p in zip(rows, plans, strict=True)
    ]


def _span(slot_keys) -> list[int]:
    """The half-hours shown: every one from the first active half-hour from 07:00 on to the
    last active one (quiet ones with zeros), and the active ones before 07:00 (calls that
    came after midnight)."""
    keys = sorted(slot_keys)
    if not keys:
        return []
    opening = next((k for k in keys if k >= OPENING_SLOT), keys[0])
    return sorted(set(keys) | set(range(opening, keys[-1] + 1)))


def inbound_report(
    source: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    *,
    target: planner.Target | None = None,
    patience_s: float | None = None,
    tz=CENTRE_TZ,
    plan_days: bool = True,
    plan_week: bool = True,
) -> InboundReport:
    """Inbound service per day and per half-hour (local to `tz`) for the calls of `source`
    (None: every inbound call) offered between `date_from` and `date_to` inclusive (None:
    from the first / to the last), with the staffing the planner recommends. `patience_s`
    None: estimated from the same calls. `plan_days` / `plan_week` False skip the Erlang
    computations for the days / the working-week profile. See the module docstring."""
    qs = _inbound(source)
    if date_from is None or date_to is None:
        bounds = qs.aggregate(first=Min("dialed_at"), last=Max("dialed_at"))
        if bounds["first"] is None:
            target = target or planner.Target()
            return InboundReport(source, date_from, date_to, tz, target, Figures(), [], None)
        date_from = date_from or bounds["first"].astimezone(tz).date()
        date_to = date_to or bounds["last"].astimezone(tz).date()
    start, end = _local_range(date_from, date_to, tz)

    totals = Figures()
    by_day: dict[datetime.date, Figures] = defaultdict(Figures)
    by_slot: dict[tuple[datetime.date, int], Figures] = defaultdict(Figures)
    working: dict[tuple[datetime.date, int], set] = defaultdict(set)
    rows = (
        qs.filter(dialed_at__gte=start, dialed_at__lt=end)
        .values_list(
            "dialed_at",
            "outcome",
            "wait_s",
            "talk_s",
            "rings_before_answer",
            "connected_at",
            "ended_at",
            "agent_id",
            "telephony_ref",
        )
        .iterator(chunk_size=5000)
    )
    for offered, outcome, wait, talk, rings, connected, ended, agent_id, ref in rows:
        local = offered.astimezone(tz)
        key = (local.date(), _slot_of(local))
        for figures in (totals, by_day[key[0]], by_slot[key]):
            figures.add(outcome, wait, talk, rings)
        who = agent_id or ref
        if talk is None or not who or connected is None:
            continue
        # The service occupies every half-hour it overlaps (a zero-length one: its own).
        begin = connected.astimezone(tz)
        finish = max(ended.astimezone(tz) if ended else begin, begin)
        cursor = begin.replace(minute=30 * (begin.minute // 30), second=0, microsecond=0)
        while True:
            working[(cursor.date(), _slot_of(cursor))].add(("s", who) if agent_id else ("n", who))
            cursor += SLOT
            if cursor >= finish or cursor >= end:
                break

    target = target or planner.Target()
    if patience_s is None:
        patience_s = totals.patience_s or math.inf
    target = dataclasses.replace(target, patience_s=patience_s)

    days = []
    for day in sorted(by_day):
        keys = {s for (d, s) in by_slot if d == day} | {s for (d, s) in working if d == day}
        slots = [
            (s, by_slot.get((day, s)) or Figures(), 1, len(working.get((day, s), ())))
            for s in _span(keys)
        ]
        days.append(
            DayReport(
                day=day,
                days=1,
                figures=by_day[day],
                rows=_plan_rows(slots, target, totals.aht_s, plan_days),
            )
        )

    week_days = [d for d in by_day if d.weekday() in WORKING_WEEK]
    working_week = None
    if week_days:
        n = len(week_days)
        pooled: dict[int, Figures] = defaultdict(Figures)
        busy: dict[int, int] = defaultdict(int)
        for (d, s), figures in by_slot.items():
            if d in week_days:
                pooled[s].merge(figures)
        for (d, s), agents in working.items():
            if d in week_days:
                busy[s] += len(agents)
        week_figures = Figures()
        for d in week_days:
            week_figures.merge(by_day[d])
        slots = [
            (s, pooled.get(s) or Figures(), n, busy.get(s, 0))
            for s in _span(set(pooled) | set(busy))
        ]
        working_week = DayReport(
            day=None,
            days=n,
            figures=week_figures,
            rows=_plan_rows(slots, target, totals.aht_s, plan_week),
        )
    return InboundReport(source, date_from, date_to, tz, target, totals, days, working_week)
