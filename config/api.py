"""The one NinjaAPI. Each app contributes a Router; errors come back naming the field."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from servicefirst.accounts.services import token_user
from servicefirst.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class SessionAuth(APIKeyCookie):
    """The browser session (with CSRF protection), for pages calling the API."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sf_...` tokens made with `servicefirst token create`."""

    def authenticate(self, request, token):
        return token_user(token)


api = NinjaAPI(
    title="ServiceFirst API",
    version="1",
    description="Customer database and service operations of a customer-first bank.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationFailed)
def on_validation_failed(request, exc: ValidationFailed):
    errors = [
        {"field": field, "message": m} for field, messages in exc.errors.items() for m in messages
    ]
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    errors = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors]
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """django-ninja's own HTTP errors. A body that is not JSON (ninja answers 400 "Cannot parse
    request body") is invalid input like any other: 422, naming the body."""
    if exc.status_code == 400:
        errors = [{"field": "body", "message": "The request body is not valid JSON."}]
        return api.create_response(
            request, {"detail": "invalid input", "errors": errors}, status=422
        )
    return api.create_response(request, {"detail": str(exc), "errors": []}, status=exc.status_code)


@api.exception_handler(NotFound)
def on_not_found(request, exc):
    return api.create_response(
        request, {"detail": str(exc) or "not found", "errors": []}, status=404
    )


@api.exception_handler(Conflict)
def on_conflict(request, exc):
    """Optimistic locking: the object changed since the client read it (its `version`)."""
    message = str(exc) or "changed by someone else"
    return api.create_response(
        request,
        {"detail": message, "errors": [{"field": "version", "message": message}]},
        status=409,
    )


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return api.create_response(
        request, {"detail": str(exc) or "not allowed", "errors": []}, status=403
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": "authentication required", "errors": []}, status=401
    )


def _routers() -> None:
    from servicefirst.accounts.api import router as accounts_router
    from servicefirst.customers.api import router as customers_router
    from servicefirst.insights.api import router as insights_router
    from servicefirst.scoring.api import router as scoring_router

    api.add_router("/", accounts_router)
    api.add_router("/", customers_router)
    api.add_router("/insights", insights_router)
    api.add_router("/scoring", scoring_router)
    api.add_router("/floor", "servicefirst.floor.api.router")
    api.add_router("/contact", "servicefirst.dialer.api.router")
    api.add_router("/commitments", "servicefirst.commitments.api.router")
    api.add_router("/requests", "servicefirst.servicedesk.api.router")


_routers()
