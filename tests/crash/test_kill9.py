"""kill -9 in the middle of work, then a restart: nothing accepted is lost, nothing is done twice.

Real processes on this test's database (PostgreSQL when DATABASE_URL names it, as in CI; the
SQLite test database file otherwise — the processes share it):

- the web server (`uvicorn config.asgi:application`): clients create customers through the API
  in a loop; the server is killed with SIGKILL mid-stream and started again. Every write that
  was answered 201 is there, whole (its phone, its audit event), and every customer the
  interrupted requests left is whole too (a transaction commits all or nothing);
- the task worker (`servicefirst db_worker`): a customer import (`customers.tasks.run_import`,
  a resumable task) is killed in the middle of its writing and a worker is started again. The
  new worker re-queues the task the dead one held (core/workers.py: django-tasks-db has no
  recovery of its own), the import resumes after its last committed batch and finishes: each
  row of the file is one customer, the import is audited once, the task succeeded once.

The dialer's kill -9 test is servicefirst/dialer/tests/test_dialer_process.py (a busy predictive
campaign killed and restarted: every call has one outcome, the telephony journal shows no call
placed twice and no number called again before the retry rules allow).

The waits below are ceilings on how long a process may take to get somewhere, not timings."""

from __future__ import annotations

import csv
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Customer, CustomerPhone, ImportJob
from servicefirst.customers.synthetic import write_csv
from servicefirst.dialer.tests.test_dialer_process import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def process_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
            "SERVICEFIRST_VAR_DIR": str(tmp_path / "var"),
            "REDIS_URL": "",  # an in-process channel layer
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    env.pop("DEBUG", None)
    return env


def wait_for(condition, *, process: subprocess.Popen | None = None, ceiling: float = 180.0):
    give_up = time.monotonic() + ceiling
    while time.monotonic() < give_up:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process exited early (code {process.returncode})")
        time.sleep(0.05)
    raise AssertionError("the process did not get there in time")


def kill9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill9(process)


# --- the web server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(tmp_path: Path, log_name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = (tmp_path / log_name).open("w")
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=process_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def request(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - a local test server
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def serving(base: str, token: str) -> bool:
    try:
        return request(f"{base}/api/me", token)[0] == 200
    except OSError:
        return False


def test_web_server_killed_mid_stream_loses_no_acknowledged_write(tmp_path):
    clerk = make_staff(Role.BACK_OFFICE)
    token = token_create(staff=clerk, name="crash test")
    target = {"base": ""}
    acked: dict[int, int] = {}  # write number → customer id, for every 201
    tried: list[int] = []
    lock = threading.Lock()
    halt = threading.Event()
    numbers = iter(range(10**6))

    def writer():
        while not halt.is_set():
            base = target["base"]
            with lock:
                n = next(numbers)
                tried.append(n)
            try:
                status, body = request(
                    f"{base}/api/customers",
                    token,
                    {"name_latin": f"Crash {n:06d}", "phones": [f"139{n:08d}"]},
                )
            except (OSError, http.client.HTTPException, ValueError):
                # the server is down, or died during this request (the answer cut off)
                time.sleep(0.05)
                continue
            if status == 201:
                with lock:
                    acked[n] = body["id"]

    first, target["base"] = start_web(tmp_path, "web-1.log")
    second = None
    writers = [threading.Thread(target=writer, daemon=True) for _i in range(4)]
    try:
        wait_for(lambda: serving(target["base"], token), process=first)
        for t in writers:
            t.start()
        wait_for(lambda: len(acked) >= 40, process=first)
        kill9(first)  # in the middle of the stream: requests are in flight
        at_kill = len(acked)

        second, base = start_web(tmp_path, "web-2.log")
        wait_for(lambda: serving(base, token), process=second)
        target["base"] = base
        wait_for(lambda: len(acked) >= at_kill + 40, process=second)
    finally:
        halt.set()
        for t in writers:
            t.join(timeout=60)
        if first.poll() is None:
            kill9(first)
        if second is not None:
            stop(second)

    # every acknowledged write is there, as it was sent
    saved = {
        c.pk: c for c in Customer.objects.filter(name_latin__startswith="Crash ").order_by("pk")
    }
    for n, pk in acked.items():
        assert pk in saved, f"write {n} was acknowledged but is missing"
        assert saved[pk].name_latin == f"Crash {n:06d}"
    # nothing half-written: every customer (acknowledged or cut off) has its phone and its
    # audit event, and no request made two customers
    phones = dict(CustomerPhone.objects.values_list("customer_id", "e164"))
    audited = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.CUSTOMER_CREATE).values_list(
            "customer_id", flat=True
        )
    )
    for pk, customer in saved.items():
        n = int(customer.name_latin.split()[1])
        assert phones.get(pk) == f"+86139{n:08d}"
        assert pk in audited
    names = [c.name_latin for c in saved.values()]
    assert len(names) == len(set(names))
    assert len(acked) <= len(saved) <= len(tried)


# --- the task worker ----------------------------------------------------------------------------


def start_worker(tmp_path: Path, log_name: str) -> subprocess.Popen:
    log = (tmp_path / log_name).open("w")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "servicefirst",
            "db_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=settings.BASE_DIR,
        # Small batches: the import commits often, so the kill lands between two of them.
        env=process_env(tmp_path, IMPORT_BATCH_SIZE="50"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_worker_killed_mid_task_is_recovered_and_the_task_takes_effect_once(tmp_path):
    from servicefirst.customers.tasks import run_import

    rows = 3000
    path = tmp_path / "customers.csv"
    write_csv(path, rows, seed=7)
    with path.open(encoding="utf-8") as fh:
        keys = {row["external_id"] for row in csv.DictReader(fh)}
    assert len(keys) == rows
    job = ImportJob.objects.create(file_name=path.name, file_path=str(path), mapping="customers")
    result = run_import.enqueue(job.pk)

    def job_state() -> tuple[str, str, int]:
        fresh = ImportJob.objects.get(pk=job.pk)
        return fresh.status, (fresh.result or {}).get("phase", ""), fresh.processed_rows

    first = start_worker(tmp_path, "worker-1.log")
    second = None
    try:
        # when the worker is in the middle of writing (some batches committed, not all)
        wait_for(
            lambda: (lambda s: s[1] == "writing" and 0 < s[2] < rows)(job_state()),
            process=first,
        )
        kill9(first)
        status, phase, written = job_state()
        assert (status, phase) == (ImportJob.Status.RUNNING, "writing")
        assert 0 < written < rows, "the kill came too late to test anything"
        task = DBTaskResult.objects.get(pk=result.id)
        assert task.status == TaskResultStatus.RUNNING  # left by the dead worker
        assert Customer.objects.count() == written  # the committed batches, no more

        # then a new worker re-queues the dead worker's task and runs it to the end
        second = start_worker(tmp_path, "worker-2.log")
        wait_for(
            lambda: (
                DBTaskResult.objects.get(pk=result.id).status
                in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
            ),
            process=second,
            ceiling=600,
        )
    finally:
        if first.poll() is None:
            kill9(first)
        if second is not None:
            stop(second)

    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == TaskResultStatus.SUCCESSFUL, task.traceback
    assert len(task.worker_ids) == 2  # the dead worker, then the one that finished it
    assert "re-queued" in (tmp_path / "worker-2.log").read_text()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.result["created"], job.result["updated"]) == (rows, 0)
    # the effect, exactly once: one customer per row of the file, the import audited once
    assert Customer.objects.count() == rows
    assert set(Customer.objects.values_list("source_key", flat=True)) == keys
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.IMPORT, object_type="import", object_id=str(job.pk)
        ).count()
        == 1
    )
