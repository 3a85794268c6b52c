"""The product's URLs plus the service-request router on a test API with the product's
authentication and error handlers — used by test_api.py until config/api.py mounts the router."""

from django.urls import path
from ninja import NinjaAPI

from config.api import SessionAuth, TokenAuth
from config.api import api as product_api
from config.urls import urlpatterns as product_urls
from servicefirst.servicedesk.api import router

test_api = NinjaAPI(auth=[TokenAuth(), SessionAuth()], urls_namespace="servicedesk-test-api")
for exc_class, handler in product_api._exception_handlers.items():
    test_api.add_exception_handler(exc_class, handler)
test_api.add_router("/requests", router)

urlpatterns = [path("sdapi/", test_api.urls), *product_urls]
