"""The one telephony port the dialer talks to. Adapters: `simulator` (embedded default, demo,
training, benchmark), `sip` (real SIP calls), `ami` (Asterisk manager interface).

Everything is asyncio. The dialer gives each call a unique `dial_key` (Call.dial_key) and the
adapter reports what happens to it as `Event`s through the `on_event` callback given to
`start`. An adapter must never originate the same `dial_key` twice (it raises
`AlreadyDialled`), so a dialer restarted after a crash cannot call anyone twice.

Outbound: originate → RINGING → ANSWERED (a person) | MACHINE | BUSY | NO_ANSWER | FAILED.
After ANSWERED the dialer either `bridge`s the call to an agent's phone (→ later HANGUP when
either side hangs up) or, with no free agent within 2 s, `abandon`s it (the customer hears the
bank's identification message, then the line is cleared; → HANGUP).
Inbound: OFFERED (detail: caller, dialled number) → the dialer `answer`s it onto an agent's
phone (→ CONNECTED … HANGUP) or the caller gives up (→ HANGUP before answer).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable


class EventKind(enum.StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"  # a live person picked up
    MACHINE = "machine"  # an answering machine / voicemail picked up
    BUSY = "busy"
    NO_ANSWER = "no_answer"  # rang for the whole ring timeout
    FAILED = "failed"  # network or number error (detail: cause)
    CONNECTED = "connected"  # bridged to the agent's phone (outbound) or answered (inbound)
    HANGUP = "hangup"  # the call is over (detail: by = "customer" | "agent" | "system")
    OFFERED = "offered"  # a new inbound call (detail: caller, dialled)


@dataclasses.dataclass(frozen=True)
class Event:
    kind: EventKind
    dial_key: str
    at: dt.datetime  # aware, UTC
    detail: dict = dataclasses.field(default_factory=dict)


EventHandler = Callable[[Event], Awaitable[None]]


class TelephonyError(Exception):
    """The adapter could not do what was asked (the message says why)."""


class AlreadyDialled(TelephonyError):
    """This dial_key was originated before; the adapter refuses to dial it again."""


@runtime_checkable
class Telephony(Protocol):
    name: str

    async def start(self, on_event: EventHandler) -> None:
        """Connect (register, log in) and start delivering events."""

    async def stop(self) -> None:
        """Hang up nothing; stop delivering events and release connections."""

    async def originate(
        self, dial_key: str, number: str, *, ring_timeout_s: float, caller_id: str = ""
    ) -> None:
        """Place an outbound call to `number` (E.164). Returns once the attempt is under way;
        its outcome arrives as events. Raises AlreadyDialled for a key seen before."""

    async def bridge(self, dial_key: str, agent_uri: str) -> None:
        """Connect an answered outbound call to the agent's phone (→ CONNECTED)."""

    async def answer(self, dial_key: str, agent_uri: str) -> None:
        """Put an offered inbound call through to the agent's phone (→ CONNECTED)."""

    async def abandon(self, dial_key: str, message: str) -> None:
        """No agent is free: play the identification message, then clear the call (→ HANGUP)."""

    async def hangup(self, dial_key: str) -> None:
        """End the call from our side (→ HANGUP with by="agent" or "system")."""

    async def recover(self, dial_key: str) -> list[Event]:
        """After a restart: the events of a call placed by an earlier process that this adapter
        can still tell (possibly none). Used to settle calls left DIALING/RINGING/CONNECTED."""
