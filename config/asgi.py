import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from servicefirst.dialer.routing import websocket_urlpatterns as contact_ws  # noqa: E402
from servicefirst.floor.routing import websocket_urlpatterns as floor_ws  # noqa: E402

# Live boards (branch floor, contact centre) add their websocket routes here.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*floor_ws, *contact_ws]))
        ),
    }
)
