"""Background jobs of the branch floor (run by `servicefirst db_worker`; scheduled by the
scheduler): relearn service times nightly, mark missed appointments every 15 minutes."""

from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.floor.appointments import appointments_mark_missed
from servicefirst.floor.prediction import learn_service_times


@task()
def relearn_service_times(branch_id: int | None = None) -> dict:
    """Recompute the service-time distributions (one branch, or every branch). Nightly."""
    with request_context(channel="task"):
        return {"stats": learn_service_times(branch_id)}


@task()
def mark_missed_appointments() -> dict:
    """Record the appointments whose slot passed without a check-in. Every 15 minutes."""
    with request_context(channel="task"):
        return {"missed": appointments_mark_missed()}
