"""The recovery of tasks whose worker died holding them (servicefirst/core/workers.py): which
workers are judged gone, what is re-queued, what is failed, and that `servicefirst db_worker`
is the project's command. The kill -9 of a real worker is tests/crash/test_kill9.py."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from servicefirst.core import workers

pytestmark = pytest.mark.django_db


def dead_pid() -> int:
    """The pid of a process that has ended (and been collected)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def running(*worker_ids: str) -> DBTaskResult:
    from servicefirst.floor.tasks import mark_missed_appointments

    result = mark_missed_appointments.enqueue()
    task = DBTaskResult.objects.get(pk=result.id)
    task.status = TaskResultStatus.RUNNING
    task.started_at = timezone.now()
    task.worker_ids = list(worker_ids)
    task.save()
    return task


def here(pid: int) -> str:
    return f"sfw:{workers._host()}:{pid}:abcdefabcdef"


def test_db_worker_is_the_projects_command():
    assert get_commands()["db_worker"] == "servicefirst.core"


def test_worker_names_carry_host_and_pid_and_fit_the_column():
    name = workers.worker_name()
    assert name.startswith(f"sfw:{workers._host()}:{os.getpid()}:")
    assert len(name) <= 64


def test_a_task_of_a_dead_worker_is_requeued_and_a_live_ones_is_not():
    orphan = running(here(dead_pid()))
    alive = running(here(os.getpid()))
    foreign = running("some-other-worker-id")  # not named by us: never judged
    assert workers.reap() == {"requeued": 1, "failed": 0}
    orphan.refresh_from_db()
    assert (orphan.status, orphan.started_at) == (TaskResultStatus.READY, None)
    assert len(orphan.worker_ids) == 1  # the history of attempts stays
    for task in (alive, foreign):
        task.refresh_from_db()
        assert task.status == TaskResultStatus.RUNNING
    assert workers.reap() == {"requeued": 0, "failed": 0}  # once only


def test_a_task_that_every_worker_died_in_is_failed_not_retried_for_ever():
    pid = dead_pid()
    task = running(*[here(pid)] * workers.MAX_ATTEMPTS)
    assert workers.reap() == {"requeued": 0, "failed": 1}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "servicefirst.core.workers.WorkerLost"
    assert "died running this task" in task.traceback


def test_a_zombie_counts_as_dead():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # ended but not collected yet: a zombie
        deadline = time.monotonic() + 30
        while workers.pid_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not workers.pid_alive(process.pid)
    finally:
        process.wait()


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="workers on other hosts are judged by their PostgreSQL session",
)
def test_a_worker_on_another_host_is_alive_while_its_session_is():
    name = "sfw:elsewhere:4242:abcdefabcdef"
    task = running(name)
    workers.keep_alive(name)
    try:
        assert workers.reap() == {"requeued": 0, "failed": 0}
    finally:
        workers._keeper.close()  # the worker "dies": its session ends with it
        workers._keeper = None
    deadline = time.monotonic() + 30  # the server ends the session as it sees it close
    while name not in workers.gone([name]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers.reap() == {"requeued": 1, "failed": 0}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
