"""`servicefirst scheduler`: enqueue the periodic jobs of core/scheduler.py when they are due,
each once per period (remembered in the database, so restarts do not run a period twice).
Workers run the enqueued tasks: `servicefirst db_worker`."""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from servicefirst.core import scheduler


class Command(BaseCommand):
    help = (
        "Run the periodic-job scheduler: enqueue each job of servicefirst/core/scheduler.py "
        "once per period (daily at HH:MM, or every N minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="enqueue what is due now and exit (for cron)"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=20.0,
            help="seconds between checks (default 20)",
        )
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args, **options):
        problems = scheduler.validate()
        if problems:
            raise CommandError("; ".join(problems))
        if options["list"]:
            for job in scheduler.JOBS:
                self.stdout.write(f"{job.name:30} {job.describe():20} {job.task}")
            return
        if options["once"]:
            self._tick()
            return
        if options["interval"] <= 0:
            raise CommandError("--interval must be positive")
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"scheduler: {len(scheduler.JOBS)} jobs, checking every {options['interval']:g} s"
        )
        while not stopping:
            close_old_connections()
            try:
                self._tick()
            except Exception as exc:  # the database went away: report and try again
                self.stderr.write(f"scheduler: {exc}")
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, options["interval"]))
        self.stdout.write("scheduler: stopped")

    def _tick(self) -> None:
        for run in scheduler.run_due():
            self.stdout.write(
                f"{timezone.localtime():%Y-%m-%d %H:%M:%S} enqueued {run.job} "
                f"for {run.period} (task {run.task_result_id})"
            )
