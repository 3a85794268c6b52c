from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from servicefirst.core import selectors
from servicefirst.core.errors import PermissionDenied


@login_required
def audit_list(request):
    try:
        page = selectors.audit_events(
            actor=request.user, filters=request.GET, page=request.GET.get("page", 1)
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    return render(request, "core/audit_list.html", {"page": page, "filters": request.GET})
