"""The Asterisk manager-interface adapter, tested at the protocol level against a small TCP server
that speaks AMI as Asterisk does (banner, Login, FullyBooted, Originate with its
OriginateResponse, Newchannel/Newstate/VarSet/BridgeEnter/Hangup events, Redirect, Setvar,
Hangup, CoreShowChannels). Asterisk itself is not installable here (Debian 12 has no package);
this double stands in for it at the wire, so the adapter and panoramisk run for real.

The double decides an originated call's fate by the last digit of the number: 0 answered,
1 busy, 2 no answer (rang out), 3 no channel (invalid), 4 an answering machine (AMD).
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from servicefirst.dialer.telephony.ami import AmiTelephony
from servicefirst.dialer.telephony.port import AlreadyDialled, EventKind, TelephonyError

GUARD_S = 20  # only against a hang: tests wait for events, never for a time


class FakeAsterisk:
    def __init__(self, secret: str = "s3cret") -> None:  # noqa: S107
        self.secret = secret
        self.actions: list[dict] = []
        self.channels: dict[str, dict] = {}  # uniqueid -> {"Channel", "ChannelState", "BridgeId"}
        self.writers: list[asyncio.StreamWriter] = []
        self.counter = itertools.count(1)
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> FakeAsterisk:
        self.server = await asyncio.start_server(self.session, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    # -- the wire ---------------------------------------------------------------------------

    async def session(self, reader, writer) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/5.0.1\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                fields: dict = {}
                for line in block.decode().split("\r\n"):
                    if ": " in line:
                        k, v = line.split(": ", 1)
                        fields[k] = (
                            [*fields[k], v]
                            if isinstance(fields.get(k), list)
                            else ([fields[k], v] if k in fields else v)
                        )
                self.actions.append(fields)
                await self.act(fields, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self.writers:
                self.writers.remove(writer)

    def send(self, writer, fields: dict) -> None:
        lines = []
        for k, v in fields.items():
            for item in v if isinstance(v, list) else [v]:
                lines.append(f"{k}: {item}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def event(self, name: str, **fields) -> None:
        for writer in self.writers:
            self.send(writer, {"Event": name, "Privilege": "call,all", **fields})

    def channel_fields(self, uniqueid: str) -> dict:
        c = self.channels[uniqueid]
        return {
            "Channel": c["Channel"],
            "ChannelState": c["ChannelState"],
            "ChannelStateDesc": {"0": "Down", "5": "Ringing", "6": "Up"}[c["ChannelState"]],
            "CallerIDNum": c.get("CallerIDNum", ""),
            "Context": c.get("Context", ""),
            "Exten": c.get("Exten", ""),
            "Uniqueid": uniqueid,
            "Linkedid": uniqueid,
        }

    def new_channel(self, uniqueid: str, name: str, **extra) -> None:
        self.channels[uniqueid] = {"Channel": name, "ChannelState": "0", "BridgeId": "", **extra}
        self.event("Newchannel", **self.channel_fields(uniqueid))

    def new_state(self, uniqueid: str, state: str) -> None:
        self.channels[uniqueid]["ChannelState"] = state
        self.event("Newstate", **self.channel_fields(uniqueid))

    def hang_up(self, uniqueid: str, cause: int = 16, text: str = "Normal Clearing") -> None:
        if uniqueid not in self.channels:
            return
        fields = self.channel_fields(uniqueid)
        bridge = self.channels[uniqueid]["BridgeId"]
        del self.channels[uniqueid]
        self.event("Hangup", **fields, Cause=str(cause), **{"Cause-txt": text})
        for other, c in list(self.channels.items()):  # the bridge ends: the other leg goes too
            if bridge and c["BridgeId"] == bridge:
                self.hang_up(other)

    def by_channel(self, name: str) -> str | None:
        return next((u for u, c in self.channels.items() if c["Channel"] == name), None)

    # -- what Asterisk does ------------------------------------------------------------------

    async def act(self, a: dict, writer) -> None:
        action = a.get("Action", "").lower()
        reply = {"Response": "Success", "ActionID": a.get("ActionID", "")}
        if action == "login":
            if a.get("Secret") != self.secret:
                self.send(
                    writer, {**reply, "Response": "Error", "Message": "Authentication failed"}
                )
                return
            self.send(writer, {**reply, "Message": "Authentication accepted"})
            self.send(
                writer,
                {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"},
            )
        elif action == "ping":
            self.send(writer, {**reply, "Ping": "Pong"})
        elif action == "originate":
            self.send(writer, {**reply, "Message": "Originate successfully queued"})
            await asyncio.sleep(0)
            if a.get("Application") == "Bridge":
                self.agent_leg(a, writer)
            else:
                self.customer_leg(a, writer)
        elif action == "hangup":
            uniqueid = self.by_channel(a.get("Channel", "")) or (
                a["Channel"] if a.get("Channel") in self.channels else None
            )
            if uniqueid is None:
                self.send(writer, {**reply, "Response": "Error", "Message": "No such channel"})
                return
            self.send(writer, {**reply, "Message": "Channel Hungup"})
            self.hang_up(uniqueid, int(a.get("Cause", 16)))
        elif action == "setvar":
            self.send(writer, reply)
        elif action == "redirect":
            uniqueid = self.by_channel(a.get("Channel", ""))
            if uniqueid is None:
                self.send(
                    writer, {**reply, "Response": "Error", "Message": "Channel does not exist"}
                )
                return
            self.send(writer, {**reply, "Message": "Redirect successful"})
            if a.get("Context") == "servicefirst-abandon":  # Playback(...) then Hangup()
                await asyncio.sleep(0)
                self.hang_up(uniqueid)
        elif action == "coreshowchannels":
            self.send(writer, {**reply, "EventList": "start", "Message": "Channels will follow"})
            for uniqueid in self.channels:
                self.send(
                    writer,
                    {
                        "Event": "CoreShowChannel",
                        "ActionID": a.get("ActionID", ""),
                        **self.channel_fields(uniqueid),
                        "BridgeId": self.channels[uniqueid]["BridgeId"],
                    },
                )
            self.send(
                writer,
                {
                    "Event": "CoreShowChannelsComplete",
                    "ActionID": a.get("ActionID", ""),
                    "EventList": "Complete",
                    "ListItems": str(len(self.channels)),
                },
            )
        else:
            self.send(writer, {**reply, "Response": "Error", "Message": "Invalid/unknown command"})

    def customer_leg(self, a: dict, writer) -> None:
        uniqueid, number = a["ChannelId"], a["Channel"].split("/")[1].split("@")[0]
        fate = number[-1]

        def response(result: str, reason: int, **extra) -> None:
            self.send(
                writer,
                {
                    "Event": "OriginateResponse",
                    "Privilege": "call,all",
                    "ActionID": a["ActionID"],
                    "Response": result,
                    "Channel": a["Channel"],
                    "Context": a.get("Context", ""),
                    "Exten": a.get("Exten", ""),
                    "Reason": str(reason),
                    "Uniqueid": extra.get("Uniqueid", uniqueid),
                    "CallerIDNum": "<unknown>",
                },
            )

        if fate == "3":
            response("Failure", 0, Uniqueid="<null>")
            return
        self.new_channel(uniqueid, f"PJSIP/trunk-{next(self.counter):08x}", Exten=number)
        if fate == "1":
            self.hang_up(uniqueid, 17, "User busy")
            response("Failure", 5)
            return
        self.new_state(uniqueid, "5")
        if fate == "2":
            self.hang_up(uniqueid, 19, "No answer")
            response("Failure", 3)
            return
        self.new_state(uniqueid, "6")
        if fate == "4":
            self.event(
                "VarSet", **self.channel_fields(uniqueid), Variable="AMDSTATUS", Value="MACHINE"
            )
        response("Success", 4)

    def agent_leg(self, a: dict, writer) -> None:
        uniqueid = a["ChannelId"]
        customer = self.by_channel(a["Data"])
        self.new_channel(uniqueid, f"{a['Channel']}-{next(self.counter):08x}")
        if "busy" in a["Channel"] or customer is None:
            self.hang_up(uniqueid, 17, "User busy")
            self.send(
                writer,
                {
                    "Event": "OriginateResponse",
                    "ActionID": a["ActionID"],
                    "Response": "Failure",
                    "Reason": "5",
                    "Uniqueid": uniqueid,
                },
            )
            return
        self.new_state(uniqueid, "6")
        bridge = f"bridge-{next(self.counter)}"
        for leg in (customer, uniqueid):
            self.channels[leg]["BridgeId"] = bridge
            self.event("BridgeEnter", BridgeUniqueid=bridge, **self.channel_fields(leg))
        self.send(
            writer,
            {
                "Event": "OriginateResponse",
                "ActionID": a["ActionID"],
                "Response": "Success",
                "Reason": "4",
                "Uniqueid": uniqueid,
            },
        )

    def inbound(self, uniqueid: str, caller: str, exten: str) -> None:
        self.new_channel(
            uniqueid,
            f"PJSIP/trunk-{next(self.counter):08x}",
            CallerIDNum=caller,
            Context="servicefirst-inbound",
            Exten=exten,
        )

    def sent(self, action: str) -> list[dict]:
        return [a for a in self.actions if a.get("Action", "").lower() == action.lower()]


class Recorder:
    def __init__(self) -> None:
        self.events: list = []
        self.changed = asyncio.Condition()

    async def __call__(self, event) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def kinds(self, key: str) -> list[str]:
        return [str(e.kind) for e in self.events if e.dial_key == key]

    async def until(self, predicate):
        async def seen():
            async with self.changed:
                await self.changed.wait_for(lambda: any(predicate(e) for e in self.events))
            return next(e for e in self.events if predicate(e))

        return await asyncio.wait_for(seen(), GUARD_S)

    async def kind(self, key: str, kind: EventKind):
        return await self.until(lambda e: e.dial_key == key and e.kind == kind)


def run(scenario, tmp_path, **options):
    async def main():
        asterisk = await FakeAsterisk().start()
        try:
            await scenario(
                asterisk, lambda **more: adapter(asterisk, tmp_path, **{**options, **more})
            )
        finally:
            await asterisk.close()

    asyncio.run(main())


def adapter(asterisk: FakeAsterisk, tmp_path, **options) -> AmiTelephony:
    options.setdefault("secret", "s3cret")
    return AmiTelephony(
        port=asterisk.port,
        username="servicefirst",
        journal_path=tmp_path / "ami-journal.jsonl",
        caller_id="95555",
        **options,
    )


async def started(telephony: AmiTelephony) -> Recorder:
    recorder = Recorder()
    await telephony.start(recorder)
    return recorder


def test_answered_call_is_originated_bridged_to_the_agent_and_hung_up_by_the_customer(tmp_path):
    async def scenario(asterisk, make):
        telephony = make()
        events = await started(telephony)
        try:
            await telephony.originate("k-answer", "+8613800138000", ring_timeout_s=20)
            await events.kind("k-answer", EventKind.ANSWERED)
            (originate,) = asterisk.sent("Originate")
            assert originate["ActionID"] == "k-answer"
            assert originate["ChannelId"] == "k-answer"
            assert originate["Channel"] == "PJSIP/+8613800138000@trunk"
            assert originate["Timeout"] == "20000"
            assert originate["Async"] == "true"
            assert (originate["Context"], originate["Exten"], originate["Priority"]) == (
                "servicefirst-dialer", "s", "1",
            )  # fmt: skip
            assert originate["CallerID"] == "95555"
            assert events.kinds("k-answer") == ["ringing", "answered"]

            await telephony.bridge("k-answer", "PJSIP/201")
            agent_leg = asterisk.sent("Originate")[1]
            assert agent_leg["Channel"] == "PJSIP/201"
            assert agent_leg["Application"] == "Bridge"
            assert agent_leg["Data"] == asterisk.channels["k-answer"]["Channel"]
            connected = await events.kind("k-answer", EventKind.CONNECTED)
            assert connected.detail["agent_uri"] == "PJSIP/201"

            asterisk.hang_up("k-answer")  # the customer puts the phone down
            hangup = await events.kind("k-answer", EventKind.HANGUP)
            assert hangup.detail["by"] == "customer"
            assert hangup.detail["cause"] == 16
            assert events.kinds("k-answer") == ["ringing", "answered", "connected", "hangup"]
        finally:
            await telephony.stop()

    run(scenario, tmp_path)


def test_busy_no_answer_invalid_and_machine_outcomes(tmp_path):
    async def scenario(asterisk, make):
        telephony = make(amd=True)
        events = await started(telephony)
        try:
            for key, number in (
                ("k-busy", "+8613800138001"),
                ("k-ring-out", "+8613800138002"),
                ("k-invalid", "+8613800138003"),
                ("k-machine", "+8613800138004"),
            ):
                await telephony.originate(key, number, ring_timeout_s=15)
            assert (await events.kind("k-busy", EventKind.BUSY)).detail["cause"] == 17
            assert (await events.kind("k-ring-out", EventKind.NO_ANSWER)).detail["cause"] == 19
            failed = await events.kind("k-invalid", EventKind.FAILED)
            assert failed.detail["reason"] == 0
            machine = await events.kind("k-machine", EventKind.MACHINE)
            assert machine.detail["amd"] == "machine"
            assert events.kinds("k-busy") == ["busy"]
            assert events.kinds("k-ring-out") == ["ringing", "no_answer"]
            assert events.kinds("k-invalid") == ["failed"]
            assert events.kinds("k-machine") == ["ringing", "machine"]

            await telephony.hangup("k-machine")
            (hangup_action,) = asterisk.sent("Hangup")
            assert hangup_action["Channel"].startswith("PJSIP/trunk-")
            assert (await events.kind("k-machine", EventKind.HANGUP)).detail["by"] == "system"
        finally:
            await telephony.stop()

    run(scenario, tmp_path)


def test_agent_hangs_up_and_abandoned_call_plays_the_message(tmp_path):
    async def scenario(asterisk, make):
        telephony = make()
        events = await started(telephony)
        try:
            await telephony.originate("k-talk", "+8613900139000", ring_timeout_s=20)
            await telephony.originate("k-drop", "+8613900139010", ring_timeout_s=20)
            await events.kind("k-talk", EventKind.ANSWERED)
            await events.kind("k-drop", EventKind.ANSWERED)

            await telephony.bridge("k-talk", "PJSIP/202")
            await telephony.hangup("k-talk")
            assert (await events.kind("k-talk", EventKind.HANGUP)).detail["by"] == "agent"

            await telephony.abandon("k-drop", "ServiceFirst Bank called; we will call again.")
            setvar = asterisk.sent("Setvar")[0]
            assert (setvar["Variable"], setvar["Value"]) == (
                "SF_ABANDON_MESSAGE", "ServiceFirst Bank called; we will call again.",
            )  # fmt: skip
            redirect = asterisk.sent("Redirect")[0]
            assert (redirect["Context"], redirect["Exten"]) == ("servicefirst-abandon", "s")
            hangup = await events.kind("k-drop", EventKind.HANGUP)
            assert hangup.detail["abandoned"] is True
            assert hangup.detail["message"] == "ServiceFirst Bank called; we will call again."
        finally:
            await telephony.stop()

    run(scenario, tmp_path)


def test_a_busy_agent_phone_leaves_the_customer_on_the_line(tmp_path):
    async def scenario(asterisk, make):
        telephony = make()
        events = await started(telephony)
        try:
            await telephony.originate("k-wait", "+8613900139020", ring_timeout_s=20)
            await events.kind("k-wait", EventKind.ANSWERED)
            with pytest.raises(TelephonyError):
                await telephony.bridge("k-wait", "PJSIP/busy-agent")
            assert "k-wait" in asterisk.channels  # still there
            await telephony.bridge("k-wait", "PJSIP/203")  # another agent takes it
            await events.kind("k-wait", EventKind.CONNECTED)
        finally:
            await telephony.stop()

    run(scenario, tmp_path)


def test_inbound_call_is_offered_and_answered_by_an_agent(tmp_path):
    async def scenario(asterisk, make):
        telephony = make()
        events = await started(telephony)
        try:
            asterisk.inbound("1700000000.42", caller="8613800138000", exten="95555")
            offered = await events.until(lambda e: e.kind == EventKind.OFFERED)
            assert offered.detail == {"caller": "8613800138000", "dialled": "95555"}
            await telephony.answer(offered.dial_key, "PJSIP/204")
            await events.kind(offered.dial_key, EventKind.CONNECTED)

            asterisk.inbound("1700000000.43", caller="8613800138009", exten="95555")
            second = await events.until(
                lambda e: e.kind == EventKind.OFFERED and e.dial_key != offered.dial_key
            )
            asterisk.hang_up("1700000000.43")  # gave up waiting
            gave_up = await events.kind(second.dial_key, EventKind.HANGUP)
            assert gave_up.detail["by"] == "customer"
            assert gave_up.detail["before_answer"] is True
        finally:
            await telephony.stop()

    run(scenario, tmp_path)


def test_restart_neither_redials_nor_loses_a_call(tmp_path):
    async def scenario(asterisk, make):
        first = make()
        events = await started(first)
        await first.originate("k-live", "+8613800138000", ring_timeout_s=20)
        await first.originate("k-gone", "+8613700137000", ring_timeout_s=20)
        await first.originate("k-busy", "+8613800138001", ring_timeout_s=20)
        await events.kind("k-live", EventKind.ANSWERED)
        await events.kind("k-gone", EventKind.ANSWERED)
        await events.kind("k-busy", EventKind.BUSY)
        await first.stop()  # the dialer dies here
        asterisk.hang_up("k-gone")  # ...and this customer hangs up meanwhile

        second = make()
        events = await started(second)
        try:
            with pytest.raises(AlreadyDialled):
                await second.originate("k-live", "+8613800138000", ring_timeout_s=20)
            assert [str(e.kind) for e in await second.recover("k-busy")] == ["busy"]
            assert [str(e.kind) for e in await second.recover("k-live")] == ["ringing", "answered"]
            gone = await second.recover("k-gone")
            assert [str(e.kind) for e in gone] == ["ringing", "answered", "hangup"]
            assert gone[-1].detail["lost"] is True
            assert len(asterisk.sent("Originate")) == 3  # nobody was called twice

            # The call still up is followed again: the agent can take it and hang up.
            await second.bridge("k-live", "PJSIP/205")
            await second.hangup("k-live")
            assert (await events.kind("k-live", EventKind.HANGUP)).detail["by"] == "agent"
        finally:
            await second.stop()

    run(scenario, tmp_path)


def test_a_refused_login_is_reported(tmp_path):
    async def scenario(asterisk, make):
        with pytest.raises(TelephonyError, match="refused"):
            await make(secret="wrong").start(Recorder())

    run(scenario, tmp_path)
