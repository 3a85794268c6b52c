import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

# Live boards (branch floor, contact centre) add their websocket routes here.
application = ProtocolTypeRouter({"http": django_asgi_app})
