"""Background jobs of the scoring app (run by `servicefirst db_worker`)."""

from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.core.errors import ValidationFailed
from servicefirst.scoring import services
from servicefirst.scoring.models import TrainingJob


@task()
def run_job(job_id: int) -> dict:
    """Run one training or scoring job registered by `services.job_create`."""
    job = TrainingJob.objects.select_related("created_by__user", "product").get(pk=job_id)
    # RUNNING: the worker that ran it died and the task was re-queued (core/workers.py), so it
    # runs again (scores are replaced batch by batch; a model version is saved in one step).
    if job.status not in (TrainingJob.Status.PENDING, TrainingJob.Status.RUNNING):
        return {"status": job.status}
    actor = job.created_by.user if job.created_by else None
    with request_context(channel="task"):
        try:
            if job.kind == TrainingJob.Kind.TRAIN:
                model = services.model_train(actor=actor, product_code=job.product.code, job=job)
                return {"status": job.status, "version": model.version, "model": model.status}
            scored = services.scores_refresh(actor=actor, product_code=job.product.code, job=job)
            return {"status": job.status, "scored": scored}
        except ValidationFailed:
            # Recorded on the job (status failed, message); nothing else to retry.
            return {"status": TrainingJob.Status.FAILED}
