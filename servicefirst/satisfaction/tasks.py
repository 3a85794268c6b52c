"""Background jobs of the satisfaction app (run by `servicefirst db_worker`; scheduled by the
scheduler): invite customers after their touchpoints, every 5 minutes."""

from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.satisfaction.services import invite_from_events


@task()
def invite_customers() -> dict:
    """Read the new service events and create the survey invitations they call for."""
    with request_context(channel="task"):
        return invite_from_events()
