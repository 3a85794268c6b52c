"""Periodic jobs: which background task runs when. `servicefirst scheduler` enqueues each job
once per period onto the django-tasks queue (workers run it: `servicefirst db_worker`).

A job runs either daily at a local time (HH:MM, in settings.TIME_ZONE) or every N minutes
(periods aligned on local midnight). Each enqueued period is remembered in the database
(`core.ScheduledRun`, unique per job and period) in the same transaction as the enqueued task,
so a restarted scheduler — or two schedulers by mistake — never enqueue a period twice. A
scheduler that was down when a daily job was due enqueues it when it comes back the same day;
days it missed entirely are not caught up.

To add a job, append a `Job` to JOBS: a stable name, the dotted path of a django-tasks task,
and when. With `pass_day=True` the task receives the period's local day as an ISO string.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    daily_at: str | None = None  # "HH:MM" local time
    every_minutes: int | None = None
    pass_day: bool = False

    def __post_init__(self) -> None:
        if (self.daily_at is None) == (self.every_minutes is None):
            raise ValueError(f"job {self.name}: give exactly one of daily_at or every_minutes")
        if self.daily_at is not None:
            datetime.time.fromisoformat(self.daily_at)
        if self.every_minutes is not None and not 1 <= self.every_minutes <= 1440:
            raise ValueError(f"job {self.name}: every_minutes must be between 1 and 1440")

    def current_period(self, now: datetime.datetime) -> tuple[str, datetime.date] | None:
        """(period key, local day) of the period `now` falls in, if the job is due by now."""
        local = timezone.localtime(now)
        if self.daily_at is not None:
            if local.time() < datetime.time.fromisoformat(self.daily_at):
                return None
            return local.date().isoformat(), local.date()
        minutes = local.hour * 60 + local.minute
        start = minutes - minutes % self.every_minutes
        return f"{local.date().isoformat()}T{start // 60:02d}:{start % 60:02d}", local.date()

    def describe(self) -> str:
        if self.daily_at is not None:
            return f"daily at {self.daily_at}"
        return f"every {self.every_minutes} min"


JOBS: list[Job] = [
    Job(
        name="lobby.greetings",
        task="servicefirst.lobby.tasks.greetings_schedule",
        daily_at="08:00",
        pass_day=True,
    ),
    Job(
        name="floor.relearn_service_times",
        task="servicefirst.floor.tasks.relearn_service_times",
        daily_at="22:30",
    ),
    Job(
        name="floor.mark_missed_appointments",
        task="servicefirst.floor.tasks.mark_missed_appointments",
        every_minutes=15,
    ),
    Job(
        name="dialer.callbacks",
        task="servicefirst.dialer.callbacks.callbacks_tick",
        every_minutes=1,
    ),
    Job(
        # A fallback: `servicefirst commitments_engine` measures within seconds; when it is not
        # running, the worker catches up every minute (skipped while the engine holds its lease).
        name="commitments.engine_tick",
        task="servicefirst.commitments.tasks.engine_tick",
        every_minutes=1,
    ),
    Job(
        name="satisfaction.invite",
        task="servicefirst.satisfaction.tasks.invite_customers",
        every_minutes=5,
    ),
]


def validate(jobs: list[Job] | None = None) -> list[str]:
    """Problems with the job list (unknown task paths, duplicate names); empty when sound."""
    from django_tasks.base import Task

    jobs = JOBS if jobs is None else jobs
    problems = []
    names = [job.name for job in jobs]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"duplicate job name {name}")
    for job in jobs:
        try:
            target = import_string(job.task)
        except ImportError as exc:
            problems.append(f"{job.name}: cannot import {job.task} ({exc})")
            continue
        if not isinstance(target, Task):
            problems.append(f"{job.name}: {job.task} is not a django-tasks task")
    return problems


@dataclass(frozen=True)
class Enqueued:
    job: str
    period: str
    task_result_id: str


def run_due(now: datetime.datetime | None = None, jobs: list[Job] | None = None) -> list[Enqueued]:
    """Enqueue every job due at `now` whose current period has not been enqueued yet."""
    from servicefirst.core.models import ScheduledRun

    now = now or timezone.now()
    jobs = JOBS if jobs is None else jobs
    due = [(job, p) for job in jobs if (p := job.current_period(now)) is not None]
    if not due:
        return []
    done = set(
        ScheduledRun.objects.filter(
            job__in=[job.name for job, _p in due], period__in=[key for _j, (key, _d) in due]
        ).values_list("job", "period")
    )
    out = []
    for job, (key, day) in due:
        if (job.name, key) in done:
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period=key)
                args = (day.isoformat(),) if job.pass_day else ()
                result = import_string(job.task).enqueue(*args)
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:  # another scheduler enqueued this period meanwhile
            continue
        except Exception:  # a broken job must not stop the others; it is retried next tick
            log.exception("scheduler: could not enqueue %s for %s", job.name, key)
            continue
        log.info("scheduler: enqueued %s for %s", job.name, key)
        out.append(Enqueued(job=job.name, period=key, task_result_id=run.task_result_id))
    return out
