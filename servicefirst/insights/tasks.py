"""Background tasks of customer insight (run by `servicefirst db_worker`)."""

from django.utils import timezone
from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.insights.models import ClassificationJob


@task()
def run_classification(job_id: int) -> dict:
    """Recompute every customer's class, tier and reason, with progress on the job."""
    from servicefirst.insights.services import classification_run

    job = ClassificationJob.objects.select_related("created_by__user").get(pk=job_id)
    if job.status == ClassificationJob.Status.DONE:
        return job.result
    actor = job.created_by.user if job.created_by else None
    try:
        with request_context(channel="task"):
            return classification_run(actor=actor, job=job)
    except Exception as exc:
        ClassificationJob.objects.filter(pk=job.pk).update(
            status=ClassificationJob.Status.FAILED,
            finished_at=timezone.now(),
            result={"error": str(exc)[:500]},
        )
        raise
