"""Background task of data retention (run by `servicefirst db_worker`)."""

import datetime

from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.privacy import services


@task()
def retention_apply(as_of: str | None = None, grace_days: int | None = None) -> dict:
    """Anonymise every erasure candidate as of `as_of` (ISO date-time; default now). Takes
    plain values, calls the one service; returns the counts."""
    when = datetime.datetime.fromisoformat(as_of) if as_of else None
    with request_context(channel="task"):
        return services.retention_run(actor=None, apply=True, as_of=when, grace_days=grace_days)
