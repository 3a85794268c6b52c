"""Task workers that die holding a task (kill -9, out of memory, a lost machine).

django-tasks-db marks a task RUNNING when a worker claims it and has no recovery of its own:
a task whose worker died would stay RUNNING for ever and its effect would never happen. So
`servicefirst db_worker` (core/management/commands/db_worker.py, in place of the library's):

- names each worker `sfw:<host>:<pid>:<random>`, and on PostgreSQL keeps one idle database
  session open for the worker's life with that name as its `application_name` (the session
  ends with the process, kill -9 included: the server sees the socket close);
- at start, and then every REAP_EVERY_S seconds, puts back in the queue (READY) every RUNNING
  task whose worker is gone: on this host, its pid no longer runs; on another host (PostgreSQL),
  no database session carries its name. Workers named otherwise (a plain django-tasks-db
  worker, a `--worker-id` of one's own) are never judged gone;
- marks FAILED (WorkerLost) instead a task that MAX_ATTEMPTS workers have died running: a task
  that kills its worker would otherwise kill every worker in turn.

A task is therefore run at least once; each task's effect must be idempotent, or resume where
the dead worker stopped (the customer import resumes after its last committed batch; a
classification run recomputes; a training or scoring job restarts). Two workers reaping at
once re-queue a task once: the change is a conditional UPDATE on (status, started_at).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from django.db import connection, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

log = logging.getLogger("servicefirst.workers")

PREFIX = "sfw"
REAP_EVERY_S = 30.0
MAX_ATTEMPTS = 3

_keeper = None  # the PostgreSQL session that says this worker is alive (kept referenced)


class WorkerLost(Exception):
    """Every worker that ran this task died in it (recorded on the task as its error)."""


def _host() -> str:
    return socket.gethostname().replace(":", "-")[:24] or "localhost"


def worker_name() -> str:
    """This process's worker id: `sfw:<host>:<pid>:<random>` (at most 64 characters)."""
    return f"{PREFIX}:{_host()}:{os.getpid()}:{get_random_string(12)}"


def _parse(worker_id: str) -> tuple[str, int] | None:
    parts = worker_id.split(":")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs here (a zombie, killed and not yet collected by
    its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # "pid (command) state ...": the state follows the last ")".
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def keep_alive(worker_id: str, using: str = "default") -> None:
    """On PostgreSQL, open the idle session named after this worker (see the module
    docstring). Nothing to do on SQLite: its workers all run on the database's host."""
    global _keeper
    db = connections[using]
    if db.vendor != "postgresql":
        return
    params = db.get_connection_params()
    params["application_name"] = worker_id
    params["autocommit"] = True  # idle, never "idle in transaction"
    _keeper = db.Database.connect(**params)


def let_go() -> None:
    """Close the session `keep_alive` opened: the worker has stopped (a worker run in-process,
    in batch mode or by the tests, must not leave it open)."""
    global _keeper
    if _keeper is not None:
        _keeper.close()
        _keeper = None


def _sessions(names: set[str], using: str) -> set[str]:
    """Which of these worker names have a database session (PostgreSQL)."""
    if not names:
        return set()
    with connections[using].cursor() as cursor:
        # Inside a transaction the server keeps showing the sessions as first seen in it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity "
            "WHERE application_name = ANY(%s)",
            [list(names)],
        )
        return {row[0] for row in cursor.fetchall()}


def gone(worker_ids: list[str], using: str = "default") -> set[str]:
    """The workers of this list known to be dead."""
    here = _host()
    dead, elsewhere = set(), set()
    for worker_id in set(worker_ids):
        parsed = _parse(worker_id)
        if parsed is None:
            continue  # not ours to judge
        host, pid = parsed
        if host == here:
            if not pid_alive(pid):
                dead.add(worker_id)
        else:
            elsewhere.add(worker_id)
    if elsewhere and connections[using].vendor == "postgresql":
        dead |= elsewhere - _sessions(elsewhere, using)
    return dead


def reap(backend_name: str = "default") -> dict[str, int]:
    """Re-queue the RUNNING tasks of dead workers (or fail those that MAX_ATTEMPTS workers died
    running). Returns how many of each."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    running = list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, backend_name=backend_name
        ).only("id", "worker_ids", "started_at", "task_path")
    )
    dead = gone([t.worker_ids[-1] for t in running if t.worker_ids])
    counts = {"requeued": 0, "failed": 0}
    for task in running:
        if not task.worker_ids or task.worker_ids[-1] not in dead:
            continue
        still = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        if len(task.worker_ids) >= MAX_ATTEMPTS:
            lost = WorkerLost(
                f"{len(task.worker_ids)} workers died running this task: "
                + ", ".join(task.worker_ids)
            )
            changed = still.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: {lost}\n",
            )
            counts["failed"] += changed
            if changed:
                log.error("task %s (%s) failed: %s", task.pk, task.task_path, lost)
        else:
            changed = still.update(status=TaskResultStatus.READY, started_at=None)
            counts["requeued"] += changed
            if changed:
                log.warning(
                    "task %s (%s) re-queued: its worker %s is gone",
                    task.pk,
                    task.task_path,
                    task.worker_ids[-1],
                )
    return counts


def start_reaper(backend_name: str = "default", every_s: float = REAP_EVERY_S) -> threading.Event:
    """Reap every `every_s` seconds in a daemon thread (its own database connection). Set the
    returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            try:
                reap(backend_name)
            except Exception:  # the database went away: try again next round
                log.exception("reaping dead workers' tasks failed")
            finally:
                connection.close()

    threading.Thread(target=loop, name="task-reaper", daemon=True).start()
    return stop
