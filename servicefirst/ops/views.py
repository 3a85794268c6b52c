"""Liveness, readiness and metrics: no login, no personal data, no session."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from servicefirst.ops import access, checks, metrics


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers. Touches nothing else (a database outage must not get every web
    process restarted)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    report = checks.readiness()
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)


@login_not_required
@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not access.metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
