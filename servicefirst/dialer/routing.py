from django.urls import path

from servicefirst.dialer.consumers import AgentConsumer, BoardConsumer

websocket_urlpatterns = [
    path("ws/contact/agent/", AgentConsumer.as_asgi()),
    path("ws/contact/board/", BoardConsumer.as_asgi()),
]
