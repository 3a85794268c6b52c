"""URLs for test_public: the product's URLs plus the commitments router mounted on a test API
(with the product API's auth and error handlers), so the API is tested before and after
config/api.py mounts it (django-ninja routers may be mounted on more than one API)."""

from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from config import api as product
from config.urls import urlpatterns as product_urls
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed

api = NinjaAPI(
    auth=[product.TokenAuth(), product.SessionAuth()],
    urls_namespace="commitments-api-test",
    docs_url=None,
)
for exc, handler in (
    (ValidationFailed, product.on_validation_failed),
    (NinjaValidationError, product.on_schema_error),
    (NotFound, product.on_not_found),
    (PermissionDenied, product.on_denied),
    (AuthenticationError, product.on_unauthenticated),
):
    api.add_exception_handler(exc, handler)
api.add_router("/commitments", "servicefirst.commitments.api.router")

urlpatterns = [*product_urls, path("api-test/", api.urls)]
