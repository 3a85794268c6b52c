"""The commitments engine: evaluates the published commitments from the ServiceEvent log,
incrementally, and keeps the cases, warnings, breaches, escalations and attainment.

Reading the log. The engine reads ServiceEvent rows in id order, in batches
(COMMITMENTS_ENGINE_BATCH, 50,000), and remembers how far it got in the `EngineCursor` row
"engine" — written in the same transaction as everything the batch changed, so a crash in the
middle of a batch leaves nothing of it and the batch is simply done again: no event is ever
counted twice and processed events are never read again. Ids can commit out of order (a
transaction that took id 100 commits after id 101 was read): ids skipped inside a batch are
kept in `EngineCursor.pending_ids` with the time they were first missed and looked for again
with every batch for COMMITMENTS_GAP_WAIT_S (60 s); then they are given up (a rolled-back
insert leaves a hole for ever). A late event that starts a case is followed by the events of
its subject the engine already read past, so a late start whose stop was read first still
closes.

Matching. The published versions are indexed in memory by the event kinds they use (start,
stop, cancel, pause, resume); the index is rebuilt when the set of published versions or the
unit tree changes (one cheap aggregate query per loop). A start event opens a case of a
published version when its kind is the version's start event, its unit is the commitment's
owner or below it (an event without a unit counts for the head office only), and its
attributes pass the version's `event_filter` (each attribute equals the value, or is one of
the listed values). Every other event acts on the cases its subject already has, whatever
their version's status: a case stays with the version it started under, retired or not.

Cases. A duration case is due when the version's target of open time (its calendar's: 24/7,
or business hours with holidays) has run from the start event, and warned at `warn_percent`
of that open time. Pausing (waiting for the customer) stops the clock; resuming moves the due
and warning times by the open time spent paused (the remaining open time runs from the
resume). The stop event closes the case: met if it came by the due time, its value the open
seconds taken minus the pauses; a cancel event voids it (nothing to measure) — unless the due
time had passed already: a breach is not undone by a cancel. A count measure (rings before
answer) makes its case and closes it at once: met if the event's value is at most the target.

Deadlines. The sweep (every loop, ≈1 s, and after every batch while catching up) breaches
running cases whose due time has passed even without a stop event (a stop that comes later
records its time and value on the breached case), warns the ones past their warning time,
and escalates breaches still unresolved a further full target after their due time. The
sweep looks at "now" less COMMITMENTS_SWEEP_GRACE_S (1 s: time for a producer's transaction
to commit the stop it recorded just before the deadline) — or, while the engine is still
reading older events, at the time of the last event read (less a minute), so history is
judged by its own events and not by the wall clock. Between loops the engine sleeps until
the next deadline if that comes before the interval is over.

Alerts and signals. Breaches, warnings and escalations within COMMITMENTS_ALERT_MAX_AGE_S
(24 h) of now are sent (`alerts.py`: the staff member, the unit's managers, up the chain,
digests instead of floods) and `signals.case_breached` is sent after the commit for each new
breach within that age; older history (a long catch-up) counts in the attainment only.

Attainment. Every case that closes (met or breached) adds to `AttainmentDay` for its
commitment, unit (the event's, or the owner when the event has none) and the local day it
started: one upsert per key per batch (INSERT … ON CONFLICT DO UPDATE with increments).

One engine at a time: `servicefirst commitments_engine` holds a lease on the cursor row
(`EngineCursor.owner`, renewed with `heartbeat_at` every loop; free when released, when the
heartbeat is older than COMMITMENTS_ENGINE_LEASE_S (15 s), or at once when its holder ran on
this host and its pid is gone). Every batch and sweep also locks the cursor row, so the
fallback task `tasks.engine_tick` or `run_until_caught_up` (demo loader, tests) can never
process the same events twice, even beside a running engine.

Speed. On PostgreSQL a batch reads raw rows through psycopg's C loaders, with the attributes
the filters use extracted by the database (`attrs ->> …`: the engine never parses JSON); a
start event is matched through a cache keyed by (kind, unit, value of the kind's most used
filter attribute); new cases are streamed with binary COPY as they close (most cases start
and stop within one batch and are written once, already closed, while PostgreSQL ingests them
on its own core); the cases that changed are updated with one UPDATE … FROM unnest(…), the
attainment with one upsert; `synchronous_commit` is off for the batch (a batch lost in a
database crash is simply redone from the log: the cursor commits with the batch, so it is lost
with it). Case has no database-level foreign keys and no index beyond its primary key, the
unique (subject, version) and small partial ones (see the model). The cyclic garbage collector
is paused during a batch (the batch's objects are freed by reference counting). Batches of
50,000 events while catching up: most cases start and stop within one, so they are written
once. Other databases take the ORM path (bulk_create / bulk_update). See bench/commitments.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import json
import logging
import os
import socket
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Sum
from django.utils import timezone

from servicefirst.accounts.models import Unit
from servicefirst.commitments import alerts
from servicefirst.commitments.models import (
    AttainmentDay,
    BusinessCalendar,
    Case,
    CommitmentVersion,
    EngineCursor,
    ServiceEvent,
)
from servicefirst.commitments.signals import case_breached
from servicefirst.core.workers import pid_alive

log = logging.getLogger("servicefirst.commitments.engine")

CURSOR = "engine"
OPEN, PAUSED, MET, BREACHED, VOID = "open", "paused", "met", "breached", "void"
OPEN_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}
SWEEP_LIMIT = 5000  # cases per sweep query
SUBJECT_CHUNK = 5000  # subjects per preload query
MAX_PENDING = 10000  # gap ids remembered at most
CATCH_UP_SLACK = dt.timedelta(seconds=60)
UTC = dt.UTC


def _setting(name: str, default):
    value = getattr(settings, name, None)
    return default if value is None else value


@dataclasses.dataclass(frozen=True)
class Options:
    """The engine's settings (names below, with their defaults)."""

    batch: int = 50000  # COMMITMENTS_ENGINE_BATCH
    gap_wait_s: float = 60.0  # COMMITMENTS_GAP_WAIT_S
    grace_s: float = 1.0  # COMMITMENTS_SWEEP_GRACE_S
    alert_max_age_s: float = 86400.0  # COMMITMENTS_ALERT_MAX_AGE_S
    interval_s: float = 1.0  # COMMITMENTS_ENGINE_INTERVAL_S
    lease_s: float = 15.0  # COMMITMENTS_ENGINE_LEASE_S

    @classmethod
    def from_settings(cls, **overrides) -> Options:
        values = {
            "batch": int(_setting("COMMITMENTS_ENGINE_BATCH", cls.batch)),
            "gap_wait_s": float(_setting("COMMITMENTS_GAP_WAIT_S", cls.gap_wait_s)),
            "grace_s": float(_setting("COMMITMENTS_SWEEP_GRACE_S", cls.grace_s)),
            "alert_max_age_s": float(_setting("COMMITMENTS_ALERT_MAX_AGE_S", cls.alert_max_age_s)),
            "interval_s": float(_setting("COMMITMENTS_ENGINE_INTERVAL_S", cls.interval_s)),
            "lease_s": float(_setting("COMMITMENTS_ENGINE_LEASE_S", cls.lease_s)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# --------------------------------------------------------------------------- clocks


def clock_for(calendar: BusinessCalendar):
    """The calendar's clock (servicefirst.commitments.calendar)."""
    from servicefirst.commitments.calendar import clock_for as calendar_clock

    return calendar_clock(calendar)


# --------------------------------------------------------------------------- the index


class Rule:
    """One version as the engine needs it."""

    __slots__ = (
        "id",
        "commitment_id",
        "owner_id",
        "status",
        "count",
        "start",
        "stop",
        "cancels",
        "pause",
        "resume",
        "acts_on",
        "filter",
        "target",
        "target_unit",
        "target_value",
        "budget_td",
        "open_budget_s",
        "open_warn_s",
        "warn_fraction",
        "warn_td",
        "clock",
        "always_open",
        "remedy",
    )

    def __init__(self, version: CommitmentVersion, clock) -> None:
        self.id = version.id
        self.commitment_id = version.commitment_id
        self.owner_id = version.commitment.owner_id
        self.status = version.status
        self.count = version.measure == CommitmentVersion.Measure.COUNT
        self.start = version.start_event
        self.stop = version.stop_event or ""
        self.cancels = frozenset(version.cancel_events or ())
        self.pause = version.pause_event or ""
        self.resume = version.resume_event or ""
        self.acts_on = frozenset(
            k for k in (self.stop, self.pause, self.resume, *self.cancels) if k
        )
        self.filter = tuple(
            (attr, frozenset(map(_norm, want)) if isinstance(want, list | tuple) else _norm(want))
            for attr, want in sorted((version.event_filter or {}).items())
        )
        self.target = float(version.target_value)
        self.target_value = version.target_value
        self.target_unit = version.target_unit
        self.clock = clock
        self.always_open = bool(getattr(clock, "always_open", False))
        fixed = self.target_unit == "days" or (
            self.always_open and self.target_unit in OPEN_SECONDS
        )
        # 24/7 targets in seconds … hours, and calendar days on any calendar: plain arithmetic.
        self.budget_td = (
            dt.timedelta(seconds=self.target * {**OPEN_SECONDS, "days": 86400}[self.target_unit])
            if fixed
            else None
        )
        warn = version.warn_percent or 0
        self.warn_fraction = warn / 100 if 0 < warn < 100 else None
        self.warn_td = (
            self.budget_td * self.warn_fraction
            if self.budget_td is not None and self.warn_fraction and self.always_open
            else None
        )
        # Open time on a business calendar: the budget in open seconds, so the due and warning
        # times are one `Clock.add` each (the open time from start to due is the budget).
        self.open_budget_s = (
            self.target * OPEN_SECONDS[self.target_unit]
            if self.budget_td is None and self.target_unit in OPEN_SECONDS
            else None
        )
        self.open_warn_s = (
            self.open_budget_s * self.warn_fraction
            if self.open_budget_s is not None and self.warn_fraction
            else None
        )
        self.remedy = version.remedy

    def due(self, start: dt.datetime) -> dt.datetime:
        """The instant the target has run from `start` (open time for seconds … hours; calendar
        days; working days — as `Clock.due_at`)."""
        if self.budget_td is not None:
            return start + self.budget_td
        if self.open_budget_s is not None:
            return self.clock.add(start, self.open_budget_s)
        due = self.clock.due_at(self.target_value, self.target_unit, start)
        if due is None:
            raise ValueError(
                f"version {self.id}: a duration cannot be measured in {self.target_unit}"
            )
        return due

    def warn(self, start: dt.datetime, due: dt.datetime) -> dt.datetime | None:
        if self.warn_fraction is None:
            return None
        if self.always_open and self.warn_td is not None:
            return start + self.warn_td
        if self.open_warn_s is not None:
            return self.clock.add(start, self.open_warn_s)
        return self.clock.add(start, self.clock.elapsed(start, due) * self.warn_fraction)

    def shift(self, deadline: dt.datetime, since: dt.datetime, until: dt.datetime) -> dt.datetime:
        """`deadline` moved by a pause from `since` to `until`: what was left of it when the
        clock stopped runs from `until` (open time; wall time for calendar-day targets)."""
        if self.budget_td is not None:
            return deadline + (until - since)
        return self.clock.add(until, self.clock.elapsed(since, deadline))

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        if self.always_open:
            seconds = (end - start).total_seconds()
            return seconds if seconds > 0 else 0.0
        return self.clock.elapsed(start, end)


def _holds(conditions: tuple, ev: tuple) -> bool:
    """Each (position, wanted) holds for the event's attribute text at that position."""
    for pos, want in conditions:
        have = ev[pos]
        if have is None:
            return False
        if isinstance(want, frozenset):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


def _norm(value) -> str:
    """Filter values compare as text ("1" matches 1, True matches "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Index:
    """Published versions by event kind, and the unit tree's ancestors."""

    def __init__(self) -> None:
        self.signature = _signature()
        units = dict(Unit.objects.values_list("id", "parent_id"))
        self.ancestors: dict[int, frozenset[int]] = {}
        for unit in units:
            chain, seen, u = [], set(), unit
            while u is not None and u not in seen:
                seen.add(u)
                chain.append(u)
                u = units.get(u)
            self.ancestors[unit] = frozenset(chain)
        self.roots = frozenset(u for u, p in units.items() if p is None)
        self.rules: dict[int, Rule] = {}
        self.starts: dict[str, list[Rule]] = defaultdict(list)
        self.acts_on: set[str] = set()
        self._clocks: dict[int, object] = {}
        versions = CommitmentVersion.objects.filter(
            status__in=[CommitmentVersion.Status.PUBLISHED, CommitmentVersion.Status.RETIRED]
        ).select_related("commitment", "calendar")
        for version in versions:
            rule = self._make(version)
            if rule is None:
                continue
            self.acts_on |= rule.acts_on
            if version.status == CommitmentVersion.Status.PUBLISHED:
                self.starts[rule.start].append(rule)
        self.kinds = frozenset(self.starts) | frozenset(self.acts_on)
        # Events carry the text of every attribute a start rule filters on, from position 8.
        self.attrs = tuple(
            sorted({a for rules in self.starts.values() for r in rules for a, _ in r.filter})
        )
        self.position = {a: 8 + i for i, a in enumerate(self.attrs)}
        # Per start kind, the attribute most of its rules filter on: candidates are looked up
        # by (kind, unit, that attribute's value) once and cached, so an event is checked
        # against the few rules that can match, not against every rule of its kind.
        self.key_pos: dict[str, int | None] = {}
        self._key_attr: dict[str, str | None] = {}
        for kind, rules in self.starts.items():
            counts: dict[str, int] = defaultdict(int)
            for rule in rules:
                for attr, _want in rule.filter:
                    counts[attr] += 1
            key = max(counts, key=lambda a: (counts[a], a)) if counts else None
            self._key_attr[kind] = key
            self.key_pos[kind] = self.position[key] if key else None
        self._candidates: dict[tuple, list] = {}

    def candidates(self, kind: str, ev: tuple) -> list:
        """[(rule, the rest of its filter as (position, wanted))] for a start event: the
        rules whose owner is at or above the event's unit and whose key attribute matches."""
        pos = self.key_pos.get(kind)
        value = ev[pos] if pos is not None else None
        unit_id = ev[4]
        cache_key = (kind, unit_id, value)
        found = self._candidates.get(cache_key)
        if found is None:
            key_attr = self._key_attr.get(kind)
            above = self.ancestors.get(unit_id, self.roots) if unit_id is not None else self.roots
            found = []
            for rule in self.starts.get(kind, ()):
                if rule.owner_id not in above:
                    continue
                rest = []
                ok = True
                for attr, want in rule.filter:
                    if attr == key_attr:
                        if value is None or (
                            value not in want if isinstance(want, frozenset) else value != want
                        ):
                            ok = False
                            break
                    else:
                        rest.append((self.position[attr], want))
                if ok:
                    found.append((rule, tuple(rest)))
            if len(self._candidates) > 100_000:
                self._candidates.clear()
            self._candidates[cache_key] = found
        return found

    def _make(self, version: CommitmentVersion) -> Rule | None:
        try:
            clock = self._clocks.get(version.calendar_id)
            if clock is None:
                clock = self._clocks[version.calendar_id] = clock_for(version.calendar)
            rule = Rule(version, clock)
            if not rule.count:
                rule.due(dt.datetime(2026, 1, 5, 1, tzinfo=UTC))  # fails early when invalid
        except Exception:
            log.exception("commitments engine: version %s cannot be measured", version.pk)
            return None
        self.rules[rule.id] = rule
        return rule

    def rule(self, version_id: int) -> Rule | None:
        rule = self.rules.get(version_id)
        if rule is None:
            version = (
                CommitmentVersion.objects.filter(pk=version_id)
                .select_related("commitment", "calendar")
                .first()
            )
            if version is not None:
                rule = self._make(version)
        return rule

    def stale(self) -> bool:
        return _signature() != self.signature


def _signature() -> tuple:
    versions = CommitmentVersion.objects.filter(
        status__in=[CommitmentVersion.Status.PUBLISHED, CommitmentVersion.Status.RETIRED]
    ).aggregate(n=Count("id"), ids=Sum("id"), at=Max("published_at"), last=Max("retired_at"))
    published = CommitmentVersion.objects.filter(
        status=CommitmentVersion.Status.PUBLISHED
    ).aggregate(n=Count("id"), ids=Sum("id"))
    units = Unit.objects.aggregate(n=Count("id"), ids=Sum("id"), parents=Sum("parent_id"))
    return (
        tuple(sorted(versions.items())),
        tuple(sorted(published.items())),
        tuple(sorted(units.items())),
    )


# --------------------------------------------------------------------------- batch state


class MemCase:
    """A case while a batch works on it (field names as on the model)."""

    __slots__ = (
        "id",
        "rule",
        "version_id",
        "commitment_id",
        "subject",
        "unit_id",
        "customer_id",
        "staff_id",
        "state",
        "started_at",
        "warn_at",
        "due_at",
        "paused_since",
        "paused_s",
        "stopped_at",
        "value",
        "warned_at",
        "breached_at",
        "escalate_at",
        "escalation_level",
        "dirty",
        "start_event_id",
        "written",
    )

    FIELDS = (
        "version_id",
        "commitment_id",
        "subject",
        "unit_id",
        "customer_id",
        "staff_id",
        "state",
        "started_at",
        "warn_at",
        "due_at",
        "paused_since",
        "paused_s",
        "stopped_at",
        "value",
        "warned_at",
        "breached_at",
        "escalate_at",
        "escalation_level",
    )
    UPDATED = (
        "staff_id",
        "state",
        "warn_at",
        "due_at",
        "paused_since",
        "paused_s",
        "stopped_at",
        "value",
        "breached_at",
        "escalate_at",
    )

    def __init__(self) -> None:
        self.id = None
        self.paused_since = None
        self.paused_s = 0.0
        self.stopped_at = None
        self.value = None
        self.warned_at = None
        self.breached_at = None
        self.escalate_at = None
        self.escalation_level = 0
        self.dirty = False
        self.start_event_id = 0
        self.written = False

    @property
    def done(self) -> bool:
        return self.stopped_at is not None or self.state == VOID

    def row(self) -> tuple:
        return tuple(getattr(self, f) for f in self.FIELDS)


class Outcome:
    """What a batch changed, to be written in its transaction."""

    def __init__(self, now: dt.datetime, alert_max_age_s: float) -> None:
        self.now = now
        self.recent = now - dt.timedelta(seconds=alert_max_age_s)
        self.new: list[MemCase] = []
        self.attain: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0])
        self.breached: list[MemCase] = []  # newly breached, recent: alerts and the signal
        self.events = 0
        self.cases_opened = 0
        self.cases_closed = 0


_DAYS: dict[tuple, dt.date] = {}


_ZONE: list = [None, None]  # [TIME_ZONE name, ZoneInfo] as last read from settings


def _local_zone() -> zoneinfo.ZoneInfo:
    """settings.TIME_ZONE's zone; read once per batch (settings are a lazy object: reading
    them per case costs)."""
    name = settings.TIME_ZONE
    if _ZONE[0] != name:
        _ZONE[:] = [name, zoneinfo.ZoneInfo(name)]
        _DAYS.clear()
    return _ZONE[1]


def local_day(at: dt.datetime) -> dt.date:
    """The local (settings.TIME_ZONE, as of the batch) date of an instant; cached per hour of
    the instant's own clock (offsets change on the hour)."""
    key = (at.tzinfo, at.year, at.month, at.day, at.hour)
    day = _DAYS.get(key)
    if day is None:
        tz = _ZONE[1] or _local_zone()
        if len(_DAYS) > 200_000:
            _DAYS.clear()
        day = _DAYS[key] = at.astimezone(tz).date()
    return day


def _count_closed(case: MemCase, out: Outcome, *, value: bool = True) -> None:
    acc = out.attain[(case.commitment_id, case.unit_id, local_day(case.started_at))]
    acc[0] += 1
    if case.state == MET:
        acc[1] += 1
    else:
        acc[2] += 1
    if value and case.value is not None:
        acc[3] += case.value
        acc[4] += 1
    out.cases_closed += 1


def _breach(case: MemCase, out: Outcome) -> None:
    """The due time passed before the event now applied: the case is breached then."""
    case.state = BREACHED
    case.breached_at = case.due_at
    case.dirty = True
    _count_closed(case, out, value=False)
    if case.breached_at >= out.recent:
        out.breached.append(case)


def _apply(case: MemCase, rule: Rule, kind: str, at: dt.datetime, out: Outcome) -> None:
    """One event (not a start) on an unresolved case."""
    if case.state == OPEN and case.due_at is not None and at > case.due_at:
        _breach(case, out)
    state = case.state
    if kind == rule.stop:
        if state == PAUSED:
            case.paused_s += rule.elapsed(case.paused_since, at)
            case.paused_since = None
        case.stopped_at = at
        case.value = max(0.0, rule.elapsed(case.started_at, at) - case.paused_s)
        case.dirty = True
        if state == BREACHED:  # late: the breach is counted already, add its value
            case.escalate_at = None
            acc = out.attain[(case.commitment_id, case.unit_id, local_day(case.started_at))]
            acc[3] += case.value
            acc[4] += 1
        else:
            case.state = MET
            _count_closed(case, out)
    elif kind in rule.cancels:
        case.stopped_at = at
        case.dirty = True
        if state == BREACHED:
            case.escalate_at = None
        else:
            case.state = VOID
            case.paused_since = None
    elif kind == rule.pause and state == OPEN:
        case.state = PAUSED
        case.paused_since = at
        case.dirty = True
    elif kind == rule.resume and state == PAUSED:
        since = case.paused_since
        case.paused_s += rule.elapsed(since, at)
        case.due_at = rule.shift(case.due_at, since, at)
        if case.warn_at is not None and case.warned_at is None and case.warn_at > since:
            case.warn_at = rule.shift(case.warn_at, since, at)
        case.paused_since = None
        case.state = OPEN
        case.dirty = True


def _start(rule: Rule, ev: tuple, out: Outcome) -> MemCase:
    eid, _kind, at, subject, unit_id, customer_id, staff_id, value = ev[:8]
    case = MemCase()
    case.rule = rule
    case.version_id = rule.id
    case.commitment_id = rule.commitment_id
    case.subject = subject
    case.unit_id = unit_id or rule.owner_id
    case.customer_id = customer_id
    case.staff_id = staff_id
    case.started_at = at
    case.start_event_id = eid
    out.cases_opened += 1
    if rule.count:
        case.value = float(value or 0)
        case.stopped_at = at
        case.warn_at = case.due_at = None
        if case.value <= rule.target:
            case.state = MET
        else:
            case.state = BREACHED
            case.breached_at = at
            if at >= out.recent:
                out.breached.append(case)
        _count_closed(case, out)
    else:
        case.state = OPEN
        case.due_at = rule.due(at)
        case.warn_at = rule.warn(at, case.due_at)
    return case


# --------------------------------------------------------------------------- storage


class Store:
    """Reads and writes of a batch; the ORM path (any database)."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    # An event is a tuple: id, kind, occurred_at, subject, unit_id, customer_id, staff_id,
    # value, then the text of each attribute the index filters on (None when absent).
    BASE = ("id", "kind", "occurred_at", "subject", "unit_id", "customer_id", "staff_id", "value")

    def _events(self, events, attrs: tuple[str, ...]) -> list[tuple]:
        return [
            (*row[:8], *(_attr_text(row[8], a) for a in attrs))
            for row in events.order_by("id").values_list(*self.BASE, "attrs")
        ]

    def events_after(self, last_id: int, limit: int, attrs=()) -> list[tuple]:
        ids = (
            ServiceEvent.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        return self._events(ServiceEvent.objects.filter(id__in=list(ids)), attrs)

    def events_by_id(self, ids: list[int], attrs=()) -> list[tuple]:
        return self._events(ServiceEvent.objects.filter(id__in=ids), attrs)

    def events_of_subjects(self, subjects, after_id: int, upto_id: int, attrs=()) -> list[tuple]:
        return self._events(
            ServiceEvent.objects.filter(
                subject__in=list(subjects), id__gt=after_id, id__lte=upto_id
            ),
            attrs,
        )

    def cases_of(self, subjects: list[str]) -> list[tuple]:
        rows = []
        for i in range(0, len(subjects), 500 if self.vendor == "sqlite" else SUBJECT_CHUNK):
            rows.extend(
                Case.objects.filter(subject__in=subjects[i : i + SUBJECT_CHUNK]).values_list(
                    "id", *MemCase.FIELDS
                )
            )
        return rows

    @contextlib.contextmanager
    def writer(self):
        """`emit(case)` for each new case, once final; written by the end of the block."""
        cases: list[MemCase] = []

        def emit(case: MemCase) -> None:
            case.written = True
            cases.append(case)

        yield emit
        if cases:
            self.insert(cases)

    def insert(self, cases: list[MemCase]) -> None:
        Case.objects.bulk_create(
            [Case(**dict(zip(MemCase.FIELDS, c.row(), strict=True))) for c in cases],
            batch_size=500,
        )

    def update(self, cases: list[MemCase]) -> None:
        objs = []
        for c in cases:
            obj = Case(id=c.id)
            for f in MemCase.UPDATED:
                setattr(obj, f, getattr(c, f))
            objs.append(obj)
        Case.objects.bulk_update(objs, list(MemCase.UPDATED), batch_size=500)

    def case_ids(self, cases: list[MemCase]) -> None:
        """Fill in the ids of cases just inserted (a few: the recent breaches)."""
        by_key = {(c.version_id, c.subject): c for c in cases if c.id is None}
        if not by_key:
            return
        subjects = list({k[1] for k in by_key})
        for i in range(0, len(subjects), 500):
            for pk, vid, subject in Case.objects.filter(
                subject__in=subjects[i : i + 500]
            ).values_list("id", "version_id", "subject"):
                case = by_key.get((vid, subject))
                if case is not None:
                    case.id = pk

    def attain(self, increments: dict[tuple, list]) -> None:
        if not increments:
            return
        table = AttainmentDay._meta.db_table
        sql = (
            f"INSERT INTO {table} (commitment_id, unit_id, day, total, met, breached, "  # noqa: S608
            "value_sum, value_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (commitment_id, unit_id, day) DO UPDATE SET "
            f"total = {table}.total + excluded.total, met = {table}.met + excluded.met, "
            f"breached = {table}.breached + excluded.breached, "
            f"value_sum = {table}.value_sum + excluded.value_sum, "
            f"value_count = {table}.value_count + excluded.value_count"
        )
        rows = [
            (cid, unit, day.isoformat() if self.vendor == "sqlite" else day, *acc)
            for (cid, unit, day), acc in increments.items()
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


class PostgresStore(Store):
    """The fast path: raw reads, COPY for new cases, one UPDATE … FROM unnest for closed ones."""

    def _raw(self):
        """A psycopg cursor on Django's connection (same transaction), with psycopg's own C
        loaders for timestamps (Django's per-connection time-zone loader is pure Python)."""
        connection.ensure_connection()
        cur = connection.connection.cursor()
        _fast_loaders(cur)
        return cur

    def _events(self, where: str, params, attrs: tuple[str, ...]) -> list[tuple]:
        # The filtered attributes come out as text (`->>`), so PostgreSQL, not Python, reads
        # the JSON — and the engine never parses it.
        table = ServiceEvent._meta.db_table
        columns = ", ".join([*self.BASE, *(["attrs ->> %s"] * len(attrs))])
        with self._raw() as cur:
            cur.execute(
                f"SELECT {columns} FROM {table} WHERE {where}",  # noqa: S608
                (*attrs, *params),
            )
            return cur.fetchall()

    def events_after(self, last_id: int, limit: int, attrs=()) -> list[tuple]:
        return self._events("id > %s ORDER BY id LIMIT %s", (last_id, limit), attrs)

    def events_by_id(self, ids: list[int], attrs=()) -> list[tuple]:
        return self._events("id = ANY(%s) ORDER BY id", (list(ids),), attrs)

    def events_of_subjects(self, subjects, after_id: int, upto_id: int, attrs=()) -> list[tuple]:
        where, param = _any_text("subject", list(subjects))
        return self._events(
            f"{where} AND id > %s AND id <= %s ORDER BY id", (param, after_id, upto_id), attrs
        )

    def cases_of(self, subjects: list[str]) -> list[tuple]:
        table = Case._meta.db_table
        cols = ", ".join(("id", *MemCase.FIELDS))
        rows = []
        with self._raw() as cur:
            for i in range(0, len(subjects), SUBJECT_CHUNK):
                where, param = _any_text("subject", subjects[i : i + SUBJECT_CHUNK])
                cur.execute(f"SELECT {cols} FROM {table} WHERE {where}", (param,))  # noqa: S608
                rows.extend(cur.fetchall())
        return rows

    @contextlib.contextmanager
    def writer(self):
        """Binary COPY: psycopg's C code packs each row (text COPY would have Python format
        every timestamp)."""
        table = Case._meta.db_table
        sql = f"COPY {table} ({', '.join(MemCase.FIELDS)}) FROM STDIN (FORMAT BINARY)"
        with self._raw() as cur, cur.copy(sql) as copy:
            copy.set_types(COPY_TYPES)
            write = copy.write_row

            def emit(case: MemCase) -> None:
                case.written = True
                write(_copy_row(case))

            yield emit

    def insert(self, cases: list[MemCase]) -> None:
        with self.writer() as emit:
            for case in cases:
                emit(case)

    def update(self, cases: list[MemCase]) -> None:
        table = Case._meta.db_table
        types = {
            "staff_id": "bigint",
            "state": "varchar",
            "warn_at": "timestamptz",
            "due_at": "timestamptz",
            "paused_since": "timestamptz",
            "paused_s": "float8",
            "stopped_at": "timestamptz",
            "value": "float8",
            "breached_at": "timestamptz",
            "escalate_at": "timestamptz",
        }
        sets = ", ".join(f"{f} = v.{f}" for f in MemCase.UPDATED)
        unnest = ", ".join(["%s::bigint[]"] + [f"%s::{types[f]}[]" for f in MemCase.UPDATED])
        params = [[c.id for c in cases]] + [[getattr(c, f) for c in cases] for f in MemCase.UPDATED]
        with self._raw() as cur:
            cur.execute(
                f"UPDATE {table} AS c SET {sets} FROM unnest({unnest}) "  # noqa: S608
                f"AS v(id, {', '.join(MemCase.UPDATED)}) WHERE c.id = v.id",
                params,
            )

    def case_ids(self, cases: list[MemCase]) -> None:
        by_key = {(c.version_id, c.subject): c for c in cases if c.id is None}
        if not by_key:
            return
        table = Case._meta.db_table
        with self._raw() as cur:
            cur.execute(
                f"SELECT c.id, c.version_id, c.subject FROM {table} c "  # noqa: S608
                "JOIN unnest(%s::bigint[], %s::varchar[]) AS k(v, s) "
                "ON c.version_id = k.v AND c.subject = k.s",
                ([k[0] for k in by_key], [k[1] for k in by_key]),
            )
            for pk, vid, subject in cur.fetchall():
                by_key[(vid, subject)].id = pk

    def attain(self, increments: dict[tuple, list]) -> None:
        if not increments:
            return
        table = AttainmentDay._meta.db_table
        # Each column as one comma-joined string (see _any_text): psycopg adapts lists slowly.
        rows = [(*key, *acc) for key, acc in increments.items()]
        cols = [",".join(map(str, col)) for col in zip(*rows, strict=True)]
        types = ("bigint", "bigint", "date", "int", "int", "int", "float8", "int")
        arrays = ", ".join(f"string_to_array(%s, ',')::{t}[]" for t in types)
        with self._raw() as cur:
            cur.execute(
                f"INSERT INTO {table} (commitment_id, unit_id, day, total, met, breached, "  # noqa: S608
                f"value_sum, value_count) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (commitment_id, unit_id, day) DO UPDATE SET "
                f"total = {table}.total + excluded.total, met = {table}.met + excluded.met, "
                f"breached = {table}.breached + excluded.breached, "
                f"value_sum = {table}.value_sum + excluded.value_sum, "
                f"value_count = {table}.value_count + excluded.value_count",
                cols,
            )


COPY_TYPES = (
    "int8",
    "int8",
    "varchar",
    "int8",
    "int8",
    "int8",
    "varchar",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "float8",
    "timestamptz",
    "float8",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "int2",
)  # MemCase.FIELDS, for binary COPY


def _copy_row(c: MemCase) -> tuple:
    return (
        c.version_id,
        c.commitment_id,
        c.subject,
        c.unit_id,
        c.customer_id,
        c.staff_id,
        c.state,
        c.started_at,
        c.warn_at,
        c.due_at,
        c.paused_since,
        c.paused_s,
        c.stopped_at,
        c.value,
        c.warned_at,
        c.breached_at,
        c.escalate_at,
        c.escalation_level,
    )


_LOADERS: list = []
_SEP = "\x1f"


def _any_text(column: str, values: list[str]) -> tuple[str, object]:
    """`column = ANY(…)` for many strings, sent as one joined string: psycopg adapts a long
    list element by element in Python, which costs more than the query."""
    if any(_SEP in v for v in values):
        return f"{column} = ANY(%s)", list(values)
    return f"{column} = ANY(string_to_array(%s, E'\\x1f'))", _SEP.join(values)


def _fast_loaders(cur) -> None:
    if not _LOADERS:
        import psycopg
        from psycopg.pq import Format

        for name in ("timestamptz", "float8"):
            oid = psycopg.adapters.types[name].oid
            _LOADERS.append((oid, psycopg.adapters.get_loader(oid, Format.TEXT)))
    for oid, loader in _LOADERS:
        if loader is not None:
            cur.adapters.register_loader(oid, loader)


def _store() -> Store:
    return PostgresStore() if connection.vendor == "postgresql" else Store()


def _attr_text(attrs, name: str) -> str | None:
    """An attribute as PostgreSQL's `attrs ->> name` gives it: text, None when absent."""
    if not isinstance(attrs, dict) or attrs.get(name) is None:
        return None
    value = attrs[name]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


# --------------------------------------------------------------------------- the engine


@dataclasses.dataclass
class Stats:
    events: int = 0
    batches: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    breaches: int = 0  # by the sweep
    warnings: int = 0
    escalations: int = 0
    alerts: int = 0

    def add(self, other: Stats) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class Engine:
    """Reads the event log from the cursor on; see the module doc."""

    def __init__(self, options: Options | None = None, *, name: str = CURSOR) -> None:
        self.options = options or Options.from_settings()
        self.name = name
        self.index: Index | None = None
        self.horizon: dt.datetime | None = None  # last event time read while catching up
        self.caught_up = False
        self.directory: alerts.Directory | None = None
        self._directory_at = 0.0
        self._index_checked = 0.0
        self._written = 0  # cases inserted since the case table's statistics were last taken
        self._analyzed = -1.0  # its row count then (pg_class.reltuples; -1: not looked yet)
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{time.time_ns() % 10**9}"

    # ---- helpers

    def _index(self) -> Index:
        mono = time.monotonic()
        if self.index is None:
            self.index = Index()
            self._index_checked = mono
        elif mono - self._index_checked >= 1.0:
            self._index_checked = mono
            if self.index.stale():
                self.index = Index()
        return self.index

    def refresh(self) -> None:
        """Forget the cached index and directory (tests call this after changing versions)."""
        self.index = None
        self.directory = None

    def _directory(self) -> alerts.Directory:
        mono = time.monotonic()
        if self.directory is None or mono - self._directory_at > 60:
            self.directory = alerts.Directory()
            self._directory_at = mono
        return self.directory

    def _analyze_if_grown(self) -> None:
        """ANALYZE the case table when the engine has grown it by half (at least 100,000 rows)
        since its statistics were taken. Catching up writes millions of cases faster than
        autovacuum re-analyzes (or with autovacuum off): on statistics of a much smaller table
        the planner reads a subject's cases, the updates and the sweep by sequential scans,
        and every batch gets slower than the one before."""
        if self._analyzed < 0:
            with connection.cursor() as sql:
                sql.execute(
                    "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                    [Case._meta.db_table],
                )
                row = sql.fetchone()
            self._analyzed = max(float(row[0]) if row else 0.0, 0.0)
        if self._written < max(100_000, self._analyzed / 2):
            return
        with connection.cursor() as sql:
            sql.execute(f"ANALYZE {Case._meta.db_table}")
            sql.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Case._meta.db_table]
            )
            row = sql.fetchone()
        self._analyzed = max(float(row[0]) if row else 0.0, 0.0)
        self._written = 0

    def _lock_cursor(self) -> EngineCursor:
        EngineCursor.objects.get_or_create(name=self.name)
        return EngineCursor.objects.select_for_update().get(name=self.name)

    # ---- one batch

    def process_batch(self, *, now: dt.datetime | None = None) -> Stats:
        """Read and apply the next batch of events (and any late ones); one transaction."""
        # A batch allocates a few objects per event and frees them by reference counting (no
        # cycles): the cyclic collector, triggered every 700 allocations, would walk every
        # object of the batch again and again (about a sixth of the engine's time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._process_batch(now)
        finally:
            if collecting:
                gc.enable()

    def _process_batch(self, now: dt.datetime | None) -> Stats:
        now = now or timezone.now()
        stats = Stats()
        out = Outcome(now, self.options.alert_max_age_s)
        index = self._index()
        _local_zone()
        store = _store()
        with transaction.atomic():
            if store.vendor == "postgresql":
                # The batch is derived from the log and commits with the cursor: losing the
                # last few commits in a database crash only makes the engine redo them.
                # Its queries are many and short: compiling them (JIT) costs more than it saves.
                with connection.cursor() as sql:
                    sql.execute("SET LOCAL synchronous_commit TO OFF")
                    sql.execute("SET LOCAL jit TO OFF")
                self._analyze_if_grown()
            cursor = self._lock_cursor()
            last_id = cursor.last_id
            pending = {int(i): float(t) for i, t in (cursor.pending_ids or [])}
            late = store.events_by_id(sorted(pending), index.attrs) if pending else []
            for ev in late:
                pending.pop(ev[0], None)
            events = store.events_after(last_id, self.options.batch, index.attrs)
            if not events and not late:
                self.caught_up = True
                epoch = time.time()
                kept = [[i, t] for i, t in pending.items() if epoch - t < self.options.gap_wait_s]
                if kept != (cursor.pending_ids or []):
                    cursor.pending_ids = kept
                    cursor.save(update_fields=["pending_ids", "updated_at"])
                return stats
            self.caught_up = len(events) < self.options.batch
            # Gaps: ids below the last one read that were not there (yet).
            if events:
                top = events[-1][0]
                if top - last_id != len(events):
                    seen = {e[0] for e in events}
                    epoch = time.time()
                    missing = [i for i in range(last_id + 1, top) if i not in seen]
                    for i in missing[-MAX_PENDING:]:
                        pending.setdefault(i, epoch)
                new_last = top
            else:
                new_last = last_id

            relevant = [e for e in late if e[1] in index.kinds]
            relevant_new = [e for e in events if e[1] in index.kinds]
            subjects = list({e[3] for e in relevant} | {e[3] for e in relevant_new})
            by_subject: dict[str, list[MemCase]] = defaultdict(list)
            keys: set[tuple[int, str]] = set()
            existing: list[MemCase] = []
            if subjects:
                for row in store.cases_of(subjects):
                    keys.add((row[1], row[3]))
                    case = _loaded(row, index)
                    if case is not None:
                        by_subject[case.subject].append(case)
                        existing.append(case)
            if relevant:  # late events first (their ids are lower), then what they missed
                fresh = self._apply_events(relevant, index, by_subject, keys, out)
                if fresh:
                    upto = last_id
                    lowest = min(c.start_event_id for c in fresh)
                    late_ids = {e[0] for e in relevant}
                    followers = [
                        e
                        for e in store.events_of_subjects(
                            {c.subject for c in fresh}, lowest, upto, index.attrs
                        )
                        if e[0] not in late_ids and e[0] not in pending
                    ]
                    self._apply_events(
                        followers, index, by_subject, keys, out, only=set(map(id, fresh))
                    )
            # New cases are streamed to the database as they close (COPY on PostgreSQL, which
            # ingests them while the batch goes on); those still running follow at the end.
            with store.writer() as emit:
                self._apply_events(relevant_new, index, by_subject, keys, out, emit=emit)
                # Recent breaches still unresolved escalate again a full target after due.
                for case in out.breached:
                    if case.stopped_at is None and case.state == BREACHED:
                        try:
                            case.escalate_at = case.rule.due(case.due_at)
                        except Exception:  # noqa: BLE001 - a calendar error must not stop it
                            log.exception("commitments engine: no escalation time for %s", case.id)
                        case.dirty = True
                for case in out.new:
                    if not case.written:
                        emit(case)
            dirty = [c for c in existing if c.dirty]
            if dirty:
                store.update(dirty)
            store.attain(out.attain)
            breached = [c for c in out.breached if c.state == BREACHED]
            if breached:
                store.case_ids([c for c in breached if c.id is None])
                stats.alerts += alerts.breach(breached, now=now, directory=self._directory())
                ids = [c.id for c in breached]
                transaction.on_commit(lambda ids=ids: case_breached.send(sender=Case, case_ids=ids))
            epoch = time.time()
            cursor.last_id = new_last
            cursor.pending_ids = sorted(
                [i, t] for i, t in pending.items() if epoch - t < self.options.gap_wait_s
            )[-MAX_PENDING:]
            cursor.save(update_fields=["last_id", "pending_ids", "updated_at"])
        # The events' own times say how far history has been judged.
        times = [e[2] for e in events]
        if times:
            newest = max(times)
            if self.horizon is None or newest > self.horizon:
                self.horizon = newest
        stats.events = len(events) + len(late)
        stats.batches = 1
        self._written += out.cases_opened
        stats.cases_opened = out.cases_opened
        stats.cases_closed = out.cases_closed
        return stats

    def _apply_events(
        self, events, index: Index, by_subject, keys, out: Outcome, only=None, emit=None
    ):
        """Apply events in order. With `only` (ids of MemCases), apply them to those cases
        only and open nothing (replaying what a late start missed)."""
        starts = index.starts
        acts_on = index.acts_on
        fresh: list[MemCase] = []
        for ev in events:
            kind = ev[1]
            subject = ev[3]
            if kind in acts_on:
                cases = by_subject.get(subject)
                if cases:
                    at = ev[2]
                    for case in cases:
                        if (
                            case.stopped_at is not None
                            or case.state == VOID
                            or kind not in case.rule.acts_on
                        ):
                            continue
                        if only is not None and (
                            id(case) not in only or ev[0] <= case.start_event_id
                        ):
                            continue
                        _apply(case, case.rule, kind, at, out)
                        if kind == case.rule.stop and ev[6] is not None:
                            # whoever stopped the clock served it: the teller who called the
                            # ticket, the clerk who answered the transfer
                            case.staff_id = ev[6]
                            case.dirty = True
                        if (
                            emit is not None
                            and case.id is None
                            and (case.stopped_at is not None or case.state == VOID)
                        ):
                            emit(case)
            if only is not None:
                continue
            if kind not in starts:
                continue
            for rule, rest in index.candidates(kind, ev):
                if rest and not _holds(rest, ev):
                    continue
                key = (rule.id, subject)
                if key in keys:
                    continue
                keys.add(key)
                case = _start(rule, ev, out)
                out.new.append(case)
                fresh.append(case)
                if case.stopped_at is None:  # (a new case is never void)
                    by_subject[subject].append(case)
                elif emit is not None:
                    emit(case)
        return fresh

    # ---- the sweep

    def sweep(self, *, now: dt.datetime | None = None) -> Stats:
        """Breach, warn and escalate by the clock (see the module doc)."""
        now = now or timezone.now()
        _local_zone()
        if self.caught_up or self.horizon is None:
            horizon = now - dt.timedelta(seconds=self.options.grace_s)
        else:
            horizon = min(
                now - dt.timedelta(seconds=self.options.grace_s), self.horizon - CATCH_UP_SLACK
            )
        recent = now - dt.timedelta(seconds=self.options.alert_max_age_s)
        stats = Stats()
        while True:
            done = self._sweep_breaches(horizon, now, recent, stats)
            if done < SWEEP_LIMIT:
                break
        while True:
            done = self._sweep_warnings(horizon, now, stats)
            if done < SWEEP_LIMIT:
                break
        while True:
            done = self._sweep_escalations(horizon, now, recent, stats)
            if done < SWEEP_LIMIT:
                break
        return stats

    def _sweep_breaches(self, horizon, now, recent, stats: Stats) -> int:
        index = self._index()
        with transaction.atomic():
            self._lock_cursor()
            rows = list(
                Case.objects.filter(state=OPEN, due_at__lte=horizon)
                .order_by("due_at")
                .values_list(
                    "id",
                    "version_id",
                    "commitment_id",
                    "unit_id",
                    "staff_id",
                    "started_at",
                    "due_at",
                )[:SWEEP_LIMIT]
            )
            if not rows:
                return 0
            ids = [r[0] for r in rows]
            Case.objects.filter(id__in=ids, state=OPEN).update(
                state=BREACHED, breached_at=F("due_at")
            )
            out = Outcome(now, self.options.alert_max_age_s)
            alertable = []
            for pk, vid, cid, unit_id, staff_id, started_at, due_at in rows:
                acc = out.attain[(cid, unit_id, local_day(started_at))]
                acc[0] += 1
                acc[2] += 1
                if due_at >= recent:
                    ref = _Ref(pk, cid, unit_id, staff_id)
                    rule = index.rule(vid)
                    if rule is not None:
                        try:
                            ref.escalate_at = rule.due(due_at)
                        except Exception:  # noqa: BLE001
                            log.exception("commitments engine: no escalation time for %s", pk)
                    alertable.append(ref)
            _store().attain(out.attain)
            if alertable:
                objs = [Case(id=r.id, escalate_at=r.escalate_at) for r in alertable]
                Case.objects.bulk_update(objs, ["escalate_at"], batch_size=500)
                stats.alerts += alerts.breach(alertable, now=now, directory=self._directory())
                ids_sent = [r.id for r in alertable]
                transaction.on_commit(
                    lambda ids=ids_sent: case_breached.send(sender=Case, case_ids=ids)
                )
            stats.breaches += len(rows)
            return len(rows)

    def _sweep_warnings(self, horizon, now, stats: Stats) -> int:
        with transaction.atomic():
            self._lock_cursor()
            rows = list(
                Case.objects.filter(
                    state=OPEN, warned_at__isnull=True, warn_at__lte=horizon, due_at__gt=horizon
                )
                .order_by("warn_at")
                .values_list("id", "commitment_id", "unit_id", "staff_id", "due_at")[:SWEEP_LIMIT]
            )
            if not rows:
                return 0
            Case.objects.filter(id__in=[r[0] for r in rows]).update(warned_at=F("warn_at"))
            actionable = [_Ref(pk, cid, u, s) for pk, cid, u, s, due in rows if due > now]
            if actionable:
                stats.alerts += alerts.warn(actionable, now=now, directory=self._directory())
            stats.warnings += len(rows)
            return len(rows)

    def _sweep_escalations(self, horizon, now, recent, stats: Stats) -> int:
        with transaction.atomic():
            self._lock_cursor()
            rows = list(
                Case.objects.filter(escalate_at__lte=horizon)
                .order_by("escalate_at")
                .values_list("id", "commitment_id", "unit_id", "staff_id", "state", "stopped_at")[
                    :SWEEP_LIMIT
                ]
            )
            if not rows:
                return 0
            ids = [r[0] for r in rows]
            live = [
                _Ref(pk, cid, u, s)
                for pk, cid, u, s, state, stopped in rows
                if state == BREACHED and stopped is None
            ]
            Case.objects.filter(id__in=ids).update(escalate_at=None)
            if live:
                Case.objects.filter(id__in=[r.id for r in live]).update(escalation_level=2)
                stats.alerts += alerts.escalate(live, level=2, now=now, directory=self._directory())
            stats.escalations += len(live)
            return len(rows)

    def next_deadline(self) -> dt.datetime | None:
        """The earliest due, warning or escalation time still ahead (for the loop's sleep)."""
        due = Case.objects.filter(state=OPEN).aggregate(d=Min("due_at"))["d"]
        warn = Case.objects.filter(state=OPEN, warned_at__isnull=True).aggregate(w=Min("warn_at"))[
            "w"
        ]
        esc = Case.objects.filter(escalate_at__isnull=False).aggregate(e=Min("escalate_at"))["e"]
        times = [t for t in (due, warn, esc) if t is not None]
        return min(times) if times else None

    # ---- loops

    def catch_up(
        self,
        *,
        now: dt.datetime | None = None,
        should_stop: Callable[[], bool] | None = None,
        sweep_every: int = 1,
    ) -> Stats:
        """Process batches until the log is read to its end (sweeping history as it goes)."""
        stats = Stats()
        self.caught_up = False
        while True:
            batch = self.process_batch(now=now)
            stats.add(batch)
            if self.caught_up or not batch.events:
                break
            if sweep_every and stats.batches % sweep_every == 0:
                stats.add(self.sweep(now=now))
            if should_stop is not None and should_stop():
                break
        return stats

    def tick(self, *, now: dt.datetime | None = None) -> Stats:
        """Catch up, then sweep."""
        stats = self.catch_up(now=now)
        stats.add(self.sweep(now=now))
        return stats

    # ---- the lease

    def acquire(self) -> bool:
        """Take the lease on the cursor row (see the module doc)."""
        now = timezone.now()
        with transaction.atomic():
            cursor = self._lock_cursor()
            if cursor.owner and cursor.owner != self.owner:
                fresh = cursor.heartbeat_at is not None and cursor.heartbeat_at > now - (
                    dt.timedelta(seconds=self.options.lease_s)
                )
                if fresh and not _holder_gone(cursor.owner):
                    return False
            cursor.owner = self.owner
            cursor.heartbeat_at = now
            cursor.save(update_fields=["owner", "heartbeat_at", "updated_at"])
            return True

    def holder(self) -> str:
        return (
            EngineCursor.objects.filter(name=self.name).values_list("owner", flat=True).first()
            or ""
        )

    def renew(self) -> bool:
        return bool(
            EngineCursor.objects.filter(name=self.name, owner=self.owner).update(
                heartbeat_at=timezone.now()
            )
        )

    def release(self) -> None:
        EngineCursor.objects.filter(name=self.name, owner=self.owner).update(
            owner="", heartbeat_at=timezone.now()
        )

    def run(
        self,
        *,
        once: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        on_tick: Callable[[Stats], None] | None = None,
    ) -> Stats:
        """The process loop: hold the lease, catch up, sweep, heartbeat, sleep; until
        `should_stop()` (SIGTERM) or once. Standing by while another engine holds the lease."""
        total = Stats()
        interval = self.options.interval_s
        try:
            while not should_stop():
                if not self.acquire():
                    log.info("commitments engine: standing by — %s holds the lease", self.holder())
                    if once:
                        break
                    sleep(min(interval * 2, self.options.lease_s / 3))
                    continue
                try:
                    stats = self.catch_up(should_stop=should_stop)
                    stats.add(self.sweep())
                    total.add(stats)
                    if on_tick is not None:
                        on_tick(stats)
                except Exception:
                    log.exception("commitments engine: the loop failed; retrying")
                    self.refresh()
                    from django.db import close_old_connections

                    close_old_connections()
                if once:
                    break
                pause = interval
                try:
                    deadline = self.next_deadline()
                except Exception:  # noqa: BLE001
                    deadline = None
                if deadline is not None:
                    until = (
                        deadline + dt.timedelta(seconds=self.options.grace_s) - timezone.now()
                    ).total_seconds()
                    pause = max(0.05, min(interval, until))
                sleep(pause)
        finally:
            try:
                self.release()
            except Exception:  # noqa: BLE001
                log.exception("commitments engine: could not release the lease")
        return total


class _Ref:
    """What alerts need of a case."""

    __slots__ = ("id", "commitment_id", "unit_id", "staff_id", "escalate_at")

    def __init__(self, pk, commitment_id, unit_id, staff_id) -> None:
        self.id = pk
        self.commitment_id = commitment_id
        self.unit_id = unit_id
        self.staff_id = staff_id
        self.escalate_at = None


def _loaded(row: tuple, index: Index) -> MemCase | None:
    """A case read from the database, when it can still change."""
    fields = dict(zip(("id", *MemCase.FIELDS), row, strict=True))
    if fields["stopped_at"] is not None or fields["state"] in (VOID, MET):
        return None
    rule = index.rule(fields["version_id"])
    if rule is None:
        return None
    case = MemCase()
    for name, value in fields.items():
        setattr(case, name, value)
    case.rule = rule
    return case


def _holder_gone(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not pid_alive(pid)


def run_until_caught_up(
    *, now: dt.datetime | None = None, alert_max_age_s: float | None = None, batch=None
) -> dict:
    """Process every event recorded so far and sweep the deadlines; returns the counts.
    For the demo loader and tests (no lease; safe beside a running engine)."""
    engine = Engine(Options.from_settings(alert_max_age_s=alert_max_age_s, batch=batch))
    return engine.tick(now=now).as_dict()


def tick(*, now: dt.datetime | None = None) -> dict:
    """One catch-up and sweep under the lease (the scheduler's fallback task): skipped while
    a live engine holds the lease."""
    engine = Engine(Options.from_settings())
    if not engine.acquire():
        return {"skipped": True, "holder": engine.holder()}
    try:
        return engine.tick(now=now).as_dict()
    finally:
        engine.release()
