"""Import and export pages. The import runs as a background task (`tasks.run_import`); its
status page polls with htmx until the report is ready. Each view calls one service."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, scope_for, staff_of
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.uploads import TABULAR, UploadValidator
from servicefirst.customers import exporting, importing
from servicefirst.customers.mappings import CUSTOMER_COLUMNS, mapping_choices
from servicefirst.customers.models import Customer, ImportJob


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
        validators=[UploadValidator(TABULAR, "IMPORT_MAX_UPLOAD_MB")],
    )
    mapping = forms.ChoiceField(label=_("Column mapping"), choices=mapping_choices)
    valid_only = forms.BooleanField(
        label=_("Import only the valid rows (otherwise a file with any bad row is rejected)"),
        required=False,
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX")], initial="csv"
    )
    branch = forms.ModelChoiceField(
        label=_("Home branch"),
        queryset=Unit.objects.filter(kind=Unit.Kind.BRANCH),
        required=False,
        empty_label=_("All branches"),
    )
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"),
        choices=[("", _("All"))] + list(Customer.Lifecycle.choices),
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("Value tier"),
        choices=[("", _("All"))] + list(Customer.Tier.choices),
        required=False,
    )


def _require(request, action: str) -> None:
    if scope_for(request.user, action) == 0:
        raise DjangoPermissionDenied


@login_required
def import_start(request):
    _require(request, Action.CUSTOMER_IMPORT)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    job = importing.import_job_create(
                        actor=request.user,
                        uploaded=form.cleaned_data["file"],
                        mapping=form.cleaned_data["mapping"],
                        valid_only=form.cleaned_data["valid_only"],
                    )
                    transaction.on_commit(lambda: _enqueue(job.pk))
            except ValidationFailed as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                return redirect("customers:import_status", job_id=job.pk)
    else:
        form = ImportForm(initial={"mapping": "customers"})
    jobs = ImportJob.objects.filter(created_by=staff_of(request.user))[:10]
    return render(
        request,
        "customers/import.html",
        {"form": form, "jobs": jobs, "columns": CUSTOMER_COLUMNS},
    )


def _enqueue(job_id: int) -> None:
    from servicefirst.customers.tasks import run_import

    run_import.enqueue(job_id)


@login_required
def import_status(request, job_id: int):
    _require(request, Action.CUSTOMER_IMPORT)
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.created_by_id is None or job.created_by_id != getattr(
        staff_of(request.user), "pk", None
    ):
        raise Http404
    if request.method == "POST" and job.status == ImportJob.Status.FAILED:
        # Run a failed job again: it skips the batches it had already written.
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PENDING)
            transaction.on_commit(lambda: _enqueue(job.pk))
        return redirect("customers:import_status", job_id=job.pk)
    finished = job.status in (
        ImportJob.Status.DONE,
        ImportJob.Status.REJECTED,
        ImportJob.Status.FAILED,
    )
    context = {
        "job": job,
        "finished": finished,
        "percent": importing.import_job_progress(job),
        "result": job.result or {},
        "errors": (job.result or {}).get("errors", []) if finished else [],
    }
    template = "customers/import_progress.html" if request.htmx else "customers/import_status.html"
    return render(request, template, context)


@login_required
def export(request):
    _require(request, Action.CUSTOMER_EXPORT)
    masked = exporting.export_is_masked(request.user)
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = exporting.export_customers(
                    actor=request.user,
                    fmt=data["format"],
                    branch=data["branch"].pk if data["branch"] else None,
                    lifecycle=data["lifecycle"],
                    tier=data["tier"],
                )
            except ValidationFailed as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            else:
                response = StreamingHttpResponse(result.chunks, content_type=result.content_type)
                response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
                return response
    else:
        form = ExportForm()
    return render(request, "customers/export.html", {"form": form, "masked": masked})
