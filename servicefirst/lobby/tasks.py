"""Background tasks of the lobby (run by `servicefirst db_worker`; the scheduler enqueues
greetings_schedule every morning, see servicefirst/core/scheduler.py)."""

import datetime
import logging

from django_tasks import task

from servicefirst.core.context import request_context

log = logging.getLogger(__name__)


@task()
def greetings_schedule(day: str) -> dict:
    """Birthday and holiday greetings for the day (ISO date). Safe to run again."""
    from servicefirst.lobby import services

    def progress(stage: str, done: int, total: int | None) -> None:
        log.info("greetings %s: %s/%s", stage, done, total)

    with request_context(channel="task"):
        return services.greetings_schedule(day=datetime.date.fromisoformat(day), progress=progress)
