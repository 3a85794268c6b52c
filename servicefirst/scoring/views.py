"""Pages of the scoring app: the next-best-offer card of the Customer 360 (htmx) and the
models page (versions, training and scoring jobs with progress). Each view calls one
service or selector."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.scoring import selectors, services
from servicefirst.scoring.models import TrainingJob


@login_required
def offer_card(request, customer_id: int):
    try:
        nbo = selectors.next_best_offer(actor=request.user, customer_id=customer_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "scoring/_offer_card.html", {"nbo": nbo})


def _require_manage(request) -> None:
    try:
        services.require_manage(request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc


@login_required
def models_page(request):
    _require_manage(request)
    return render(
        request,
        "scoring/models.html",
        {
            "overview": selectors.models_overview(),
            "jobs": selectors.recent_jobs(),
            "products": selectors.trainable_products(),
        },
    )


def _enqueue(job_id: int) -> None:
    from servicefirst.scoring.tasks import run_job

    run_job.enqueue(job_id)


@login_required
@require_POST
def job_start(request):
    _require_manage(request)
    try:
        with transaction.atomic():
            job = services.job_create(
                actor=request.user,
                product_code=request.POST.get("product_code", ""),
                kind=request.POST.get("kind", ""),
            )
            transaction.on_commit(lambda: _enqueue(job.pk))
    except ValidationFailed:
        return redirect("scoring:models")
    return redirect("scoring:job", job_id=job.pk)


@login_required
def job_status(request, job_id: int):
    _require_manage(request)
    job = get_object_or_404(TrainingJob.objects.select_related("product", "model"), pk=job_id)
    finished = job.status in (TrainingJob.Status.DONE, TrainingJob.Status.FAILED)
    template = "scoring/_job_progress.html" if request.htmx else "scoring/job.html"
    return render(request, template, {"job": job, "finished": finished})
