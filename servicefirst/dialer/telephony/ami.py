"""Asterisk (and FreePBX) through the Asterisk Manager Interface, with panoramisk.

The adapter logs in to AMI and drives calls with actions; Asterisk's dialplan does the media.
What it sends and what it listens to:

- originate → `Originate` (Async, ActionID = dial_key, ChannelId = dial_key so every event of
  the customer's channel carries Uniqueid = dial_key; Channel from `channel_template`, e.g.
  `PJSIP/{number}@trunk`; Timeout = the ring timeout; CallerID; the answered call goes to
  `context`/`exten`/`priority`, or to `application`/`data`; variable SF_DIAL_KEY).
- `Newstate` Ringing (5) → RINGING; Up (6) → ANSWERED, or with `amd=True` the `VarSet` of
  AMDSTATUS set by the dialplan's AMD() → MACHINE (MACHINE) or ANSWERED (HUMAN, NOTSURE...).
- `Hangup` before answer by cause: 17 busy → BUSY; 18/19/21 (and 16 without our hang-up) →
  NO_ANSWER; 1/3/28 → FAILED (invalid number); others → FAILED (detail cause, cause_txt).
  `OriginateResponse` Failure decides when no Hangup came first (Reason 5 busy, 3/1 no answer,
  else failed — e.g. Reason 0 for a channel that could not be created).
- bridge / answer → with `bridge_mode="originate"` (default) an `Originate` of the agent's
  phone (`agent_channel_template`, e.g. `PJSIP/{agent_uri}` or `{agent_uri}` when the desktop
  stores `PJSIP/201`) running the `Bridge` application onto the customer's channel; with
  `bridge_mode="redirect"` a `Redirect` of the customer's channel to `agent_context`, exten =
  the agent's URI (the dialplan there dials the agent). Either way CONNECTED is the customer's
  `BridgeEnter`; bridge/answer return once it came and raise TelephonyError if the agent's leg
  failed (the customer is still there) or nothing happened within `bridge_timeout_s`.
- abandon → `Setvar` SF_ABANDON_MESSAGE on the channel, then `Redirect` to `abandon_context`
  (whose dialplan plays the identification message and hangs up) → HANGUP {abandoned: True}.
- hangup → `Hangup` of the channel (cause 16).
- Inbound: a `Newchannel` in `inbound_context` (route the bank's numbers there; its dialplan
  should answer or ring and wait) → OFFERED (caller = CallerIDNum, dialled = Exten), dial_key
  `ami-in-<Uniqueid>`. `answer` bridges it to the agent as above.
- recover → the journal of events (each is journaled before the dialer hears of it) and, for a
  call not over, `CoreShowChannels`: a channel still there is followed again (and reported
  ANSWERED/CONNECTED if that happened while the dialer was down); a channel gone is reported
  ended (`lost: True`).

Asterisk dialplan this expects (extensions.conf sketch):
    [servicefirst-dialer]   ; answered outbound calls wait here for the dialer
    exten => s,1,NoOp(${SF_DIAL_KEY})
     same => n,AMD()        ; only with amd=True
     same => n,Wait(120)
    [servicefirst-abandon]
    exten => s,1,Playback(servicefirst-identification)
     same => n,Hangup()
    [servicefirst-inbound]
    exten => _X.,1,Ringing()
     same => n,Wait(600)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path

from panoramisk import Manager
from panoramisk.actions import Action

from .journal import CallJournal, EventPump, event_record, to_iso
from .port import AlreadyDialled, Event, EventHandler, EventKind, TelephonyError

log = logging.getLogger(__name__)

TERMINAL = {EventKind.BUSY, EventKind.NO_ANSWER, EventKind.FAILED, EventKind.HANGUP}
BUSY_CAUSES = {17}
NO_ANSWER_CAUSES = {18, 19, 21}
INVALID_NUMBER_CAUSES = {1, 3, 28}
RINGING_STATE, UP_STATE = "5", "6"

# Call states
DIALING, RINGING, ANSWERED, OFFERED, CONNECTING, CONNECTED, ENDED = (
    "dialing",
    "ringing",
    "answered",
    "offered",
    "connecting",
    "connected",
    "ended",
)


class _Originate(Action):
    """An Originate whose first reply (queued or refused) can be awaited on its own; the action's
    future completes later with the OriginateResponse event."""

    def __init__(self, fields: dict) -> None:
        super().__init__(fields)
        self.accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    def add_message(self, message):
        if not self.accepted.done():
            self.accepted.set_result(message)
        return super().add_message(message)


class _Call:
    def __init__(self, key: str, direction: str) -> None:
        self.key = key
        self.direction = direction
        self.uniqueid = key
        self.channel = ""
        self.state = DIALING if direction == "out" else OFFERED
        self.intent: str | None = None  # hangup | abandon | bridge
        self.hangup_by = "system"
        self.message = ""
        self.agent_uri = ""
        self.agent_uniqueid = ""
        self.agent_hung_up = False
        self.started = dt.datetime.now(dt.UTC)
        self.ringing_at: dt.datetime | None = None
        self.waiter: asyncio.Future | None = None


class AmiTelephony:
    name = "ami"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "servicefirst",
        secret: str = "",
        channel_template: str = "PJSIP/{number}@trunk",
        context: str = "servicefirst-dialer",
        exten: str = "s",
        priority: int = 1,
        application: str = "",
        data: str = "",
        caller_id: str = "",
        amd: bool | str = False,
        bridge_mode: str = "originate",
        agent_channel_template: str = "{agent_uri}",
        agent_context: str = "servicefirst-agents",
        abandon_context: str = "servicefirst-abandon",
        abandon_exten: str = "s",
        inbound_context: str = "servicefirst-inbound",
        journal_path: str | Path | None = None,
        connect_timeout_s: float = 10.0,
        bridge_timeout_s: float = 45.0,
        ping_delay_s: int = 10,
    ) -> None:
        if bridge_mode not in ("originate", "redirect"):
            raise ValueError("bridge_mode must be 'originate' or 'redirect'.")
        self.host, self.port = host, int(port)
        self.username, self.secret = username, secret
        self.channel_template = channel_template
        self.context, self.exten, self.priority = context, exten, int(priority)
        self.application, self.data = application, data
        self.caller_id = caller_id
        self.amd = (
            amd if isinstance(amd, bool) else str(amd).strip().lower() in ("1", "true", "yes", "on")
        )
        self.bridge_mode = bridge_mode
        self.agent_channel_template = agent_channel_template
        self.agent_context = agent_context
        self.abandon_context, self.abandon_exten = abandon_context, abandon_exten
        self.inbound_context = inbound_context
        self.connect_timeout_s = float(connect_timeout_s)
        self.bridge_timeout_s = float(bridge_timeout_s)
        self.ping_delay_s = int(ping_delay_s)
        self.journal = CallJournal(journal_path or _var_dir() / "telephony-ami" / "journal.jsonl")
        self._pump = EventPump(self.journal, "telephony-ami-events")
        self._manager: Manager | None = None
        self._calls: dict[str, _Call] = {}
        self._by_uniqueid: dict[str, _Call] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, on_event: EventHandler) -> None:
        if self._pump.running:
            raise TelephonyError("The AMI adapter is running already.")
        loop = asyncio.get_running_loop()
        logged_in = loop.create_future()

        def on_connect(manager):
            login = manager.authenticated_future
            if login is None:
                return

            def answered(future):
                if not logged_in.done():
                    ok = not future.cancelled() and future.exception() is None
                    logged_in.set_result(ok and bool(future.result().success))

            login.add_done_callback(answered)

        self._manager = Manager(
            loop=loop,
            host=self.host,
            port=self.port,
            username=self.username,
            secret=self.secret,
            ping_delay=self.ping_delay_s,
            ping_interval=self.ping_delay_s,
            on_connect=on_connect,
        )
        self._manager.register_event("*", self._on_ami)
        self._manager.connect()
        try:
            accepted = await asyncio.wait_for(logged_in, self.connect_timeout_s)
        except TimeoutError:
            accepted = None
        if not accepted:
            self._manager.close()
            self._manager = None
            why = "no answer" if accepted is None else "the login was refused"
            raise TelephonyError(f"Asterisk's manager interface at {self.host}:{self.port}: {why}.")
        self._pump.start(on_event)

    async def stop(self) -> None:
        for call in self._calls.values():
            if call.waiter is not None and not call.waiter.done():
                call.waiter.set_exception(TelephonyError("The AMI adapter stopped."))
        if self._manager is not None:
            with contextlib.suppress(Exception):
                self._manager.close()
            self._manager = None
        await self._pump.stop()
        self._calls.clear()
        self._by_uniqueid.clear()

    # -- events ----------------------------------------------------------------------------

    def _emit(
        self,
        call: _Call,
        kind: EventKind,
        detail: dict | None = None,
        *,
        opening: dict | None = None,
    ) -> None:
        event = Event(kind=kind, dial_key=call.key, at=dt.datetime.now(dt.UTC), detail=detail or {})
        self._pump.emit(event, opening=opening)

    def _on_ami(self, manager, message) -> None:
        try:
            self._handle(message)
        except Exception:
            log.exception("Failed to handle AMI event %r", message)

    def _handle(self, m) -> None:
        name = str(m.get("Event", ""))
        uniqueid = str(m.get("Uniqueid", ""))
        if name == "Newchannel" and m.get("Context") == self.inbound_context:
            if uniqueid and uniqueid not in self._by_uniqueid:
                self._inbound(m)
            return
        call = self._by_uniqueid.get(uniqueid)
        if call is None:
            return
        agent_leg = uniqueid == call.agent_uniqueid and uniqueid != call.uniqueid
        if name == "Newchannel":
            if not agent_leg:
                call.channel = str(m.get("Channel", call.channel))
        elif name == "Newstate" and not agent_leg:
            call.channel = str(m.get("Channel", call.channel))
            state = str(m.get("ChannelState", ""))
            if state == RINGING_STATE and call.state == DIALING:
                call.state = RINGING
                call.ringing_at = dt.datetime.now(dt.UTC)
                self._emit(call, EventKind.RINGING)
            elif state == UP_STATE and call.state in (DIALING, RINGING) and call.direction == "out":
                if self.amd:
                    call.state = "amd"
                else:
                    self._answered(call, EventKind.ANSWERED, {})
        elif (
            name == "VarSet" and not agent_leg and str(m.get("Variable", "")).upper() == "AMDSTATUS"
        ):
            if call.state in (DIALING, RINGING, "amd"):
                value = str(m.get("Value", "")).upper()
                kind = EventKind.MACHINE if value == "MACHINE" else EventKind.ANSWERED
                self._answered(call, kind, {"amd": value.lower()})
        elif name == "BridgeEnter" and not agent_leg:
            if call.state == CONNECTING:
                call.state = CONNECTED
                self._emit(
                    call,
                    EventKind.CONNECTED,
                    {"agent_uri": call.agent_uri, "via": self.bridge_mode},
                )
                if call.waiter is not None and not call.waiter.done():
                    call.waiter.set_result(True)
        elif name == "Hangup":
            if agent_leg:
                self._agent_hangup(call, m)
            else:
                self._hangup(call, m)

    def _answered(self, call: _Call, kind: EventKind, detail: dict) -> None:
        call.state = ANSWERED
        start = call.ringing_at or call.started
        ring_s = round((dt.datetime.now(dt.UTC) - start).total_seconds(), 3)
        self._emit(call, kind, {"ring_s": ring_s, **detail})

    def _inbound(self, m) -> None:
        uniqueid = str(m.get("Uniqueid"))
        key = f"ami-in-{uniqueid}"[:40]
        call = _Call(key, "in")
        call.uniqueid = uniqueid
        call.channel = str(m.get("Channel", ""))
        self._calls[key] = call
        self._by_uniqueid[uniqueid] = call
        caller, dialled = str(m.get("CallerIDNum", "")), str(m.get("Exten", ""))
        opening = {
            "op": "inbound",
            "key": key,
            "caller": caller,
            "dialled": dialled,
            "uniqueid": uniqueid,
            "at": to_iso(call.started),
        }
        self._emit(call, EventKind.OFFERED, {"caller": caller, "dialled": dialled}, opening=opening)

    def _hangup(self, call: _Call, m) -> None:
        try:
            cause = int(m.get("Cause", 0) or 0)
        except ValueError:
            cause = 0
        cause_detail = {"cause": cause, "cause_txt": str(m.get("Cause-txt", ""))}
        if call.state in (DIALING, RINGING, "amd") and call.direction == "out":
            if call.intent == "hangup":
                self._emit(call, EventKind.HANGUP, {"by": call.hangup_by, "before_answer": True})
            elif cause in BUSY_CAUSES:
                self._emit(call, EventKind.BUSY, cause_detail)
            elif cause in NO_ANSWER_CAUSES or cause == 16:
                self._emit(call, EventKind.NO_ANSWER, cause_detail)
            elif cause in INVALID_NUMBER_CAUSES:
                self._emit(call, EventKind.FAILED, {**cause_detail, "invalid_number": True})
            else:
                self._emit(call, EventKind.FAILED, cause_detail)
        elif call.state == OFFERED:
            by = call.hangup_by if call.intent == "hangup" else "customer"
            self._emit(call, EventKind.HANGUP, {"by": by, "before_answer": True, **cause_detail})
        elif call.state != ENDED:
            if call.intent == "abandon":
                detail = {
                    "by": "system",
                    "abandoned": True,
                    "message": call.message,
                    "message_played": True,
                }
            elif call.intent == "hangup":
                detail = {"by": call.hangup_by}
            elif call.agent_hung_up:
                detail = {"by": "agent"}
            else:
                detail = {"by": "customer"}
            self._emit(call, EventKind.HANGUP, {**detail, **cause_detail})
        else:
            return
        self._end(call, TelephonyError("The customer hung up."))

    def _agent_hangup(self, call: _Call, m) -> None:
        if call.state == CONNECTED:
            call.agent_hung_up = True  # the customer's leg ends next, by the agent
        elif call.state == CONNECTING:
            call.state = ANSWERED if call.direction == "out" else OFFERED
            call.intent = None
            if call.waiter is not None and not call.waiter.done():
                cause = m.get("Cause-txt") or m.get("Cause")
                call.waiter.set_exception(
                    TelephonyError(f"The agent's phone did not take the call ({cause}).")
                )
        self._by_uniqueid.pop(call.agent_uniqueid, None)

    def _end(self, call: _Call, error: Exception | None = None) -> None:
        call.state = ENDED
        if error and call.waiter is not None and not call.waiter.done():
            call.waiter.set_exception(error)
        self._calls.pop(call.key, None)
        self._by_uniqueid.pop(call.uniqueid, None)
        self._by_uniqueid.pop(call.agent_uniqueid, None)  # its later events are ignored

    def _originate_done(self, call: _Call, future: asyncio.Future) -> None:
        """The OriginateResponse of the customer's leg (or the agent's, for `agent=True`)."""
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        messages = result if isinstance(result, list) else [result]
        final = messages[-1]
        if str(final.get("Response", "")) != "Failure" or call.state not in (DIALING, RINGING):
            return
        try:
            reason = int(final.get("Reason", 0) or 0)
        except ValueError:
            reason = 0
        detail = {"reason": reason}
        if call.intent == "hangup":
            self._emit(call, EventKind.HANGUP, {"by": call.hangup_by, "before_answer": True})
        elif reason == 5:
            self._emit(call, EventKind.BUSY, detail)
        elif reason in (1, 3):
            self._emit(call, EventKind.NO_ANSWER, detail)
        else:
            self._emit(call, EventKind.FAILED, {**detail, "cause": "originate failed"})
        self._end(call)

    def _agent_originate_done(self, call: _Call, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        final = (result if isinstance(result, list) else [result])[-1]
        if str(final.get("Response", "")) == "Failure" and call.state == CONNECTING:
            call.state = ANSWERED if call.direction == "out" else OFFERED
            call.intent = None
            self._by_uniqueid.pop(call.agent_uniqueid, None)
            if call.waiter is not None and not call.waiter.done():
                call.waiter.set_exception(
                    TelephonyError(
                        f"The agent's phone did not answer (reason {final.get('Reason')})."
                    )
                )

    # -- the port --------------------------------------------------------------------------

    def _require_running(self) -> Manager:
        if not self._pump.running or self._manager is None:
            raise TelephonyError("The AMI adapter is not started.")
        return self._manager

    async def _action(self, fields: dict) -> object:
        manager = self._require_running()
        reply = await asyncio.wait_for(manager.send_action(fields), self.connect_timeout_s)
        if isinstance(reply, list):
            reply = reply[0]
        if str(reply.get("Response", "")) not in ("Success", "Follows"):
            raise TelephonyError(
                f"Asterisk refused {fields.get('Action')}: {reply.get('Message', '')}"
            )
        return reply

    async def originate(
        self, dial_key: str, number: str, *, ring_timeout_s: float, caller_id: str = ""
    ) -> None:
        manager = self._require_running()
        if dial_key in self._calls or self.journal.knows(dial_key):
            raise AlreadyDialled(f"Call {dial_key!r} was placed before; not dialling it again.")
        call = _Call(dial_key, "out")
        fields = {
            "Action": "Originate",
            "ActionID": dial_key,
            "ChannelId": dial_key,
            "Channel": self.channel_template.format(number=number),
            "Timeout": str(int(float(ring_timeout_s) * 1000)),
            "Async": "true",
            "Variable": f"SF_DIAL_KEY={dial_key}",
        }
        if self.application:
            fields.update({"Application": self.application, "Data": self.data})
        else:
            fields.update(
                {"Context": self.context, "Exten": self.exten, "Priority": str(self.priority)}
            )
        if caller_id or self.caller_id:
            fields["CallerID"] = caller_id or self.caller_id
        opening = {
            "op": "originate",
            "key": dial_key,
            "number": number,
            "channel": fields["Channel"],
            "at": to_iso(call.started),
            "ring_timeout_s": float(ring_timeout_s),
        }
        await asyncio.to_thread(self.journal.claim, opening)
        self._calls[dial_key] = call
        self._by_uniqueid[dial_key] = call
        action = _Originate(fields)
        manager.send_action(action).add_done_callback(lambda f: self._originate_done(call, f))
        try:
            first = await asyncio.wait_for(asyncio.shield(action.accepted), self.connect_timeout_s)
        except TimeoutError:
            first = None
        if first is None or str(first.get("Response", "")) not in ("Success",):
            why = "no reply from Asterisk" if first is None else str(first.get("Message", ""))
            if call.state in (DIALING, RINGING):
                self._emit(call, EventKind.FAILED, {"cause": why})
                self._end(call)

    async def bridge(self, dial_key: str, agent_uri: str) -> None:
        call = self._live(dial_key)
        if call.direction != "out" or call.state != ANSWERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be put through now ({call.state}).")
        await self._connect_agent(call, agent_uri)

    async def answer(self, dial_key: str, agent_uri: str) -> None:
        call = self._live(dial_key)
        if call.direction != "in" or call.state != OFFERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be answered now ({call.state}).")
        await self._connect_agent(call, agent_uri)

    async def _connect_agent(self, call: _Call, agent_uri: str) -> None:
        manager = self._require_running()
        before = call.state
        call.state = CONNECTING
        call.intent = None
        call.agent_uri = agent_uri
        call.waiter = asyncio.get_running_loop().create_future()
        try:
            if self.bridge_mode == "redirect":
                await self._action(
                    {
                        "Action": "Redirect",
                        "Channel": call.channel,
                        "Context": self.agent_context,
                        "Exten": agent_uri,
                        "Priority": "1",
                    }
                )
            else:
                agent_id = f"{call.uniqueid}-agent"
                call.agent_uniqueid = agent_id
                self._by_uniqueid[agent_id] = call
                action = _Originate(
                    {
                        "Action": "Originate",
                        "ActionID": agent_id,
                        "ChannelId": agent_id,
                        "Channel": self.agent_channel_template.format(agent_uri=agent_uri),
                        "Application": "Bridge",
                        "Data": call.channel,
                        "Timeout": str(int(self.bridge_timeout_s * 1000)),
                        "Async": "true",
                        "Variable": f"SF_DIAL_KEY={call.key}",
                    }
                )
                manager.send_action(action).add_done_callback(
                    lambda f: self._agent_originate_done(call, f)
                )
                first = await asyncio.wait_for(
                    asyncio.shield(action.accepted), self.connect_timeout_s
                )
                if str(first.get("Response", "")) != "Success":
                    raise TelephonyError(
                        f"Asterisk refused to call the agent: {first.get('Message', '')}"
                    )
            await asyncio.wait_for(asyncio.shield(call.waiter), self.bridge_timeout_s)
        except (TelephonyError, TimeoutError) as exc:
            if call.state == CONNECTING:
                call.state = before
            if isinstance(exc, TimeoutError):
                raise TelephonyError(f"{agent_uri} did not take call {call.key} in time.") from exc
            raise

    async def abandon(self, dial_key: str, message: str) -> None:
        call = self._live(dial_key)
        if call.state != ANSWERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be abandoned now ({call.state}).")
        call.intent = "abandon"
        call.message = message
        try:
            await self._action(
                {
                    "Action": "Setvar",
                    "Channel": call.channel,
                    "Variable": "SF_ABANDON_MESSAGE",
                    "Value": message,
                }
            )
            await self._action(
                {
                    "Action": "Redirect",
                    "Channel": call.channel,
                    "Context": self.abandon_context,
                    "Exten": self.abandon_exten,
                    "Priority": "1",
                }
            )
        except TelephonyError:
            log.exception("Could not play the identification message on %s; hanging up.", dial_key)
            await self._hangup_channel(call)

    async def hangup(self, dial_key: str, *, by: str | None = None) -> None:
        """`by` overrides who is recorded as hanging up ("agent" once connected, else "system")."""
        self._require_running()
        call = self._calls.get(dial_key)
        if call is None or call.state == ENDED or call.intent == "hangup":
            return
        call.intent = "hangup"
        call.hangup_by = by or ("agent" if call.state == CONNECTED else "system")
        await self._hangup_channel(call)

    async def _hangup_channel(self, call: _Call) -> None:
        # Not created yet: Asterisk also finds a channel by the ChannelId (our key) we gave it.
        target = call.channel or call.uniqueid
        try:
            await self._action({"Action": "Hangup", "Channel": target, "Cause": "16"})
        except TelephonyError:
            log.warning("Asterisk could not hang up %s (over already?)", call.key)

    async def recover(self, dial_key: str) -> list[Event]:
        events = self.journal.events(dial_key)
        if dial_key in self._calls or not self.journal.knows(dial_key):
            return events
        last = events[-1] if events else None
        if last is not None and last.kind in TERMINAL:
            return events
        opening = self.journal.opening(dial_key) or {}
        uniqueid = opening.get("uniqueid") or dial_key
        channel = await self._find_channel(uniqueid)
        now = dt.datetime.now(dt.UTC)
        if channel is None:
            if last is not None and last.kind in (
                EventKind.ANSWERED,
                EventKind.MACHINE,
                EventKind.CONNECTED,
            ):
                lost = Event(EventKind.HANGUP, dial_key, now, {"by": "system", "lost": True})
            elif last is not None and last.kind == EventKind.OFFERED:
                lost = Event(
                    EventKind.HANGUP,
                    dial_key,
                    now,
                    {"by": "customer", "before_answer": True, "lost": True},
                )
            else:
                lost = Event(
                    EventKind.FAILED,
                    dial_key,
                    now,
                    {"cause": "ended while the dialer was down", "lost": True},
                )
            await asyncio.to_thread(self.journal.append, event_record(lost))
            return [*events, lost]
        # Still there: follow it again.
        call = _Call(dial_key, "in" if opening.get("op") == "inbound" else "out")
        call.uniqueid = uniqueid
        call.channel = str(channel.get("Channel", ""))
        up = str(channel.get("ChannelState", "")) == UP_STATE
        bridged = bool(channel.get("BridgeId"))
        kinds = [e.kind for e in events]
        extra: list[Event] = []
        if bridged:
            call.state = CONNECTED
            if EventKind.CONNECTED not in kinds:
                extra.append(Event(EventKind.CONNECTED, dial_key, now, {"recovered": True}))
        elif up and call.direction == "out":
            call.state = ANSWERED
            if not {EventKind.ANSWERED, EventKind.MACHINE} & set(kinds):
                extra.append(Event(EventKind.ANSWERED, dial_key, now, {"recovered": True}))
        elif call.direction == "out":
            call.state = RINGING if EventKind.RINGING in kinds else DIALING
        self._calls[dial_key] = call
        self._by_uniqueid[uniqueid] = call
        for event in extra:
            await asyncio.to_thread(self.journal.append, event_record(event))
        return [*events, *extra]

    async def _find_channel(self, uniqueid: str):
        manager = self._require_running()
        replies = await asyncio.wait_for(
            manager.send_action({"Action": "CoreShowChannels"}, as_list=True),
            self.connect_timeout_s,
        )
        for message in replies if isinstance(replies, list) else [replies]:
            if message.get("Event") == "CoreShowChannel" and message.get("Uniqueid") == uniqueid:
                return message
        return None

    def _live(self, dial_key: str) -> _Call:
        self._require_running()
        call = self._calls.get(dial_key)
        if call is None:
            raise TelephonyError(f"Call {dial_key} is not in progress.")
        return call


def _var_dir() -> Path:
    try:
        from django.conf import settings

        return Path(settings.VAR_DIR)
    except Exception:
        return Path("var")
