"""Crash and resume: `servicefirst dialer` runs as its own process against this test
database, is killed with SIGKILL in the middle of a busy campaign, and is started again.
Afterwards every call has exactly one outcome, the telephony journal shows that no call was
placed twice and nobody was called again before the retry rules allowed, and every call-list
entry is accounted for (its attempts are its calls). Runs on PostgreSQL (DATABASE_URL) and
on SQLite (the test database file)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from servicefirst.customers.models import Interaction
from servicefirst.dialer.durations import talk_durations
from servicefirst.dialer.models import AgentState, Call, CallListEntry, DialerProcess
from servicefirst.dialer.telephony.journal import CallJournal
from servicefirst.dialer.tests.test_engine import RETRY_HOURS, fill_list, make_campaign, robot

pytestmark = pytest.mark.django_db(transaction=True)

TIME_SCALE = 0.1
LIVE = (Call.State.DIALING, Call.State.RINGING, Call.State.ANSWERED, Call.State.CONNECTED)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor != "postgresql":
        pytest.skip(f"no subprocess database URL for {connection.vendor}")
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def start_dialer(tmp_path: Path, log_name: str, *extra: str) -> subprocess.Popen:
    """`python -m servicefirst dialer` on the test database, the simulator's journal under
    tmp_path, any hour answered like the middle of the day, talk times from the real call
    durations' percentiles (an eighth as long, so the test sees many calls)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
            "SERVICEFIRST_VAR_DIR": str(tmp_path / "var"),
            "DATASETS_DIR": str(settings.DATASETS_DIR),
            "REDIS_URL": "",  # the board is not watching: an in-process channel layer
            "TELEPHONY_ADAPTER": "simulator",
            "LOG_LEVEL": "WARNING",
        }
    )
    talks = [round(t / 8, 1) for t in statistics.quantiles(talk_durations(), n=50)]
    command = [
        sys.executable,
        "-m",
        "servicefirst",
        "dialer",
        "--robots",
        "--time-scale",
        str(TIME_SCALE),
        "--telephony-option",
        "ANSWER_BY_HOUR=" + json.dumps(dict.fromkeys(range(24), 0.35)),
        "--telephony-option",
        "TALK_TIMES=" + json.dumps(talks),
        *extra,
    ]
    log = (tmp_path / log_name).open("w")
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, *, process: subprocess.Popen, ceiling: float = 120.0) -> None:
    give_up = time.monotonic() + ceiling
    while time.monotonic() < give_up:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the dialer exited early (code {process.returncode})")
        time.sleep(0.2)
    raise AssertionError("the dialer did not get there in time")


def originations(journal: CallJournal) -> dict[str, list[dict]]:
    return {
        key: [r for r in journal.records(key) if r.get("op") == "originate"]
        for key in journal.keys()  # noqa: SIM118 - a journal is not a mapping
    }


def test_a_dialer_killed_mid_campaign_resumes_without_losing_or_repeating_a_call(tmp_path):
    # given a busy predictive campaign: 8 robot agents, 150 customers
    campaign = make_campaign()
    fill_list(campaign, 150)
    for _i in range(8):
        robot(campaign)

    # when the dialer runs until calls are under way and agents are talking, and is killed
    first = start_dialer(tmp_path, "first.log")
    try:
        wait_for(
            lambda: (
                Call.objects.filter(campaign=campaign).count() >= 40
                and Call.objects.filter(state=Call.State.CONNECTED).exists()
            ),
            process=first,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    left_live = Call.objects.filter(state__in=LIVE).count()
    dialled_before = Call.objects.count()
    assert left_live > 0  # the crash interrupted calls

    # and started again, dials on, and is stopped with SIGTERM (gracefully: calls finish)
    second = start_dialer(tmp_path, "second.log", "--grace", "120")
    try:
        wait_for(lambda: Call.objects.count() >= dialled_before + 20, process=second)
    finally:
        second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=240) == 0
    output = (tmp_path / "second.log").read_text()
    assert "dialer: stopped" in output
    assert "dialled before" not in output  # never asked the port to place a known call again

    # then the second process took over at once (the first one's pid was gone) and went on
    process = DialerProcess.objects.get(name="dialer")
    assert process.pid == second.pid
    assert process.stopped_at is not None
    calls = list(Call.objects.filter(campaign=campaign))
    assert len(calls) > dialled_before

    # every call has exactly one outcome: over, an outcome, one entry on the timeline
    assert {c.state for c in calls} == {Call.State.ENDED}
    assert all(c.outcome for c in calls)
    for call in calls:
        assert Interaction.objects.filter(source_key=call.dial_key).count() == 1
    assert not AgentState.objects.filter(
        status__in=(AgentState.Status.RESERVED, AgentState.Status.ON_CALL)
    ).exists()

    # no call was placed twice, and the port placed only calls the database knows
    journal = CallJournal(tmp_path / "var" / "telephony-sim" / "journal.jsonl")
    placed = originations(journal)
    assert all(len(records) == 1 for records in placed.values())
    by_key = {c.dial_key: c for c in calls}
    assert set(placed) <= set(by_key)

    # nobody was called twice within the retry interval, nor while a call to them was live
    by_number: dict[str, list[Call]] = {}
    for key, (record, *_rest) in sorted(placed.items(), key=lambda kv: kv[1][0]["at"]):
        by_number.setdefault(record["number"], []).append(by_key[key])
    for number_calls in by_number.values():
        assert len(number_calls) <= 3  # the weekly limit
        for before, after in itertools.pairwise(number_calls):
            assert before.outcome in RETRY_HOURS
            allowed = before.ended_at + dt.timedelta(hours=RETRY_HOURS[before.outcome])
            assert after.dialed_at >= allowed

    # no entry lost: each is finished, scheduled, used up or still to call, attempts = calls
    for entry in CallListEntry.objects.filter(campaign=campaign):
        assert entry.status in (
            CallListEntry.Status.DONE,
            CallListEntry.Status.SCHEDULED,
            CallListEntry.Status.EXHAUSTED,
            CallListEntry.Status.PENDING,
        )
        assert entry.attempts == Call.objects.filter(entry=entry).count()
