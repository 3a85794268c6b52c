"""Background jobs of the commitments engine (run by `servicefirst db_worker`)."""

from django_tasks import task

from servicefirst.commitments import engine
from servicefirst.core.context import request_context


@task()
def engine_tick() -> dict:
    """One catch-up of the event log and one deadline sweep, under the engine's lease: the
    scheduler's fallback (every minute) for when `servicefirst commitments_engine` is not
    running. Skipped while a live engine holds the lease."""
    with request_context(channel="task"):
        return engine.tick()
