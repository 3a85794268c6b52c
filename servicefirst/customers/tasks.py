"""Background tasks of the customer database (run by `servicefirst db_worker`)."""

from django_tasks import task

from servicefirst.core.context import request_context
from servicefirst.customers.importing import import_customers
from servicefirst.customers.models import ImportJob


@task()
def run_import(job_id: int) -> dict:
    """Run (or resume) one import job from the import page. Returns the counts."""
    job = ImportJob.objects.select_related("created_by__user").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED):
        return {"status": job.status}
    actor = job.created_by.user if job.created_by else None
    with request_context(channel="task"):
        result = import_customers(
            actor=actor,
            path=job.file_path,
            mapping=job.mapping,
            valid_only=job.valid_only,
            job=job,
        )
    return {
        "status": job.status,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "bad_rows": result.bad_lines,
    }
