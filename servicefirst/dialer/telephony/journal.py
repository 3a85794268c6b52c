"""A small append-only journal the telephony adapters keep of the calls they place, so that a
dialer restarted after a crash can neither dial a key twice nor lose what happened to a call.

One JSON object a line. Every adapter writes an `originate` (or `inbound`) line before the call
leaves the building — written and fsync'd before `originate` returns — then, depending on the
adapter, the actions it was asked to take (`bridge`, `abandon`, `hangup`, `answer`) and the
events it reported. Several processes may share a file: appends hold an exclusive `flock`, and
under it the writer first reads what others appended, so a key claimed by one is refused to all.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import threading
from pathlib import Path

from .port import AlreadyDialled, Event, EventKind

log = logging.getLogger(__name__)
CALL_OPENERS = ("originate", "inbound")


def to_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def from_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def event_record(event: Event) -> dict:
    return {
        "op": "event",
        "key": event.dial_key,
        "kind": str(event.kind),
        "at": to_iso(event.at),
        "detail": event.detail,
    }


def event_from_record(record: dict) -> Event:
    return Event(
        kind=EventKind(record["kind"]),
        dial_key=record["key"],
        at=from_iso(record["at"]),
        detail=dict(record.get("detail") or {}),
    )


class CallJournal:
    """The journal file at `path` (its folder is created). Thread-safe; cheap to call from a
    coroutine through `asyncio.to_thread` when the fsync must not hold the event loop."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._offset = 0
        self._records: dict[str, list[dict]] = {}
        with self._lock, self.path.open("rb") as handle:
            self._read_new(handle)

    # -- reading ---------------------------------------------------------------------------

    def _read_new(self, handle) -> None:
        handle.seek(self._offset)
        data = handle.read()
        # Only whole lines: a line being written by another process is read next time.
        end = data.rfind(b"\n") + 1
        for raw in data[:end].splitlines():
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # a torn line left by a crash mid-write: nothing was acknowledged
            key = record.get("key")
            if isinstance(key, str):
                self._records.setdefault(key, []).append(record)
        self._offset += end

    def refresh(self) -> None:
        with self._lock, self.path.open("rb") as handle:
            self._read_new(handle)

    def knows(self, key: str) -> bool:
        return any(r.get("op") in CALL_OPENERS for r in self._records.get(key, ()))

    def records(self, key: str) -> list[dict]:
        self.refresh()
        return list(self._records.get(key, ()))

    def opening(self, key: str) -> dict | None:
        for record in self.records(key):
            if record.get("op") in CALL_OPENERS:
                return record
        return None

    def events(self, key: str) -> list[Event]:
        return [event_from_record(r) for r in self.records(key) if r.get("op") == "event"]

    def keys(self) -> list[str]:
        self.refresh()
        return [key for key in self._records if self.knows(key)]

    # -- writing ---------------------------------------------------------------------------

    def _append(self, records: list[dict], *, claim: str | None) -> None:
        lines = b"".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for r in records
        )
        with self._lock, self.path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._read_new(handle)
                if claim is not None and self.knows(claim):
                    raise AlreadyDialled(
                        f"Call {claim!r} was placed before; not dialling it again."
                    )
                handle.seek(0, os.SEEK_END)
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())
                self._read_new(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def claim(self, record: dict) -> None:
        """Write the opening line of a new call (op "originate" or "inbound", with "key").
        Raises AlreadyDialled when the key is in the journal already; returns once on disk."""
        if record.get("op") not in CALL_OPENERS or not record.get("key"):
            raise ValueError("An opening record needs op 'originate' or 'inbound' and a key.")
        self._append([record], claim=record["key"])

    def append(self, *records: dict) -> None:
        """Write further lines about known calls (actions, events); returns once on disk."""
        self._append(list(records), claim=None)


class EventPump:
    """Delivers an adapter's events to the dialer one at a time, in order, each written to the
    journal (fsync'd) before the dialer hears of it — so `recover` can tell it after a crash.
    An event may carry the opening record of a call that starts with it (an inbound call)."""

    def __init__(self, journal: CallJournal, name: str) -> None:
        self.journal = journal
        self.name = name
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._on_event = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, on_event) -> None:
        self._on_event = on_event
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def emit(self, event: Event, *, opening: dict | None = None) -> None:
        if self._queue is not None:
            self._queue.put_nowait((event, opening))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = self._queue = self._on_event = None

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            event, opening = await self._queue.get()
            try:
                if opening is not None:
                    await asyncio.to_thread(self.journal.claim, opening)
                await asyncio.to_thread(self.journal.append, event_record(event))
            except Exception:
                log.exception("Could not journal %s", event)
            try:
                if self._on_event is not None:
                    await self._on_event(event)
            except Exception:
                log.exception("The dialer's event handler failed on %s", event)
