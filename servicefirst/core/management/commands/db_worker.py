"""`servicefirst db_worker`: django-tasks-db's worker, plus the recovery of tasks whose worker
died holding them (servicefirst/core/workers.py): the worker is named after its host and pid
(and on PostgreSQL keeps a session of that name open), and at start and every 30 seconds it
re-queues the RUNNING tasks of dead workers. Same options as the library's command."""

from django_tasks_db.management.commands.db_worker import Command as LibraryCommand

from servicefirst.core import workers


class Command(LibraryCommand):
    help = (
        "Run a database background worker; tasks left RUNNING by a worker that died are "
        "re-queued (at start and every 30 s)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=workers.worker_name())

    def handle(self, *args, **options):
        self.configure_logging(options["verbosity"])
        backend_name = options["backend_name"]
        workers.keep_alive(options["worker_id"])
        counts = workers.reap(backend_name)
        if any(counts.values()):
            self.stdout.write(
                f"db_worker: {counts['requeued']} task(s) of dead workers re-queued, "
                f"{counts['failed']} failed after {workers.MAX_ATTEMPTS} attempts"
            )
        reaper = workers.start_reaper(backend_name)
        try:
            super().handle(*args, **options)
        finally:
            # a worker run in-process (batch mode, tests) leaves no thread or session behind
            reaper.set()
            workers.let_go()
