"""One log line and the Prometheus figures for every request, under a request id.

First in MIDDLEWARE, so its clock covers the whole chain. The request id comes from the proxy
(X-Request-ID, when it looks like an id) or is made here; it is on every log record written
while the request is served and goes back to the client in the X-Request-ID header.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from servicefirst.ops import logs, metrics

log = logging.getLogger("servicefirst.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _request_id(request: HttpRequest) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        request.request_id = request_id
        started = time.perf_counter()
        with logs.request_scope(request_id, request):
            response = None
            try:
                response = self.get_response(request)
            finally:
                self._record(request, response, time.perf_counter() - started)
            response.headers.setdefault("X-Request-ID", request_id)
            return response

    def _record(self, request: HttpRequest, response: HttpResponse | None, seconds: float):
        status = response.status_code if response is not None else 500
        view = metrics.view_label(request)
        metrics.observe_request(
            view=view, method=request.method or "", status=status, seconds=seconds
        )
        # The path only: query strings carry searches (names, numbers). The personal-data filter
        # masks what a path might still hold.
        log.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "view": view,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
