"""Smoke test of the load benchmark (bench/load.py): its virtual users (relationship managers,
kiosks, tellers, agents, back office) run for a few seconds against a live server of the
embedded kind on a small demo bank, and every kind of request they make succeeds at least
once and never fails. The load tool runs in its own process (locust patches the standard
library with gevent on import). The contact centre's dialer runs on the telephony simulator
in a thread, as its own process would, so that previewed calls connect and can be
dispositioned. No timing is asserted."""

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from servicefirst.core.demo import demo_load
from servicefirst.customers.models import Customer, CustomerPhone
from servicefirst.dialer import engine
from servicefirst.dialer.models import CallListEntry, Campaign
from servicefirst.dialer.telephony.simulator import SimulatorTelephony

ROOT = Path(__file__).resolve().parents[2]

KINDS = {
    "search name",
    "search pinyin",
    "search phone",
    "customer 360",
    "kiosk ticket",
    "teller call next",
    "teller finish",
    "teller waiting list",
    "agent preview next",
    "agent dial",
    "agent disposition",
    "request queue",
    "request detail",
    "request note",
    "request reply",
}


class Dialer:
    """The dialer process (engine.Dialer) on the simulator in its own thread and event loop:
    every customer answers after a short ring and stays on the line."""

    def __init__(self, tmp_path):
        telephony = SimulatorTelephony(
            journal_path=tmp_path / "journal.jsonl",
            answer_by_hour=dict.fromkeys(range(24), 1.0),
            busy_rate=0.0,
            machine_rate=0.0,
            setup_min_s=0.1,
            setup_max_s=0.2,
            ring_min_s=0.2,
            ring_max_s=0.5,
            seed="load-smoke",
            talk_times=[3600.0],
        )
        options = engine.Options.from_settings(robots=False, grace_s=1.0, lease_s=15.0)
        self.dialer = engine.Dialer(telephony, options=options, seed=3)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            asyncio.run(self.dialer.run())
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        loop = self.dialer._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: self.dialer.request_stop(now=True))
        self.thread.join(timeout=30)


@pytest.fixture
def demo_bank(transactional_db):
    """A small demo bank. Its predictive campaign takes every callable customer first, so a
    few of its list entries move to the preview campaign the agents work."""
    demo_load(customers=300, skip_uci=True)
    preview = Campaign.objects.get(mode=Campaign.Mode.PREVIEW)
    moved = CallListEntry.objects.exclude(campaign=preview).order_by("pk")[:60]
    CallListEntry.objects.filter(pk__in=list(moved.values_list("pk", flat=True))).update(
        campaign=preview
    )


def search_queries(path: Path) -> Path:
    """Names, pinyin and mobile numbers of the bank's customers, as the bench samples them."""
    rows = list(Customer.objects.exclude(name_zh="").values_list("name_zh", "pinyin_full")[:30])
    phones = CustomerPhone.objects.filter(e164__startswith="+861").values_list("e164", flat=True)
    queries = {
        "name": [name for name, _ in rows] + [name[:1] for name, _ in rows],
        "pinyin": [pinyin for _, pinyin in rows if pinyin],
        "phone": [e164[3:] for e164 in phones[:30]],
    }
    path.write_text(json.dumps(queries))
    return path


def test_every_kind_of_request_of_the_load_mix_succeeds(live_server, demo_bank, tmp_path):
    queries = search_queries(tmp_path / "queries.json")
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--host", live_server.url]
    command += ["--queries", str(queries)]
    command += ["--users", "16", "--spawn-rate", "16", "--duration", "25", "--kinds-json"]
    with Dialer(tmp_path):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    kinds = result["kinds"]
    missing = sorted(KINDS - {k for k, v in kinds.items() if v["requests"]})
    assert not missing, (missing, result["errors"])
    failed = {k: v["errors"] for k, v in kinds.items() if v["errors"]}
    assert not failed, (failed, result["errors"])
