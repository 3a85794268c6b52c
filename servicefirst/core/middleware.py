"""Makes the client address and user agent available to the audit log without passing requests
into services."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from servicefirst.core.context import request_context


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")
        with request_context(
            ip=ip or None, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], channel="web"
        ):
            return self.get_response(request)
