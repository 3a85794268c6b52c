"""Import and export pages (being built: see the importer helper)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def import_start(request):
    raise Http404


@login_required
def import_status(request, job_id: int):
    raise Http404


@login_required
def export(request):
    raise Http404
