"""Real SIP calls through baresip (Debian package `baresip-core`), driven over its TCP control
interface (module ctrl_tcp: JSON in netstrings).

Why baresip: it is a maintained SIP user agent with a full transaction layer (retransmissions,
ACK of error responses, CANCEL, REFER, NOTIFY) and a documented control protocol; pyVoIP 1.6.8
(tried) ignores 180 and 486 responses, cannot CANCEL a ringing call and has no REFER, so it
cannot tell busy from no-answer or hand a call to an agent.

What the adapter does with baresip (1.0.0, as shipped by Debian 12):
- By default it starts its own baresip (`spawn=True`): config in `work_dir`, SIP on
  `sip_listen`, control on `ctrl_listen`, silent audio (an unconnected aubridge device), dies
  with the dialer. With `spawn=False` it talks to a baresip someone else runs.
- Each outbound call gets its own user agent (`sip:sf-<hash of dial_key>@domain`, created with
  `uanew`, deleted when the call is over), so that every command names exactly one call: baresip
  1.0.0's call commands act on "the current call" of "the current user agent", and a user agent
  with a single call makes that unambiguous. The caller ID is sent as the From display name;
  `account_params` (e.g. `auth_user=...;auth_pass=...;outbound="sip:proxy"`) go with every
  call for a trunk that wants them.
- Outcomes: 180/183 → RINGING; 200 → ANSWERED (no answering-machine detection: MACHINE never
  comes from this adapter); 486/600/603 → BUSY; 408/480 → NO_ANSWER; no answer within
  `ring_timeout_s` (counted from the first ring) → CANCEL → NO_ANSWER; any other failure →
  FAILED (detail cause = the SIP status line or the error).
- bridge / answer: a blind transfer (REFER, RFC 3515) of the customer to the agent's SIP URI.
  `bridge` returns when the customer's side reports the transfer done (NOTIFY 200) and CONNECTED
  has been emitted, or raises TelephonyError if it failed (the customer is still on the line).
  After the transfer baresip is out of the call: the end of the conversation is not seen by
  this adapter, so CONNECTED carries `hangup_reported: False` and the HANGUP comes when the
  dialer calls `hangup(dial_key)` (e.g. when the agent ends the call on the desktop).
- abandon: with `announcement_uri` set (a media server / PBX extension that plays the bank's
  identification message and hangs up), the customer is transferred there (detail
  `message_played: True`); without it the call is cleared at once (`message_played: False`).
  baresip 1.0.0 cannot switch one call's audio to a file: its `ausrc` command switches the audio
  of every call.
- Inbound: each number in `inbound_numbers` is a user agent `sip:<number>@domain`; an INVITE to
  it → OFFERED (detail caller = the caller's user part, dialled = the number); `answer`
  accepts the call and transfers it to the agent like `bridge`. Inbound calls share their
  number's user agent, so commands on them select the call first (`callfind`); if the caller
  hung up in the same instant, baresip acts on that number's newest call instead — a known
  limit of baresip 1.0.0's control interface (outbound calls are not exposed to it).
- Every emitted event is journaled (fsync'd) before it is delivered; `recover(dial_key)` returns
  them. A call that was not over when the previous process stopped was torn down with its
  baresip: recover reports it ended (`lost: True`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
from pathlib import Path

from .journal import CallJournal, EventPump, event_record, to_iso
from .port import AlreadyDialled, Event, EventHandler, EventKind, TelephonyError

log = logging.getLogger(__name__)

TERMINAL = {EventKind.BUSY, EventKind.NO_ANSWER, EventKind.FAILED, EventKind.HANGUP}
BUSY_CODES = {486, 600, 603}
NO_ANSWER_CODES = {408, 480, 487}
TRANSFERRED = "Call transfered"  # baresip's spelling

# Call states
DIALING, RINGING, ANSWERED, OFFERED, ACCEPTING, TRANSFERRING, AWAY, ENDED = (
    "dialing",
    "ringing",
    "answered",
    "offered",
    "accepting",
    "transferring",
    "transferred",
    "ended",
)


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP on `host` (SIP listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind((host, 0))
            port = first.getsockname()[1]
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            try:
                with socket.socket(socket.AF_INET, other) as second:
                    second.bind((host, port))
            except OSError:
                continue
            return port
    raise TelephonyError(f"No free port on {host}.")


def _bindable(host: str, port: int, kind: int) -> bool:
    try:
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((host, port))
    except OSError:
        return False
    return True


def free_sip_port(host: str = "127.0.0.1") -> int:
    """A port for baresip's SIP listener: it binds UDP and TCP on the port and TLS on the next
    one, so both must be free."""
    for _ in range(50):
        port = free_port(host)
        if port < 65535 and _bindable(host, port + 1, socket.SOCK_STREAM):
            return port
    raise TelephonyError(f"No free pair of ports on {host}.")


def _user(uri: str) -> str:
    match = re.match(r"^(?:sips?:)?([^@;>]+)@", uri.strip("<> "))
    return match.group(1) if match else uri


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _Call:
    def __init__(self, key: str, direction: str, *, aor: str, number: str = "") -> None:
        self.key = key
        self.direction = direction  # "out" | "in"
        self.aor = aor  # the user agent the call lives on
        self.number = number
        self.sip_id: str | None = None
        self.state = DIALING if direction == "out" else OFFERED
        self.intent: str | None = None  # cancel | hangup | bridge | answer | abandon
        self.hangup_by = "system"
        self.agent_uri = ""
        self.message = ""
        self.started = dt.datetime.now(dt.UTC)
        self.ringing_at: dt.datetime | None = None
        self.ring_timeout_s = 0.0
        self.timer: asyncio.Task | None = None
        self.waiter: asyncio.Future | None = None  # bridge/answer waiting for an outcome


class SipTelephony:
    name = "sip"

    def __init__(
        self,
        *,
        uri_template: str = "sip:{number}@127.0.0.1:5060",
        domain: str = "127.0.0.1",
        user_prefix: str = "sf-",
        account_params: str = "",
        inbound_numbers: tuple[str, ...] | list[str] | str = (),
        announcement_uri: str = "",
        sip_listen: str = "127.0.0.1:0",
        ctrl_listen: str = "127.0.0.1:0",
        spawn: bool | str = True,
        baresip: str = "baresip",
        modules_dir: str = "/usr/lib/baresip/modules",
        rtp_ports: str = "20000-29999",
        max_calls: int = 1000,
        work_dir: str | Path | None = None,
        journal_path: str | Path | None = None,
        bridge_timeout_s: float = 45.0,
        command_timeout_s: float = 10.0,
    ) -> None:
        var = _var_dir()
        self.uri_template = uri_template
        self.domain = domain
        self.user_prefix = user_prefix
        self.account_params = account_params.strip(";")
        if isinstance(inbound_numbers, str):
            inbound_numbers = inbound_numbers.split(",")
        self.inbound_numbers = [str(n).strip() for n in inbound_numbers if str(n).strip()]
        self.announcement_uri = announcement_uri
        self.spawn = (
            spawn
            if isinstance(spawn, bool)
            else str(spawn).strip().lower() in ("1", "true", "yes", "on")
        )
        self.baresip = baresip
        self.modules_dir = modules_dir
        self.rtp_ports = rtp_ports
        self.max_calls = int(max_calls)
        self.work_dir = Path(work_dir) if work_dir else var / "telephony-sip"
        self.journal = CallJournal(journal_path or self.work_dir / "journal.jsonl")
        self.bridge_timeout_s = float(bridge_timeout_s)
        self.command_timeout_s = float(command_timeout_s)
        self._sip_host, self._sip_port = _host_port(sip_listen)
        self._ctrl_host, self._ctrl_port = _host_port(ctrl_listen)
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._read_task: asyncio.Task | None = None
        self._pump = EventPump(self.journal, "telephony-sip-events")
        self._lock: asyncio.Lock | None = None  # made in start(), on the running loop
        self._responses: dict[str, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()
        self._token = 0
        self._calls: dict[str, _Call] = {}
        self._by_aor: dict[str, _Call] = {}
        self._by_sip_id: dict[str, _Call] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def sip_address(self) -> tuple[str, int]:
        return self._sip_host, self._sip_port

    async def start(self, on_event: EventHandler) -> None:
        if self._pump.running:
            raise TelephonyError("The SIP adapter is running already.")
        self._lock = asyncio.Lock()
        if self.spawn:
            await self._spawn()
        await self._connect()
        self._pump.start(on_event)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for call in list(self._calls.values()):
            if call.waiter is not None and not call.waiter.done():
                call.waiter.cancel()
        if self._read_task is not None:
            self._read_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._read_task
        for future in self._responses.values():
            future.cancel()
        self._responses.clear()
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pump.stop()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()  # baresip hangs up what is left
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self.spawn:
            (self.work_dir / "baresip.pid").unlink(missing_ok=True)
        self._calls.clear()
        self._by_aor.clear()
        self._by_sip_id.clear()
        self._process = self._reader = self._writer = None
        self._read_task = None

    def _background(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _config_text(self) -> str:
        lines = [
            "poll_method epoll",
            f"sip_listen {self._sip_host}:{self._sip_port}",
            "call_local_timeout 120",
            f"call_max_calls {self.max_calls}",
            f"module_path {self.modules_dir}",
            "module g711.so",
            "module aubridge.so",
            "module account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen {self._ctrl_host}:{self._ctrl_port}",
            # Silence both ways: an aubridge source nobody plays into, a player nobody reads.
            "audio_source aubridge,sf-silence",
            "audio_player aubridge,sf-discard",
            f"rtp_ports {self.rtp_ports}",
        ]
        if self._sip_host not in ("0.0.0.0", "::", "[::]"):  # noqa: S104 - not binding here
            lines.append(f"net_interface {self._sip_host}")  # SDP and Contact use this address
        return "\n".join(lines) + "\n"

    async def _spawn(self) -> None:
        if shutil.which(self.baresip) is None:
            raise TelephonyError(
                f"{self.baresip!r} is not installed (Debian: apt-get install baresip-core)."
            )
        if self._sip_port == 0:
            self._sip_port = free_sip_port(self._sip_host)
        while self._ctrl_port in (0, self._sip_port, self._sip_port + 1):
            self._ctrl_port = free_port(self._ctrl_host)
        conf = self.work_dir / "baresip"
        conf.mkdir(parents=True, exist_ok=True)
        self._kill_stale(conf)
        (conf / "config").write_text(self._config_text(), encoding="utf-8")
        accounts = [f"<sip:{n}@{self.domain}>;regint=0" for n in self.inbound_numbers]
        (conf / "accounts").write_text("\n".join(accounts) + "\n", encoding="utf-8")
        (conf / "contacts").write_text("", encoding="utf-8")
        log_file = (self.work_dir / "baresip.log").open("ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                self.baresip,
                "-f",
                str(conf),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        finally:
            log_file.close()
        (self.work_dir / "baresip.pid").write_text(f"{self._process.pid}\n{conf}\n")

    def _kill_stale(self, conf: Path) -> None:
        """A baresip left running by a dialer that died: end it (its calls are lost anyway)."""
        pid_file = self.work_dir / "baresip.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            pid_file.unlink(missing_ok=True)
            return
        if (
            cmdline
            and Path(cmdline[0].decode()).name == "baresip"
            and str(conf).encode() in cmdline
        ):
            log.warning("Ending baresip %s left by an earlier dialer.", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    self._ctrl_host, self._ctrl_port
                )
                break
            except OSError as exc:
                if self._process is not None and self._process.returncode is not None:
                    raise TelephonyError(
                        f"baresip exited ({self._process.returncode}); see {self.work_dir / 'baresip.log'}"
                    ) from exc
                if loop.time() > deadline:
                    raise TelephonyError(
                        f"baresip's control port {self._ctrl_host}:{self._ctrl_port} does not answer."
                    ) from exc
                await asyncio.sleep(0.05)
        self._read_task = asyncio.create_task(self._read(), name="telephony-sip-ctrl")
        # Wait until baresip is ready to take commands (the port opens a little early).
        for _ in range(100):
            try:
                (resp,) = await self._command(("reginfo", ""))
            except TelephonyError:
                await asyncio.sleep(0.05)
                continue
            if resp.get("ok"):
                return
            await asyncio.sleep(0.05)
        raise TelephonyError("baresip does not take commands.")

    # -- the control connection --------------------------------------------------------------

    async def _read(self) -> None:
        assert self._reader is not None
        try:
            while True:
                size = await self._reader.readuntil(b":")
                payload = await self._reader.readexactly(int(size[:-1]))
                await self._reader.readexactly(1)  # the closing ","
                try:
                    message = json.loads(payload)
                except ValueError:
                    log.warning("Unreadable message from baresip: %r", payload[:200])
                    continue
                if message.get("response"):
                    future = self._responses.pop(str(message.get("token")), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif message.get("event"):
                    try:
                        self._on_baresip(message)
                    except Exception:
                        log.exception("Failed to handle baresip event %s", message)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            log.error("Lost the connection to baresip: %s", exc)
            for future in self._responses.values():
                if not future.done():
                    future.set_exception(TelephonyError("Lost the connection to baresip."))
            self._responses.clear()

    async def _command(self, *commands: tuple[str, str]) -> list[dict]:
        """Send commands in one write (baresip runs them back to back) and return the replies."""
        if self._writer is None:
            raise TelephonyError("The SIP adapter is not started.")
        loop = asyncio.get_running_loop()
        futures = []
        payload = b""
        for command, params in commands:
            self._token += 1
            token = f"sf{self._token}"
            future = loop.create_future()
            self._responses[token] = future
            futures.append(future)
            body = json.dumps({"command": command, "params": params, "token": token}).encode()
            payload += str(len(body)).encode() + b":" + body + b","
        try:
            self._writer.write(payload)
            await self._writer.drain()
            return [await asyncio.wait_for(f, self.command_timeout_s) for f in futures]
        except TimeoutError as exc:
            raise TelephonyError(f"baresip did not answer {commands!r}.") from exc
        except ConnectionError as exc:
            raise TelephonyError("Lost the connection to baresip.") from exc

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

    def _on_baresip(self, message: dict) -> None:
        kind = message.get("type", "")
        sip_id = message.get("id")
        if kind == "CALL_INCOMING":
            self._incoming(message)
            return
        call = self._by_sip_id.get(sip_id) if sip_id else None
        if call is None:
            call = self._by_aor.get(message.get("accountaor", ""))
            if call is None or call.direction != "out":
                return
            if sip_id:
                call.sip_id = sip_id
                self._by_sip_id[sip_id] = call
        if kind in ("CALL_RINGING", "CALL_PROGRESS"):
            if call.state == DIALING:
                call.state = RINGING
                call.ringing_at = dt.datetime.now(dt.UTC)
                self._emit(
                    call, EventKind.RINGING, {"sip": "183" if kind == "CALL_PROGRESS" else "180"}
                )
                self._arm_ring_timer(call, restart=True)
        elif kind == "CALL_ESTABLISHED":
            if call.direction == "out" and call.state in (DIALING, RINGING):
                call.state = ANSWERED
                if call.timer is not None:
                    call.timer.cancel()
                self._emit(call, EventKind.ANSWERED, {"ring_s": self._ring_s(call)})
            elif call.direction == "in" and call.state in (OFFERED, ACCEPTING):
                call.state = ANSWERED
                if call.waiter is not None and not call.waiter.done():
                    call.waiter.set_result(True)
        elif kind == "TRANSFER_FAILED":
            call.state = ANSWERED
            if call.waiter is not None and not call.waiter.done():
                call.waiter.set_exception(
                    TelephonyError(f"The transfer failed: {message.get('param', '')}")
                )
            if call.intent == "abandon":  # no announcement after all: clear the line
                self._background(self._hangup_sip(call))
            else:
                call.intent = None
        elif kind == "CALL_CLOSED":
            self._closed(call, str(message.get("param", "")))

    def _ring_s(self, call: _Call) -> float:
        start = call.ringing_at or call.started
        return round((dt.datetime.now(dt.UTC) - start).total_seconds(), 3)

    def _incoming(self, message: dict) -> None:
        sip_id = message.get("id") or ""
        if not sip_id or sip_id in self._by_sip_id:
            return
        key = "sip-in-" + hashlib.sha256(sip_id.encode()).hexdigest()[:24]
        aor = message.get("accountaor", "")
        call = _Call(key, "in", aor=aor)
        call.sip_id = sip_id
        self._calls[key] = call
        self._by_sip_id[sip_id] = call
        caller, dialled = _user(message.get("peeruri", "")), _user(aor)
        opening = {
            "op": "inbound",
            "key": key,
            "caller": caller,
            "dialled": dialled,
            "sip_call_id": sip_id,
            "at": to_iso(call.started),
        }
        self._emit(call, EventKind.OFFERED, {"caller": caller, "dialled": dialled}, opening=opening)

    def _closed(self, call: _Call, param: str) -> None:
        if call.timer is not None:
            call.timer.cancel()
        code = int(param[:3]) if param[:3].isdigit() else None
        waiter_error: str | None = "The customer hung up."
        if call.direction == "out" and call.state in (DIALING, RINGING):
            if call.intent == "cancel":
                self._emit(call, EventKind.NO_ANSWER, {"ring_s": self._ring_s(call)})
            elif call.intent == "hangup":
                self._emit(call, EventKind.HANGUP, {"by": call.hangup_by, "before_answer": True})
            elif code in BUSY_CODES:
                self._emit(call, EventKind.BUSY, {"sip": param})
            elif code in NO_ANSWER_CODES:
                self._emit(call, EventKind.NO_ANSWER, {"sip": param, "ring_s": self._ring_s(call)})
            else:
                self._emit(call, EventKind.FAILED, {"cause": param or "closed"})
        elif call.state in (OFFERED, ACCEPTING):
            by = call.hangup_by if call.intent == "hangup" else "customer"
            self._emit(call, EventKind.HANGUP, {"by": by, "before_answer": True})
        elif param.startswith(TRANSFERRED) and call.intent in ("bridge", "answer"):
            call.state = AWAY
            self._emit(
                call,
                EventKind.CONNECTED,
                {"agent_uri": call.agent_uri, "via": "refer", "hangup_reported": False},
            )
            if call.waiter is not None and not call.waiter.done():
                call.waiter.set_result(True)
            waiter_error = None
        elif call.intent == "abandon":
            played = param.startswith(TRANSFERRED)
            detail = {
                "by": "system",
                "abandoned": True,
                "message": call.message,
                "message_played": played,
            }
            if played:
                detail["announcement_uri"] = self.announcement_uri
            self._emit(call, EventKind.HANGUP, detail)
        elif call.intent == "hangup":
            self._emit(call, EventKind.HANGUP, {"by": call.hangup_by})
        else:
            self._emit(call, EventKind.HANGUP, {"by": "customer"})
        if waiter_error and call.waiter is not None and not call.waiter.done():
            call.waiter.set_exception(TelephonyError(waiter_error))
        if call.sip_id:
            self._by_sip_id.pop(call.sip_id, None)
        if call.state != AWAY:
            call.state = ENDED
            self._calls.pop(call.key, None)
        if call.direction == "out":
            self._by_aor.pop(call.aor, None)
            self._background(self._delete_ua(call.aor))

    async def _delete_ua(self, aor: str) -> None:
        try:
            async with self._lock:
                await self._command(("uadel", aor))
        except TelephonyError:
            log.warning("Could not delete baresip user agent %s", aor)

    # -- ring timeout --------------------------------------------------------------------------

    def _arm_ring_timer(self, call: _Call, *, restart: bool = False) -> None:
        if call.timer is not None:
            if not restart:
                return
            call.timer.cancel()
        call.timer = self._background(self._ring_timer(call))

    async def _ring_timer(self, call: _Call) -> None:
        await asyncio.sleep(call.ring_timeout_s)
        if call.state in (DIALING, RINGING) and call.intent is None:
            call.intent = "cancel"
            await self._hangup_sip(call)

    async def _hangup_sip(self, call: _Call) -> None:
        try:
            async with self._lock:
                if call.direction == "out":
                    if call.aor not in self._by_aor:
                        return  # over already; its user agent may be gone
                    await self._command(("uafind", call.aor), ("hangup", ""))
                else:
                    await self._select(call, ("hangup", ""))
        except TelephonyError:
            log.exception("Could not hang up %s", call.key)

    async def _select(self, call: _Call, *commands: tuple[str, str]) -> list[dict]:
        """Run call commands on `call` (lock held by the caller)."""
        if call.direction == "out":
            replies = await self._command(("uafind", call.aor), *commands)
            return replies[1:]
        replies = await self._command(
            ("uafind", call.aor), ("callfind", call.sip_id or ""), *commands
        )
        if "not found" in str(replies[1].get("data", "")):
            log.error("baresip lost call %s before %s", call.key, commands)
            raise TelephonyError(f"Call {call.key} is over.")
        return replies[2:]

    # -- the port --------------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._pump.running:
            raise TelephonyError("The SIP adapter is not started.")

    def uri_for(self, number: str) -> str:
        return self.uri_template.format(number=number)

    async def originate(
        self, dial_key: str, number: str, *, ring_timeout_s: float, caller_id: str = ""
    ) -> None:
        self._require_running()
        if dial_key in self._calls or self.journal.knows(dial_key):
            raise AlreadyDialled(f"Call {dial_key!r} was placed before; not dialling it again.")
        marker = hashlib.sha256(dial_key.encode()).hexdigest()[:20]
        aor = f"sip:{self.user_prefix}{marker}@{self.domain}"
        uri = self.uri_for(number)
        call = _Call(dial_key, "out", aor=aor, number=number)
        call.ring_timeout_s = float(ring_timeout_s)
        opening = {
            "op": "originate",
            "key": dial_key,
            "number": number,
            "uri": uri,
            "aor": aor,
            "at": to_iso(call.started),
            "ring_timeout_s": float(ring_timeout_s),
        }
        await asyncio.to_thread(self.journal.claim, opening)
        display = re.sub(r"[^0-9+*#A-Za-z .-]", "", caller_id)
        account = f"<{aor}>;regint=0" + (f";{self.account_params}" if self.account_params else "")
        if display:
            account = f'"{display}" {account}'
        self._calls[dial_key] = call
        self._by_aor[aor] = call
        try:
            async with self._lock:
                (created,) = await self._command(("uanew", account))
                if not created.get("ok"):
                    raise TelephonyError(f"baresip refused the user agent: {created.get('data')}")
                _, dialled = await self._command(("uafind", aor), ("dial", uri))
        except TelephonyError as exc:
            self._by_aor.pop(aor, None)
            self._calls.pop(dial_key, None)
            call.state = ENDED
            self._emit(call, EventKind.FAILED, {"cause": str(exc)})
            return
        if not dialled.get("ok"):
            self._by_aor.pop(aor, None)
            self._calls.pop(dial_key, None)
            call.state = ENDED
            self._emit(
                call, EventKind.FAILED, {"cause": str(dialled.get("data") or "dial refused")}
            )
            self._background(self._delete_ua(aor))
            return
        if call.state in (DIALING, RINGING):
            self._arm_ring_timer(call)

    async def bridge(self, dial_key: str, agent_uri: str) -> None:
        call = self._live(dial_key)
        if call.direction != "out" or call.state != ANSWERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be put through now ({call.state}).")
        await self._transfer(call, agent_uri, "bridge")

    async def answer(self, dial_key: str, agent_uri: str) -> None:
        call = self._live(dial_key)
        if call.direction == "in" and call.state == ANSWERED and call.intent is None:
            # baresip picked it up already (see the module notes): just put it through.
            await self._transfer(call, agent_uri, "answer")
            return
        if call.direction != "in" or call.state != OFFERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be answered now ({call.state}).")
        call.intent = "answer"
        call.state = ACCEPTING
        call.waiter = asyncio.get_running_loop().create_future()
        async with self._lock:
            await self._select(call, ("accept", ""))
        try:
            await asyncio.wait_for(asyncio.shield(call.waiter), self.command_timeout_s)
        except TimeoutError as exc:
            raise TelephonyError(f"Call {dial_key} could not be answered.") from exc
        await self._transfer(call, agent_uri, "answer")

    async def _transfer(self, call: _Call, target: str, intent: str) -> None:
        call.intent = intent
        call.agent_uri = target
        call.state = TRANSFERRING
        call.waiter = asyncio.get_running_loop().create_future()
        try:
            async with self._lock:
                (reply,) = await self._select(call, ("transfer", target))
            if not reply.get("ok"):
                raise TelephonyError(f"baresip refused the transfer: {reply.get('data')}")
            await asyncio.wait_for(asyncio.shield(call.waiter), self.bridge_timeout_s)
        except TimeoutError as exc:
            if call.state == TRANSFERRING:
                call.state, call.intent = ANSWERED, None
            raise TelephonyError(f"{target} did not take call {call.key} in time.") from exc
        except TelephonyError:
            if call.state == TRANSFERRING:
                call.state, call.intent = ANSWERED, None
            raise

    async def abandon(self, dial_key: str, message: str) -> None:
        call = self._live(dial_key)
        if call.state != ANSWERED or call.intent is not None:
            raise TelephonyError(f"Call {dial_key} cannot be abandoned now ({call.state}).")
        call.intent = "abandon"
        call.message = message
        if self.announcement_uri:
            async with self._lock:
                (reply,) = await self._select(call, ("transfer", self.announcement_uri))
            if reply.get("ok"):
                return
        await self._hangup_sip(call)

    async def hangup(self, dial_key: str, *, by: str | None = None) -> None:
        """`by` overrides who is recorded as hanging up ("agent" once connected, else "system")."""
        self._require_running()
        call = self._calls.get(dial_key)
        if call is None:
            events = self.journal.events(dial_key)
            last = events[-1] if events else None
            if (
                last is not None
                and last.kind == EventKind.CONNECTED
                and last.detail.get("via") == "refer"
            ):
                # Transferred before a restart: the agent's hang-up ends it.
                self._emit(
                    _Call(dial_key, "out", aor=""),
                    EventKind.HANGUP,
                    {"by": by or "agent", "transferred": True},
                )
            return
        if call.state == AWAY:
            self._calls.pop(dial_key, None)
            call.state = ENDED
            self._emit(call, EventKind.HANGUP, {"by": by or "agent", "transferred": True})
            return
        if call.state == ENDED or call.intent in ("hangup", "cancel"):
            return
        call.intent = "hangup"
        call.hangup_by = by or "system"
        await self._hangup_sip(call)

    async def recover(self, dial_key: str) -> list[Event]:
        events = self.journal.events(dial_key)
        if dial_key in self._calls or not self.journal.knows(dial_key):
            return events
        last = events[-1] if events else None
        if last is None or (
            last.kind not in TERMINAL
            and not (last.kind == EventKind.CONNECTED and last.detail.get("via") == "refer")
        ):
            now = dt.datetime.now(dt.UTC)
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
                    {"by": "system", "lost": True, "before_answer": True},
                )
            else:
                lost = Event(
                    EventKind.FAILED, dial_key, now, {"cause": "lost in a restart", "lost": True}
                )
            await asyncio.to_thread(self.journal.append, event_record(lost))
            events.append(lost)
        return events

    def _live(self, dial_key: str) -> _Call:
        self._require_running()
        call = self._calls.get(dial_key)
        if call is None:
            raise TelephonyError(f"Call {dial_key} is not in progress.")
        return call


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = str(value).rpartition(":")
    if not host:
        raise ValueError(f"Expected host:port, got {value!r}.")
    return host, int(port or 0)


def _var_dir() -> Path:
    try:
        from django.conf import settings

        return Path(settings.VAR_DIR)
    except Exception:
        return Path("var")
